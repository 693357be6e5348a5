/*
 * QTest: libqos virtio drivers through direct, IOMMU and bounce DMA ops
 *
 * A pseries guest with virtio-blk, virtio-net and virtio-rng, driven by
 * libqos' drivers, whose DMA ops are picked by qvirtio_update_dma_ops()
 * (libqos/virtio-dma.h): direct when the driver declines
 * VIRTIO_F_ACCESS_PLATFORM, TCE-translated when it accepts it, bounced
 * through pages shared with the (emulated) Ultravisor in a secure guest.
 * Every flow checks the data byte for byte, on the disk image, at the
 * network peer and in guest memory; the refused flows check that a
 * device never sees nor overwrites a secure guest's private memory, nor
 * memory that nobody mapped for it.
 *
 * With "-m perf", a benchmark of virtio-blk through each kind of ops
 * (make bench-qtest) instead.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include <sys/socket.h>
#include "libqtest.h"
#include "qobject/qdict.h"
#include "libqos/libqos-spapr.h"
#include "libqos/spapr-guest.h"
#include "libqos/virtio-pci.h"
#include "libqos/virtio-blk.h"
#include "libqos/virtio-net.h"
#include "libqos/virtio-rng.h"
#include "libqos/virtio-dma.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_ring.h"
#include "standard-headers/linux/virtio_blk.h"

#define BLK_SLOT        4
#define NET_SLOT        5
#define RNG_SLOT        6
#define DISK_SIZE       (4 * MiB)
#define SECTOR_SIZE     512

/* In the TCE window, above RAM, below what the IOMMU ops hand out */
#define IOVA_UNMAPPED   0x2ff00000ULL

typedef struct Dev {
    QVirtioPCIDevice *pci;
    QVirtioDevice *vdev;
    QVirtQueue *vq[2];
    int nqueues;
    const char *qom;        /* the backend's QOM path */
} Dev;

typedef struct Guest {
    QOSState *qs;
    QTestState *qts;
    QGuestAllocator *alloc;
    Dev blk, net, rng;
    int peer;               /* the network backend's other end */
    bool secure;
} Guest;

static char *disk_path;

static bool qemu_alive(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-status' }");
    bool ok = qdict_haskey(rsp, "return");

    qobject_unref(rsp);
    return ok;
}

/* --- the guest --------------------------------------------------------- */

static void dev_init(Guest *g, Dev *dev, int slot)
{
    QPCIAddress addr = { .devfn = QPCI_DEVFN(slot, 0) };

    dev->pci = g_new0(QVirtioPCIDevice, 1);
    virtio_pci_init(dev->pci, g->qs->pcibus, &addr);
    qvirtio_pci_device_enable(dev->pci);
    dev->vdev = &dev->pci->vdev;
}

/*
 * @pef_opts: more pef-guest properties, for a secure guest; @drive_opts:
 * more -drive options, for the disk
 */
static Guest *guest_boot_with(bool secure, const char *pef_opts,
                              const char *drive_opts)
{
    Guest *g = g_new0(Guest, 1);
    int sv[2];

    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    g->qs = qtest_spapr_boot(
        "-machine pseries%s %s%s "
        "-drive if=none,id=d0,file=%s,format=raw%s "
        "-device virtio-blk-pci,id=vblk,drive=d0,addr=%d.0 "
        "-netdev socket,fd=%d,id=n0 "
        "-device virtio-net-pci,id=vnet,netdev=n0,addr=%d.0 "
        "-object rng-builtin,id=r0 "
        "-device virtio-rng-pci,id=vrng,rng=r0,addr=%d.0",
        secure ? ",confidential-guest-support=pef0" : "",
        secure ? "-object pef-guest,id=pef0" : "", secure ? pef_opts : "",
        disk_path, drive_opts, BLK_SLOT, sv[1], NET_SLOT, RNG_SLOT);
    close(sv[1]);
    g->peer = sv[0];
    g->qts = g->qs->qts;
    g->alloc = &g->qs->alloc;
    g->blk.qom = "/machine/peripheral/vblk/virtio-backend";
    g->net.qom = "/machine/peripheral/vnet/virtio-backend";
    g->rng.qom = "/machine/peripheral/vrng/virtio-backend";
    dev_init(g, &g->blk, BLK_SLOT);
    dev_init(g, &g->net, NET_SLOT);
    dev_init(g, &g->rng, RNG_SLOT);

    /*
     * Secure from here on: config space is out of reach (the qtest's RTAS
     * buffers are private memory), the devices' BARs are not.
     */
    if (secure) {
        qspapr_enter_secure(g->qts, guest_alloc(g->alloc, 4096));
        g->secure = true;
    }
    return g;
}

static Guest *guest_boot(bool secure)
{
    return guest_boot_with(secure, "", "");
}

/*
 * Bring a device up as a driver does: features (accepting ACCESS_PLATFORM
 * or not; libqos then installs the DMA ops), queues, DRIVER_OK
 */
static void dev_start(Guest *g, Dev *dev, bool accept, uint64_t features,
                      int nqueues)
{
    int i;

    qvirtio_reset(dev->vdev);
    qvirtio_set_acknowledge(dev->vdev);
    qvirtio_set_driver(dev->vdev);
    features |= 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_ACCESS_PLATFORM;
    dev->vdev->access_platform = accept;
    qvirtio_set_features(dev->vdev,
                         qvirtio_get_features(dev->vdev) & features);
    for (i = 0; i < nqueues; i++) {
        dev->vq[i] = qvirtqueue_setup(dev->vdev, g->alloc, i);
    }
    dev->nqueues = nqueues;
    qvirtio_set_driver_ok(dev->vdev);
}

static void dev_stop(Guest *g, Dev *dev)
{
    int i;

    qvirtio_reset(dev->vdev);
    for (i = 0; i < dev->nqueues; i++) {
        qvirtqueue_cleanup(dev->vdev->bus, dev->vq[i], g->alloc);
    }
    dev->nqueues = 0;
}

static void blk_start(Guest *g, bool accept)
{
    dev_start(g, &g->blk, accept,
              1ull << VIRTIO_RING_F_INDIRECT_DESC |
              1ull << VIRTIO_RING_F_EVENT_IDX |
              1ull << VIRTIO_BLK_F_FLUSH, 1);
    g_assert_true(g->blk.vq[0]->indirect && g->blk.vq[0]->event);
}

static void guest_start(Guest *g, bool accept)
{
    blk_start(g, accept);
    dev_start(g, &g->net, accept, 0, 2);
    dev_start(g, &g->rng, accept, 0, 1);
}

static void guest_shutdown(Guest *g)
{
    g_free(g->blk.pci);
    g_free(g->net.pci);
    g_free(g->rng.pci);
    close(g->peer);
    qtest_shutdown(g->qs);
    g_free(g);
}

static void check_ops(Guest *g, const char *ops, const char *mode)
{
    Dev *devs[] = { &g->blk, &g->net, &g->rng };
    int i;

    for (i = 0; i < ARRAY_SIZE(devs); i++) {
        g_autofree char *m = qvirtio_dma_mode(g->qts, devs[i]->qom);

        g_assert_cmpstr(qvirtio_dma_ops_name(devs[i]->vdev), ==, ops);
        g_assert_cmpstr(m, ==, mode);
    }
}

/* --- I/O, checked byte for byte --------------------------------------- */

static int blk_io(Guest *g, uint32_t type, uint64_t sector, uint8_t *buf,
                  uint32_t len, unsigned nseg, bool indirect)
{
    return qvirtio_blk_request(g->qts, g->blk.vdev, g->alloc, g->blk.vq[0],
                               type, sector, buf, len, nseg, indirect);
}

static void disk_read(uint64_t sector, uint8_t *buf, size_t len)
{
    int fd = open(disk_path, O_RDONLY);

    g_assert(fd >= 0);
    g_assert_cmpint(pread(fd, buf, len, sector * SECTOR_SIZE), ==, len);
    close(fd);
}

/* Write with @wseg segments, check the image, read back with @rseg */
static void blk_roundtrip(Guest *g, uint64_t sector, uint32_t len,
                          unsigned wseg, unsigned rseg, bool indirect,
                          uint8_t seed)
{
    g_autofree uint8_t *data = g_malloc(len);
    g_autofree uint8_t *back = g_malloc0(len);

    qvirtio_fill_pattern(data, len, seed);
    g_assert_cmpint(blk_io(g, VIRTIO_BLK_T_OUT, sector, data, len, wseg,
                           indirect), ==, VIRTIO_BLK_S_OK);
    disk_read(sector, back, len);
    g_assert_cmpmem(back, len, data, len);
    memset(back, 0, len);
    g_assert_cmpint(blk_io(g, VIRTIO_BLK_T_IN, sector, back, len, rseg,
                           indirect), ==, VIRTIO_BLK_S_OK);
    g_assert_cmpmem(back, len, data, len);
}

static void check_blk(Guest *g, uint8_t seed)
{
    blk_roundtrip(g, 8, 4096, 1, 1, false, seed);
    blk_roundtrip(g, 64, 16 * KiB, 4, 3, false, seed + 1);  /* multi-seg */
    blk_roundtrip(g, 128, 8 * KiB, 5, 2, true, seed + 2);   /* indirect */
    g_assert_cmpint(blk_io(g, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, false), ==,
                    VIRTIO_BLK_S_OK);
}

/* What the peer got: one frame, after the socket backend's length word */
static ssize_t peer_recv(Guest *g, uint8_t *frame, size_t len, int flags)
{
    uint32_t be;
    ssize_t n = recv(g->peer, &be, sizeof(be), flags);

    if (n != sizeof(be)) {
        return n < 0 ? -errno : -EIO;
    }
    g_assert_cmpuint(be32_to_cpu(be), <=, len);
    n = recv(g->peer, frame, be32_to_cpu(be), MSG_WAITALL);
    g_assert_cmpint(n, ==, be32_to_cpu(be));
    return n;
}

static void check_net(Guest *g, uint8_t seed)
{
    uint8_t frame[300], got[300] = { 0 };
    uint32_t be = cpu_to_be32(sizeof(frame));

    /* transmit queue 1, to the peer */
    qvirtio_fill_pattern(frame, sizeof(frame), seed);
    g_assert_cmpint(qvirtio_net_tx(g->qts, g->net.vdev, g->alloc,
                                   g->net.vq[1], frame, sizeof(frame)), ==,
                    sizeof(frame));
    g_assert_cmpint(peer_recv(g, got, sizeof(got), MSG_WAITALL), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(got), frame, sizeof(frame));

    /* receive queue 0, from the peer */
    qvirtio_fill_pattern(frame, sizeof(frame), seed + 0x40);
    g_assert_cmpint(send(g->peer, &be, sizeof(be), 0), ==, sizeof(be));
    g_assert_cmpint(send(g->peer, frame, sizeof(frame), 0), ==,
                    sizeof(frame));
    memset(got, 0, sizeof(got));
    g_assert_cmpint(qvirtio_net_rx(g->qts, g->net.vdev, g->alloc,
                                   g->net.vq[0], got, sizeof(got)), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(got), frame, sizeof(frame));
}

static void check_rng(Guest *g)
{
    uint8_t buf[64] = { 0 }, zero[64] = { 0 };

    g_assert_cmpint(qvirtio_rng_read(g->qts, g->rng.vdev, g->alloc,
                                     g->rng.vq[0], buf, sizeof(buf)), ==,
                    sizeof(buf));
    g_assert(memcmp(buf, zero, sizeof(buf)));
}

static void check_io(Guest *g, uint8_t seed)
{
    check_blk(g, seed);
    check_net(g, seed);
    check_rng(g);
}

/* --- flows -------------------------------------------------------------- */

/*
 * The driver declines ACCESS_PLATFORM, which the device offers: direct
 * ops, guest addresses
 */
static void test_direct(void)
{
    Guest *g = guest_boot(false);

    guest_start(g, false);
    g_assert_true(qvirtio_get_features(g->blk.vdev) &
                  (1ull << VIRTIO_F_ACCESS_PLATFORM));
    check_ops(g, "direct", "direct");
    g_assert_cmphex(g->blk.vq[0]->desc_bus, ==, g->blk.vq[0]->desc);
    check_io(g, 0x10);
    guest_shutdown(g);
}

/*
 * One virtio-blk request whose data buffer is at bus address @data_bus,
 * which the test chose itself; header and status go through the ops.
 * Returns whether the device completed it.
 */
static bool blk_io_at(Guest *g, uint32_t type, uint64_t sector,
                      uint64_t data_bus)
{
    return qvirtio_blk_request_at(g->qts, g->blk.vdev, g->alloc, g->blk.vq[0],
                                  type, sector, data_bus, 4096) >= 0;
}

/* QEMU runs on; the device too, after a reset if it needs one */
static void blk_recover(Guest *g)
{
    g_assert_true(qemu_alive(g->qts));
    if (g->blk.vdev->bus->get_status(g->blk.vdev) &
        VIRTIO_CONFIG_S_NEEDS_RESET) {
        dev_stop(g, &g->blk);
        blk_start(g, true);
    }
}

/*
 * The driver accepts it: TCE ops.  DMA to a bus address that is not
 * mapped (never, or no longer: unmap cleared the TCEs) fails cleanly: the
 * device reads nothing of the page that was mapped there and writes
 * nothing into it, and QEMU and the device run on.
 */
static void test_iommu(void)
{
    Guest *g = guest_boot(false);
    uint8_t page[4096], got[4096], pattern[4096];
    g_autofree char *mode = NULL;
    uint64_t gpa, stale;

    guest_start(g, true);
    check_ops(g, "iommu", "platform");
    g_assert_cmphex(g->blk.vq[0]->desc_bus, !=, g->blk.vq[0]->desc);
    check_io(g, 0x20);

    /*
     * A buffer's guest physical address is just a bus address that nobody
     * mapped: the device neither fills the buffer from the disk nor
     * copies it to the disk
     */
    qvirtio_fill_pattern(pattern, sizeof(pattern), 0x5a);
    gpa = guest_alloc(g->alloc, sizeof(pattern));
    qtest_memwrite(g->qts, gpa, pattern, sizeof(pattern));
    blk_io_at(g, VIRTIO_BLK_T_IN, 8, gpa);
    qtest_memread(g->qts, gpa, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), pattern, sizeof(pattern));
    blk_recover(g);
    blk_io_at(g, VIRTIO_BLK_T_OUT, 320, gpa);
    disk_read(320, got, sizeof(got));
    g_assert(memcmp(got, pattern, sizeof(pattern)));
    blk_recover(g);

    /* a page that was mapped, and its bus address after unmap */
    qvirtio_fill_pattern(pattern, sizeof(pattern), 0x99);
    gpa = guest_alloc(g->alloc, sizeof(page));
    qtest_memwrite(g->qts, gpa, pattern, sizeof(pattern));
    stale = qvirtio_dma_map(g->blk.vdev, gpa, sizeof(page),
                            QDMA_BIDIRECTIONAL);
    qvirtio_dma_unmap(g->blk.vdev, stale, sizeof(page), QDMA_BIDIRECTIONAL);

    /* On disk at sector 300 */
    qvirtio_fill_pattern(page, sizeof(page), 0x21);
    g_assert_cmpint(blk_io(g, VIRTIO_BLK_T_OUT, 300, page, sizeof(page), 1,
                           false), ==, VIRTIO_BLK_S_OK);
    blk_io_at(g, VIRTIO_BLK_T_IN, 300, stale);
    blk_io_at(g, VIRTIO_BLK_T_IN, 300, IOVA_UNMAPPED);
    qtest_memread(g->qts, gpa, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), pattern, sizeof(pattern));

    blk_io_at(g, VIRTIO_BLK_T_OUT, 310, stale);
    blk_io_at(g, VIRTIO_BLK_T_OUT, 311, IOVA_UNMAPPED);
    disk_read(310, got, sizeof(got));
    g_assert(memcmp(got, pattern, sizeof(pattern)));

    blk_recover(g);
    check_blk(g, 0x28);

    /* A reset returns the device to direct mode until renegotiation */
    qvirtio_reset(g->blk.vdev);
    mode = qvirtio_dma_mode(g->qts, g->blk.qom);
    g_assert_cmpstr(mode, ==, "direct");
    guest_shutdown(g);
}

/*
 * Bounce ops: what the device wrote reaches the driver's buffer on
 * sync_for_cpu, while the mapping stays, and not before
 */
static void check_sync_for_cpu(Guest *g)
{
    uint8_t data[4096], got[4096], zero[4096] = { 0 };
    uint64_t gpa = guest_alloc(g->alloc, sizeof(data));
    uint64_t bus;

    qvirtio_fill_pattern(data, sizeof(data), 0x3c);
    g_assert_cmpint(blk_io(g, VIRTIO_BLK_T_OUT, 400, data, sizeof(data), 1,
                           false), ==, VIRTIO_BLK_S_OK);
    qtest_memset(g->qts, gpa, 0, sizeof(data));
    bus = qvirtio_dma_map(g->blk.vdev, gpa, sizeof(data), QDMA_FROM_DEVICE);
    g_assert_cmphex(bus, !=, QDMA_MAPPING_ERROR);
    g_assert_true(blk_io_at(g, VIRTIO_BLK_T_IN, 400, bus));
    qtest_memread(g->qts, gpa, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), zero, sizeof(zero));
    qvirtio_dma_sync_for_cpu(g->blk.vdev, bus, sizeof(data),
                             QDMA_FROM_DEVICE);
    qtest_memread(g->qts, gpa, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), data, sizeof(data));
    qvirtio_dma_unmap(g->blk.vdev, bus, sizeof(data), QDMA_FROM_DEVICE);
    guest_free(g->alloc, gpa);
}

/* A page of its own for the Ultravisor: shared or private alone */
static uint64_t uv_page(Guest *g)
{
    return QEMU_ALIGN_UP(guest_alloc(g->alloc, 2 * QSPAPR_UV_PAGE_SIZE),
                         QSPAPR_UV_PAGE_SIZE);
}

/*
 * Bounce ops, and a private page that the driver mapped through the IOMMU
 * ops instead of bouncing it (header and status bounced): the request
 * completes, but the device neither copies the page to the disk nor
 * writes into it, and the Ultravisor counts both refusals
 */
static void check_private_page(Guest *g)
{
    QDMA *iommu = g->qs->pcibus->dma_platform->iommu;
    uint8_t secret[4096], buf[4096];
    uint64_t gpa = uv_page(g);
    uint64_t bus = qdma_map(iommu, gpa, sizeof(secret), QDMA_BIDIRECTIONAL);
    int64_t reads = qspapr_pef_stat(g->qts, "denied-reads");
    int64_t writes = qspapr_pef_stat(g->qts, "denied-writes");

    qvirtio_fill_pattern(secret, sizeof(secret), 0x5e);
    qtest_memwrite(g->qts, gpa, secret, sizeof(secret));
    g_assert_true(blk_io_at(g, VIRTIO_BLK_T_OUT, 420, bus));
    disk_read(420, buf, sizeof(buf));
    g_assert(memcmp(buf, secret, sizeof(secret)));
    g_assert_cmpint(qspapr_pef_stat(g->qts, "denied-reads"), >, reads);

    g_assert_true(blk_io_at(g, VIRTIO_BLK_T_IN, 8, bus));
    qtest_memread(g->qts, gpa, buf, sizeof(buf));
    g_assert_cmpmem(buf, sizeof(buf), secret, sizeof(secret));
    g_assert_cmpint(qspapr_pef_stat(g->qts, "denied-writes"), >, writes);
    qdma_unmap(iommu, bus, sizeof(secret), QDMA_BIDIRECTIONAL);
}

/*
 * A secure guest: the hook picks bounce buffers on top of the TCE ops;
 * vrings live in shared memory, data is copied through the pool, and the
 * device never touches private memory.
 */
static void test_bounce(void)
{
    Guest *g = guest_boot(true);
    QDMABounceStats st;
    QDMABouncePool *pool;
    uint64_t ring_size;

    guest_start(g, true);
    check_ops(g, "bounce", "platform");
    ring_size = qvring_size(g->blk.vq[0]->size, 4096);
    pool = qdma_bounce_pool(g->blk.vdev->dma);
    g_assert_cmpuint(qspapr_pef_shared_bytes(g->qts, g->blk.vq[0]->desc,
                                             ring_size), ==, ring_size);
    g_assert_cmpuint(qspapr_pef_shared_bytes(g->qts, g->net.vq[1]->desc,
                                             4096), ==, 4096);

    check_io(g, 0x30);
    qdma_bounce_pool_stats(pool, &st);
    g_assert_cmpuint(st.maps, >, 0);
    g_assert_cmpuint(st.failed_maps, ==, 0);
    g_assert_cmpuint(st.bytes_out, >=, 28 * KiB);
    g_assert_cmpuint(st.bytes_in, >=, 28 * KiB);
    g_assert_cmpint(qspapr_pef_stat(g->qts, "denied-reads"), ==, 0);
    g_assert_cmpint(qspapr_pef_stat(g->qts, "denied-writes"), ==, 0);
    check_sync_for_cpu(g);
    check_private_page(g);

    /* More than the pool holds: a mapping error, and nothing breaks */
    {
        uint32_t len = (st.pool_pages + 1) * 4096;
        g_autofree uint8_t *big = g_malloc0(len);

        g_assert_cmpint(blk_io(g, VIRTIO_BLK_T_IN, 0, big, len, 1, false),
                        ==, QVIRTIO_ENOSPC);
        qdma_bounce_pool_stats(pool, &st);
        g_assert_cmpuint(st.failed_maps, ==, 1);
    }
    check_blk(g, 0x38);
    guest_shutdown(g);
}

/*
 * A secure guest whose driver ignores the hook and hands the device its
 * private memory instead of bouncing it: mapped through the IOMMU (the
 * Ultravisor refuses and counts), or as guest physical addresses (the
 * device translates them through TCEs nobody set up).  Either way the
 * device gets none of the data, writes none of it, the request fails,
 * QEMU runs on, and after a reset the hook's choice works again.
 */
static void check_refused(bool iommu)
{
    Guest *g = guest_boot(true);
    QDMAPlatform *p = g->qs->pcibus->dma_platform;
    QDMA *wrong = iommu ? p->iommu : p->direct;
    uint8_t secret[4096], buf[4096], pattern[4096];
    int64_t denied;
    int ret, i;

    guest_start(g, true);
    /* the rings stay in shared memory, so that the device can complain */
    g->blk.vdev->dma = g->net.vdev->dma = g->rng.vdev->dma = wrong;

    qvirtio_fill_pattern(secret, sizeof(secret), 0x5e);
    ret = blk_io(g, VIRTIO_BLK_T_OUT, 256, secret, sizeof(secret), 1, false);
    g_test_message("refused write: %d", ret);
    g_assert_cmpint(ret, !=, VIRTIO_BLK_S_OK);
    disk_read(256, buf, sizeof(buf));
    g_assert(memcmp(buf, secret, sizeof(secret)));
    if (iommu) {
        g_assert_cmpint(qspapr_pef_stat(g->qts, "denied-reads"), >, 0);
    }

    /* the device may need a reset now; then the wrong ops again */
    dev_stop(g, &g->blk);
    blk_start(g, true);
    g->blk.vdev->dma = wrong;
    qvirtio_fill_pattern(pattern, sizeof(pattern), 0xa5);
    memcpy(buf, pattern, sizeof(buf));
    ret = blk_io(g, VIRTIO_BLK_T_IN, 8, buf, sizeof(buf), 1, false);
    g_test_message("refused read: %d", ret);
    g_assert_cmpint(ret, !=, VIRTIO_BLK_S_OK);
    g_assert_cmpmem(buf, sizeof(buf), pattern, sizeof(pattern));

    memcpy(buf, pattern, 64);
    qvirtio_rng_read(g->qts, g->rng.vdev, g->alloc, g->rng.vq[0], buf, 64);
    g_assert_cmpmem(buf, 64, pattern, 64);

    /*
     * Nothing of a private frame reaches the network peer: what goes out,
     * if anything, is what the refused reads gave (zeros); through the
     * IOMMU, the device does send the frame, and the Ultravisor counts
     */
    denied = qspapr_pef_stat(g->qts, "denied-reads");
    qvirtio_net_tx(g->qts, g->net.vdev, g->alloc, g->net.vq[1], secret, 200);
    ret = peer_recv(g, buf, sizeof(buf), MSG_DONTWAIT);
    g_test_message("peer got %d bytes", ret);
    for (i = 0; ret > 0 && i + 16 <= 200; i += 16) {
        g_assert_null(memmem(buf, ret, secret + i, 16));
    }
    if (iommu) {
        g_assert_cmpint(ret, ==, 200);
        g_assert_cmpint(qspapr_pef_stat(g->qts, "denied-reads"), >, denied);
    }

    g_assert_true(qemu_alive(g->qts));
    dev_stop(g, &g->blk);
    blk_start(g, true);
    g_assert_cmpstr(qvirtio_dma_ops_name(g->blk.vdev), ==, "bounce");
    check_blk(g, 0x48);
    guest_shutdown(g);
}

static void test_refused_iommu(void)
{
    check_refused(true);
}

static void test_refused_direct(void)
{
    check_refused(false);
}

/*
 * Unsharing a page while the device still has a read in flight into it:
 * the data must not land in what is now private memory.  The drive is
 * throttled so that the read is still pending when the guest unshares.
 */
static void test_unshare_in_flight(void)
{
    Guest *g = guest_boot_with(true, "", ",throttling.bps-read=512");
    QDMA *iommu = g->qs->pcibus->dma_platform->iommu;
    uint8_t buf[SECTOR_SIZE], zero[SECTOR_SIZE] = { 0 };
    uint64_t page = uv_page(g);
    QVirtioBlkReq req;
    QVirtioReq r;

    blk_start(g, true);
    /* Write a sector and read it back: that uses up the read budget */
    blk_roundtrip(g, 20, SECTOR_SIZE, 1, 1, false, 0xcc);

    /* The buffer in a page of its own, shared (and so zeroed) */
    g_assert_cmphex(qspapr_uv_share(g->qts, page, SECTOR_SIZE), ==,
                    U_SUCCESS);
    qvirtio_blk_req_init(&req, g->blk.vdev, VIRTIO_BLK_T_IN, 20, NULL,
                         SECTOR_SIZE);
    req.segs[1].raw = true;
    req.segs[1].bus = qdma_map(iommu, page, SECTOR_SIZE, QDMA_FROM_DEVICE);
    g_assert_cmpint(qvirtio_req_submit(g->qts, &r, g->blk.vdev, g->alloc,
                                       g->blk.vq[0], req.segs, 3, false),
                    ==, 0);
    /* still in flight: held back by throttling */
    g_assert_false(qvirtqueue_get_buf(g->qts, g->blk.vq[0], NULL, NULL));
    g_assert_cmphex(qspapr_uv_unshare(g->qts, page, SECTOR_SIZE), ==,
                    U_SUCCESS);
    qtest_clock_step(g->qts, 2000000000LL);   /* 2 s */
    /* The request completes, and wrote nothing into the private page */
    g_assert_true(qvirtio_req_wait(g->qts, &r, NULL, 5 * G_USEC_PER_SEC));
    qvirtio_req_finish(g->qts, &r);
    qtest_memread(g->qts, page, buf, sizeof(buf));
    g_assert_cmpmem(buf, sizeof(buf), zero, sizeof(zero));
    guest_shutdown(g);
}

/* Reset all devices and negotiate the other way, and back */
static void test_switch(void)
{
    Guest *g = guest_boot(false);
    bool accept = true;
    int i;

    guest_start(g, accept);
    for (i = 0; i < 3; i++) {
        check_ops(g, accept ? "iommu" : "direct",
                  accept ? "platform" : "direct");
        check_io(g, 0x50 + i);
        dev_stop(g, &g->blk);
        dev_stop(g, &g->net);
        dev_stop(g, &g->rng);
        accept = !accept;
        guest_start(g, accept);
    }
    guest_shutdown(g);
}

/* --- benchmark (-m perf) ------------------------------------------------ */

/*
 * virtio-blk through each kind of ops, the QEMU side of `make bench`
 * (tests/bench/pseries-dma): a fixed number of requests, one in flight,
 * alternating write and read, so that counting QEMU's instructions
 * (callgrind) gives the same work in every mode.  One line per case:
 *
 *   VIRTIO-DMA-BENCH case=<case> ops=<ops> len=<bytes> requests=<n>
 *                    seconds=<wall time of the requests>
 *
 * VIRTIO_DMA_BENCH_CASES (comma-separated, default: all),
 * VIRTIO_DMA_BENCH_LEN (default 4096) and VIRTIO_DMA_BENCH_REQUESTS
 * (default 2000) choose what runs.
 */
typedef struct BenchCase {
    const char *name;
    const char *ops;        /* the ops libqos must pick */
    bool secure;
    bool accept;            /* the driver accepts ACCESS_PLATFORM */
    const char *pef_opts;
} BenchCase;

static const BenchCase bench_cases[] = {
    { "direct", "direct", false, false, "" },
    { "iommu", "iommu", false, true, "" },
    /* secure, with every page shared: the gate lets all accesses pass */
    { "bounce", "bounce", true, true, "" },
    { "bounce-nogate", "bounce", true, true, ",x-gate=off" },
};

static unsigned bench_env(const char *name, unsigned dflt)
{
    const char *v = g_getenv(name);
    unsigned val;

    if (!v) {
        return dflt;
    }
    g_assert_cmpint(qemu_strtoui(v, NULL, 0, &val), ==, 0);
    return val;
}

/* What a secure guest that trusts the hypervisor with everything does */
static void share_all_ram(Guest *g)
{
    QDict *mem = qtest_qmp(g->qts,
                           "{ 'execute': 'query-memory-size-summary' }");
    uint64_t ram = qdict_get_int(qdict_get_qdict(mem, "return"),
                                 "base-memory");

    g_assert_cmpint(qspapr_pef_stat(g->qts, "page-size"), ==,
                    QSPAPR_UV_PAGE_SIZE);
    g_assert_cmphex(qspapr_uv_share(g->qts, 0, ram), ==, U_SUCCESS);
    qobject_unref(mem);
}

static void bench_one(const BenchCase *c, uint32_t len, unsigned requests)
{
    Guest *g = guest_boot_with(c->secure, c->pef_opts, "");
    g_autofree uint8_t *buf = g_malloc(len);
    gint64 start;
    unsigned n;

    if (c->secure) {
        share_all_ram(g);
    }
    blk_start(g, c->accept);
    g_assert_cmpstr(qvirtio_dma_ops_name(g->blk.vdev), ==, c->ops);
    qvirtio_fill_pattern(buf, len, 0x77);
    start = g_get_monotonic_time();
    for (n = 0; n < requests; n++) {
        uint32_t type = n & 1 ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;

        g_assert_cmpint(blk_io(g, type, (n / 2 % 64) * (len / SECTOR_SIZE),
                               buf, len, 1, false), ==, VIRTIO_BLK_S_OK);
    }
    printf("VIRTIO-DMA-BENCH case=%s ops=%s len=%u requests=%u "
           "seconds=%.6f\n", c->name, c->ops, len, requests,
           (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);
    fflush(stdout);
    if (c->secure) {
        g_assert_cmpint(qspapr_pef_stat(g->qts, "denied-reads") +
                        qspapr_pef_stat(g->qts, "denied-writes"), ==, 0);
    }
    guest_shutdown(g);
}

static void bench_blk(void)
{
    g_auto(GStrv) only = g_strsplit(g_getenv("VIRTIO_DMA_BENCH_CASES") ?: "",
                                    ",", -1);
    uint32_t len = bench_env("VIRTIO_DMA_BENCH_LEN", 4096);
    unsigned requests = bench_env("VIRTIO_DMA_BENCH_REQUESTS", 2000);
    int i;

    g_assert_cmpuint(len, >=, SECTOR_SIZE);
    g_assert_cmpuint(len % SECTOR_SIZE, ==, 0);
    for (i = 0; i < ARRAY_SIZE(bench_cases); i++) {
        if (!only[0] || !*only[0] ||
            g_strv_contains((const char * const *)only, bench_cases[i].name)) {
            bench_one(&bench_cases[i], len, requests);
        }
    }
}

int main(int argc, char **argv)
{
    int fd, ret;

    g_test_init(&argc, &argv, NULL);

    fd = g_file_open_tmp("virtio-dma-XXXXXX", &disk_path, NULL);
    g_assert(fd >= 0);
    g_assert_cmpint(ftruncate(fd, DISK_SIZE), ==, 0);
    close(fd);

    if (g_test_perf()) {
        qtest_add_func("virtio-dma/bench/blk", bench_blk);
    } else {
        qtest_add_func("virtio-dma/direct", test_direct);
        qtest_add_func("virtio-dma/iommu", test_iommu);
        qtest_add_func("virtio-dma/bounce", test_bounce);
        qtest_add_func("virtio-dma/refused/iommu", test_refused_iommu);
        qtest_add_func("virtio-dma/refused/direct", test_refused_direct);
        qtest_add_func("virtio-dma/switch", test_switch);
        qtest_add_func("virtio-dma/unshare-in-flight",
                       test_unshare_in_flight);
    }

    ret = g_test_run();
    unlink(disk_path);
    g_free(disk_path);
    return ret;
}
