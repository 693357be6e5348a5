/*
 * QTest: UV_UNSHARE_PAGE against a device that holds the page mapped
 *
 * A secure guest hands a virtio-serial port a 1 MiB buffer in pages it
 * shared.  The port's chardev peer does not read, so the port is
 * throttled half-way and keeps the request, with host pointers into the
 * buffer, until the peer drains.  The guest then takes the pages back
 * with UV_UNSHARE_PAGE and writes a secret into them.  Whatever the
 * Ultravisor does, the secret must never reach the peer: either the
 * unshare is refused with U_BUSY while the device holds the pages, or it
 * succeeds and the device gets nothing of what the guest wrote after it.
 *
 * The port is a virtserialport: a virtconsole never throttles, it drops
 * what its chardev does not take.  virtserialport cannot be port 0, so
 * the driver negotiates VIRTIO_CONSOLE_F_MULTIPORT.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <poll.h>
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "libqos/libqos-spapr.h"
#include "libqos/spapr-guest.h"
#include "libqos/virtio-pci.h"
#include "libqos/virtio-dma.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_console.h"

#define SER_SLOT            4
#define PORT_NR             1
/* With MULTIPORT: port 0 rx/tx, control rx/tx, port 1 rx/tx */
#define NQUEUES             6
#define Q_CTRL_TX           3
#define Q_PORT_TX           5

#define BUF_SIZE            (1 * MiB)
#define BUF_PAGES           (BUF_SIZE / QSPAPR_UV_PAGE_SIZE)
#define PEER_SOCKBUF        4096
#define IDLE_MS             2000
#define TIMEOUT_US          (5 * G_USEC_PER_SEC)

static const char secret[] = "SECRET-PRIVATE-BYTES";

typedef struct Serial {
    QOSState *qs;
    QTestState *qts;
    QGuestAllocator *alloc;
    QVirtioPCIDevice *pci;
    QVirtioDevice *vdev;
    QVirtQueue *vq[NQUEUES];
    char *dir;
    char *path;
    int peer;               /* the chardev's other end, not read from */
    uint64_t buf;           /* the transmit buffer, BUF_PAGES shared pages */
    bool secure;            /* UV_ESM made before the device was set up */
} Serial;

static bool qemu_alive(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-status' }");
    bool ok = qdict_haskey(rsp, "return");

    qobject_unref(rsp);
    return ok;
}

/* Whether the socket chardev @label has accepted its client */
static bool chardev_connected(QTestState *qts, const char *label)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-chardev' }");
    QList *list = qdict_get_qlist(rsp, "return");
    bool connected = false;
    QListEntry *e;

    QLIST_FOREACH_ENTRY(list, e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(c, "label"), label)) {
            connected = !g_str_has_prefix(qdict_get_str(c, "filename"),
                                          "disconnected:");
        }
    }
    qobject_unref(rsp);
    return connected;
}

/* Connect to the chardev with small socket buffers, and wait for QEMU */
static void peer_connect(Serial *s)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int size = PEER_SOCKBUF;
    gint64 end = g_get_monotonic_time() + TIMEOUT_US;

    s->peer = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(s->peer, >=, 0);
    g_assert_cmpint(setsockopt(s->peer, SOL_SOCKET, SO_RCVBUF, &size,
                               sizeof(size)), ==, 0);
    g_assert_cmpint(setsockopt(s->peer, SOL_SOCKET, SO_SNDBUF, &size,
                               sizeof(size)), ==, 0);
    g_assert_cmpuint(strlen(s->path), <, sizeof(addr.sun_path));
    g_strlcpy(addr.sun_path, s->path, sizeof(addr.sun_path));
    g_assert_cmpint(connect(s->peer, (struct sockaddr *)&addr,
                            sizeof(addr)), ==, 0);
    while (!chardev_connected(s->qts, "c0")) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
}

/* A control message on the control transmitq, as Linux's virtio_console */
static void ctrl_send(Serial *s, uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t msg[8];
    QVirtioSeg seg = { .data = msg, .len = sizeof(msg), .write = false };

    stl_le_p(msg, id);
    stw_le_p(msg + 4, event);
    stw_le_p(msg + 6, value);
    g_assert_cmpint(qvirtio_transfer(s->qts, s->vdev, s->alloc,
                                     s->vq[Q_CTRL_TX], &seg, 1, false,
                                     TIMEOUT_US), ==, 0);
}

/*
 * A secure guest with a virtio-serial device, its driver up as a secure
 * Linux guest's (ACCESS_PLATFORM, bounce ops), port 1 open on both sides
 */
static Serial *serial_boot(bool secure)
{
    Serial *s = g_new0(Serial, 1);
    QPCIAddress pci_addr = { .devfn = QPCI_DEVFN(SER_SLOT, 0) };
    uint64_t features;
    int i;

    s->dir = g_dir_make_tmp("spapr-uv-unshare-XXXXXX", NULL);
    g_assert_nonnull(s->dir);
    s->path = g_strdup_printf("%s/serial.sock", s->dir);
    s->qs = qtest_spapr_boot(
        "-machine pseries,confidential-guest-support=pef0 "
        "-object pef-guest,id=pef0 -m 512M "
        "-chardev socket,id=c0,path=%s,server=on,wait=off "
        "-device virtio-serial-pci,id=vser,max_ports=2,addr=%d.0 "
        "-device virtserialport,id=port1,bus=vser.0,nr=%d,chardev=c0",
        s->path, SER_SLOT, PORT_NR);
    s->qts = s->qs->qts;
    s->alloc = &s->qs->alloc;
    peer_connect(s);

    /* PCI config space only before UV_ESM: RTAS buffers become private */
    s->pci = g_new0(QVirtioPCIDevice, 1);
    virtio_pci_init(s->pci, s->qs->pcibus, &pci_addr);
    qvirtio_pci_device_enable(s->pci);
    s->vdev = &s->pci->vdev;

    s->secure = secure;
    if (secure) {
        qspapr_enter_secure(s->qts, guest_alloc(s->alloc, 4096));
    }

    qvirtio_reset(s->vdev);
    qvirtio_set_acknowledge(s->vdev);
    qvirtio_set_driver(s->vdev);
    features = qvirtio_get_features(s->vdev);
    g_assert(features & (1ull << VIRTIO_CONSOLE_F_MULTIPORT));
    s->vdev->access_platform = true;
    qvirtio_set_features(s->vdev, features &
                         (1ull << VIRTIO_F_VERSION_1 |
                          1ull << VIRTIO_F_ACCESS_PLATFORM |
                          1ull << VIRTIO_CONSOLE_F_MULTIPORT));
    g_assert_cmpstr(qvirtio_dma_ops_name(s->vdev), ==,
                    secure ? "bounce" : "iommu");
    for (i = 0; i < NQUEUES; i++) {
        s->vq[i] = qvirtqueue_setup(s->vdev, s->alloc, i);
    }
    qvirtio_set_driver_ok(s->vdev);

    ctrl_send(s, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    ctrl_send(s, PORT_NR, VIRTIO_CONSOLE_PORT_READY, 1);
    ctrl_send(s, PORT_NR, VIRTIO_CONSOLE_PORT_OPEN, 1);
    return s;
}

static void serial_shutdown(Serial *s)
{
    qtest_shutdown(s->qs);
    close(s->peer);
    unlink(s->path);
    rmdir(s->dir);
    g_free(s->path);
    g_free(s->dir);
    g_free(s->pci);
    g_free(s);
}

/*
 * Share BUF_PAGES whole pages of guest memory, fill them with 'A', map
 * them through the PHB's TCEs as a secure guest's driver would map its
 * own shared buffer, and hand them to port 1 in one descriptor.  The peer
 * reads nothing, so the port takes part of it and throttles: the device
 * keeps the request.
 */
static void submit_throttled(Serial *s)
{
    QDMAPlatform *p = s->qs->pcibus->dma_platform;
    QVirtQueue *vq = s->vq[Q_PORT_TX];
    uint64_t mem = guest_alloc(s->alloc, BUF_SIZE + QSPAPR_UV_PAGE_SIZE);
    struct pollfd pfd = { .fd = s->peer, .events = POLLIN };
    uint64_t bus;
    uint32_t head;
    int queued = 0;

    s->buf = QEMU_ALIGN_UP(mem, QSPAPR_UV_PAGE_SIZE);
    if (s->secure) {
        g_assert_cmphex(qspapr_uv_share(s->qts, s->buf, BUF_SIZE), ==,
                        U_SUCCESS);
    }
    qtest_memset(s->qts, s->buf, 'A', BUF_SIZE);

    g_assert_nonnull(p->iommu);
    bus = qdma_map(p->iommu, s->buf, BUF_SIZE, QDMA_TO_DEVICE);
    g_assert_cmphex(bus, !=, QDMA_MAPPING_ERROR);
    head = qvirtqueue_add(s->qts, vq, bus, BUF_SIZE, false, false);
    qvirtqueue_kick(s->qts, s->vdev, vq, head);

    /* The port wrote what the socket took, and no more */
    g_assert_cmpint(poll(&pfd, 1, TIMEOUT_US / 1000), ==, 1);
    g_assert_cmpint(ioctl(s->peer, FIONREAD, &queued), ==, 0);
    g_test_message("peer has %d bytes queued; the port is throttled",
                   queued);
    g_assert_cmpint(queued, >, 0);
    g_assert_cmpint(queued, <, BUF_SIZE);
    g_assert_false(qvirtqueue_get_buf(s->qts, vq, NULL, NULL));
}

/* Read what the peer gets, until nothing came for IDLE_MS, or EOF */
static GByteArray *peer_drain(Serial *s)
{
    GByteArray *got = g_byte_array_new();
    struct pollfd pfd = { .fd = s->peer, .events = POLLIN };
    uint8_t chunk[4096];

    while (poll(&pfd, 1, IDLE_MS) == 1 && got->len <= 2 * BUF_SIZE) {
        ssize_t n = recv(s->peer, chunk, sizeof(chunk), MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        g_byte_array_append(got, chunk, n);
    }
    return got;
}

/* Nothing but the shared pattern (or zeros) may reach the peer */
static void check_no_leak(GByteArray *got, const char *when)
{
    /* An empty GByteArray's data may be NULL, which memmem() must not get */
    const uint8_t *leak = got->len ? memmem(got->data, got->len, secret,
                                            strlen(secret)) : NULL;
    guint i, other = 0;

    for (i = 0; i < got->len; i++) {
        other += got->data[i] != 'A' && got->data[i] != 0;
    }
    g_test_message("%s: peer got %u bytes, %u of them neither 'A' nor 0%s",
                   when, got->len, other,
                   leak ? ", and the secret written after the unshare" : "");
    if (leak) {
        g_test_message("secret at offset %td of what the peer got",
                       leak - got->data);
    }
    g_assert_null(leak);
    g_assert_cmpuint(other, ==, 0);
}

/* The guest's private data, written into the pages it took back */
static void write_secret(Serial *s)
{
    g_autofree uint8_t *data = g_malloc(BUF_SIZE);
    size_t len = strlen(secret);
    size_t i;

    for (i = 0; i < BUF_SIZE; i++) {
        data[i] = secret[i % len];
    }
    qtest_memwrite(s->qts, s->buf, data, BUF_SIZE);
}

static void test_throttled_serial(void)
{
    Serial *s = serial_boot(true);
    QVirtQueue *vq = s->vq[Q_PORT_TX];
    uint64_t ret;
    int64_t shared;
    GByteArray *got;

    submit_throttled(s);
    shared = qspapr_pef_stat(s->qts, "shared-pages");

    ret = qspapr_uv_unshare(s->qts, s->buf, BUF_SIZE);
    g_test_message("UV_UNSHARE_PAGE while the port holds the buffer: %"
                   PRId64, (int64_t)ret);
    if (ret == U_BUSY) {
        /* (a) refused, all of it: the device still reads shared pages */
        g_assert_cmpint(qspapr_pef_stat(s->qts, "shared-pages"), ==, shared);
        got = peer_drain(s);
        check_no_leak(got, "after U_BUSY");
        g_assert_cmpuint(got->len, ==, BUF_SIZE);
        g_byte_array_unref(got);
        g_assert_true(qvirtqueue_wait_buf(s->qts, vq, NULL, NULL,
                                          TIMEOUT_US));
        g_assert_cmphex(qspapr_uv_unshare(s->qts, s->buf, BUF_SIZE), ==,
                        U_SUCCESS);
        g_assert_cmpint(qspapr_pef_stat(s->qts, "shared-pages"), ==,
                        shared - BUF_PAGES);
        write_secret(s);
        got = peer_drain(s);
        check_no_leak(got, "after the request completed");
        g_assert_cmpuint(got->len, ==, 0);
        g_byte_array_unref(got);
    } else {
        /* (b) taken back: nothing written from now on may go out */
        g_assert_cmphex(ret, ==, U_SUCCESS);
        g_assert_cmpint(qspapr_pef_stat(s->qts, "shared-pages"), ==,
                        shared - BUF_PAGES);
        write_secret(s);
        got = peer_drain(s);
        check_no_leak(got, "after a successful unshare");
        g_byte_array_unref(got);
        g_test_message("the request %s",
                       qvirtqueue_get_buf(s->qts, vq, NULL, NULL) ?
                       "completed" : "did not complete");
    }
    g_assert_true(qemu_alive(s->qts));
    serial_shutdown(s);
}

/*
 * Unsharing a page that is already private, while the port holds other,
 * shared pages: nothing to wait for or refuse, and nothing changes.  The
 * page keeps what the guest wrote (only a shared page is scrubbed), the
 * shared set stays as it was, and the port still holds its request.
 */
/*
 * UV_ESM while a device holds a mapping the guest made before: the whole
 * of RAM is about to become private, so the Ultravisor refuses with
 * U_BUSY until the device is done, rather than leave the device a
 * pointer into what is then private memory.
 */
static void test_esm_while_held(void)
{
    Serial *s = serial_boot(false);
    QVirtQueue *vq = s->vq[Q_PORT_TX];
    uint64_t fdt = guest_alloc(s->alloc, 4096);
    GByteArray *got;

    submit_throttled(s);
    g_assert_cmphex(qspapr_uv_esm(s->qts, fdt, NULL), ==, U_BUSY);
    got = peer_drain(s);
    g_assert_cmpuint(got->len, ==, BUF_SIZE);
    g_byte_array_unref(got);
    g_assert_true(qvirtqueue_wait_buf(s->qts, vq, NULL, NULL, TIMEOUT_US));
    qspapr_enter_secure(s->qts, fdt);
    g_assert_true(qemu_alive(s->qts));
    serial_shutdown(s);
}

static void test_private_no_drain(void)
{
    Serial *s = serial_boot(true);
    uint64_t priv = QEMU_ALIGN_UP(guest_alloc(s->alloc,
                                              2 * QSPAPR_UV_PAGE_SIZE),
                                  QSPAPR_UV_PAGE_SIZE);
    int64_t shared;

    submit_throttled(s);
    shared = qspapr_pef_stat(s->qts, "shared-pages");
    qtest_writeq(s->qts, priv + 8, 0x5ec7e75ec7e75ec7ULL);

    g_assert_cmphex(qspapr_uv_unshare(s->qts, priv, QSPAPR_UV_PAGE_SIZE), ==,
                    U_SUCCESS);
    g_assert_cmphex(qtest_readq(s->qts, priv + 8), ==, 0x5ec7e75ec7e75ec7ULL);
    g_assert_cmpint(qspapr_pef_stat(s->qts, "shared-pages"), ==, shared);
    g_assert_false(qvirtqueue_get_buf(s->qts, s->vq[Q_PORT_TX], NULL, NULL));
    g_assert_true(qemu_alive(s->qts));
    serial_shutdown(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    if (qtest_has_device("virtio-serial-pci")) {
        qtest_add_func("spapr-uv-unshare/throttled-serial",
                       test_throttled_serial);
        qtest_add_func("spapr-uv-unshare/esm-while-held",
                       test_esm_while_held);
        qtest_add_func("spapr-uv-unshare/private-no-drain",
                       test_private_no_drain);
    }
    return g_test_run();
}
