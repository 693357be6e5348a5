/*
 * QTest for VIRTIO_F_ACCESS_PLATFORM on pseries
 *
 * A minimal virtio-blk driver that chooses, per device, whether to accept
 * VIRTIO_F_ACCESS_PLATFORM.  If it does, every address it gives the device
 * is an I/O virtual address it has mapped with H_PUT_TCE in the PHB's
 * 32-bit DMA window, at a place where there is no guest RAM, so a device
 * that skipped translation would miss.  If it does not, it gives guest
 * physical addresses.  Each test checks what the device offered, which
 * DMA mode QEMU chose (the "dma-mode" property), and that a write and a
 * read really moved the data, by looking at the disk image and at guest
 * memory.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "libqtest.h"
#include "qobject/qdict.h"
#include "libqos/libqos-spapr.h"
#include "libqos/virtio.h"
#include "libqos/virtio-pci.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_ring.h"
#include "standard-headers/linux/virtio_blk.h"

#define H_SUCCESS           0
#define H_PUT_TCE           0x20

/* PHB 0, window 0: the 32-bit DMA window at bus address 0, 4 KiB pages */
#define PHB0_DMA32_LIOBN    0x80000000ULL
#define TCE_PAGE_SIZE       0x1000ULL
#define TCE_READ_WRITE      3ULL
/* Above the guest's 512 MiB of RAM, inside the 1 GiB window */
#define IOVA_BASE           0x30000000ULL

#define VBLK_SLOT           4
#define VBLK_QOM            "/machine/peripheral/vblk/virtio-backend"
#define MODERN_QUEUE_SIZE   16
#define SECTOR_SIZE         512
#define DISK_SIZE           (1 * MiB)
#define IO_TIMEOUT_US       (5 * G_USEC_PER_SEC)

/* Offsets in the data page */
#define HDR_OFF             0
#define STATUS_OFF          64
#define DATA_OFF            512

typedef struct VapDriver {
    QOSState *qs;
    QVirtioPCIDevice vpci;
    QVirtioDevice *vdev;
    bool legacy;            /* use the transitional device's legacy BAR */
    QPCIBar legacy_bar;
    bool translate;         /* accepted ACCESS_PLATFORM: hand out IOVAs */
    bool qcow2;             /* the disk is qcow2: no raw file to check */
    bool secure;            /* secure guest: share rings and buffers */
    int slot;               /* PCI slot, VBLK_SLOT if 0 */
    uint16_t queue;         /* the one virtqueue we drive */
    uint64_t next_iova;

    /* split virtqueue 0 */
    uint16_t num;
    uint64_t ring_gpa, ring_bus;
    uint64_t avail_off, used_off;
    uint64_t notify_off;
    uint16_t avail_idx, used_idx;

    uint64_t page_gpa, page_bus;    /* request header, status and data */
} VapDriver;

static char *disk_path;
static char *qcow2_path;

/* --- guest memory, in the byte order of the interface in use ----------- */

static bool vap_big_endian(VapDriver *d)
{
    return d->legacy && qtest_big_endian(d->qs->qts);
}

static void vap_write(VapDriver *d, uint64_t gpa, uint64_t val, int size)
{
    uint8_t buf[8];

    if (vap_big_endian(d)) {
        stn_be_p(buf, size, val);
    } else {
        stn_le_p(buf, size, val);
    }
    qtest_memwrite(d->qs->qts, gpa, buf, size);
}

static uint64_t vap_read(VapDriver *d, uint64_t gpa, int size)
{
    uint8_t buf[8];

    qtest_memread(d->qs->qts, gpa, buf, size);
    return vap_big_endian(d) ? ldn_be_p(buf, size) : ldn_le_p(buf, size);
}

/* --- DMA ops: what address the device gets for a guest page ------------ */

static uint64_t put_tce(QTestState *qts, uint64_t iova, uint64_t tce)
{
    uint64_t args[] = { PHB0_DMA32_LIOBN, iova, tce };

    return qtest_spapr_hcall(qts, H_PUT_TCE, ARRAY_SIZE(args), args, NULL);
}

/* Map @pages pages at @gpa for the device; returns the bus address */
static uint64_t vap_dma_map(VapDriver *d, uint64_t gpa, int pages)
{
    uint64_t iova;
    int i;

    if (!d->translate) {
        return gpa;             /* direct: the device uses guest physical */
    }
    iova = d->next_iova;
    for (i = 0; i < pages; i++) {
        g_assert_cmphex(put_tce(d->qs->qts, iova + i * TCE_PAGE_SIZE,
                                (gpa + i * TCE_PAGE_SIZE) | TCE_READ_WRITE),
                        ==, H_SUCCESS);
    }
    d->next_iova += pages * TCE_PAGE_SIZE;
    return iova;
}

/* --- device setup ----------------------------------------------------- */

static QOSState *vap_boot_disk(const char *machine, const char *dev_opts,
                               const char *extra, bool qcow2,
                               const char *drive_opts)
{
    return qtest_spapr_boot("-machine %s "
                            "-drive if=none,id=d0,file=%s,format=%s%s "
                            "-device virtio-blk-pci,id=vblk,drive=d0,"
                            "addr=%d.0%s%s %s",
                            machine, qcow2 ? qcow2_path : disk_path,
                            qcow2 ? "qcow2" : "raw",
                            drive_opts ? drive_opts : "", VBLK_SLOT,
                            dev_opts ? "," : "", dev_opts ? dev_opts : "",
                            extra ? extra : "");
}

static QOSState *vap_boot(const char *machine, const char *dev_opts,
                          const char *extra)
{
    return vap_boot_disk(machine, dev_opts, extra, false, NULL);
}

static void vap_attach(VapDriver *d, QOSState *qs, bool legacy)
{
    QPCIAddress addr = {
        .devfn = QPCI_DEVFN(d->slot ? d->slot : VBLK_SLOT, 0)
    };

    d->qs = qs;
    d->legacy = legacy;
    virtio_pci_init(&d->vpci, qs->pcibus, &addr);
    qvirtio_pci_device_enable(&d->vpci);
    d->vdev = &d->vpci.vdev;
    if (legacy) {
        d->legacy_bar = qpci_iomap(d->vpci.pdev, 0, NULL);
    }
}

static void vap_free(VapDriver *d)
{
    g_free(d->vpci.pdev);
    qtest_shutdown(d->qs);
}

static uint64_t vap_host_features(VapDriver *d)
{
    if (d->legacy) {
        return qpci_io_readl(d->vpci.pdev, d->legacy_bar,
                             VIRTIO_PCI_HOST_FEATURES);
    }
    return d->vdev->bus->get_features(d->vdev);
}

static uint8_t vap_status(VapDriver *d)
{
    if (d->legacy) {
        return qpci_io_readb(d->vpci.pdev, d->legacy_bar, VIRTIO_PCI_STATUS);
    }
    return d->vdev->bus->get_status(d->vdev);
}

static void vap_set_status(VapDriver *d, uint8_t status)
{
    if (d->legacy) {
        qpci_io_writeb(d->vpci.pdev, d->legacy_bar, VIRTIO_PCI_STATUS,
                       status);
    } else {
        d->vdev->bus->set_status(d->vdev, status);
    }
}

/*
 * Reset, then negotiate VERSION_1 (modern) plus ACCESS_PLATFORM if
 * @accept and offered.  Returns whether the device took FEATURES_OK.
 */
static bool vap_negotiate(VapDriver *d, bool accept)
{
    uint64_t host = vap_host_features(d);
    uint64_t guest = 0;

    vap_set_status(d, 0);
    vap_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    vap_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);

    if (d->legacy) {
        qpci_io_writel(d->vpci.pdev, d->legacy_bar,
                       VIRTIO_PCI_GUEST_FEATURES, 0);
        d->translate = false;
        return true;
    }

    g_assert(host & (1ull << VIRTIO_F_VERSION_1));
    guest = 1ull << VIRTIO_F_VERSION_1;
    if (accept) {
        guest |= host & (1ull << VIRTIO_F_ACCESS_PLATFORM);
    }
    d->translate = guest & (1ull << VIRTIO_F_ACCESS_PLATFORM);
    d->vdev->bus->set_features(d->vdev, guest);
    vap_set_status(d, vap_status(d) | VIRTIO_CONFIG_S_FEATURES_OK);
    return vap_status(d) & VIRTIO_CONFIG_S_FEATURES_OK;
}

#define UV_ESM              0xF110
#define UV_SHARE_PAGE       0xF130
#define UV_UNSHARE_PAGE     0xF134
#define UV_PAGE_SHIFT       16          /* pef-guest's default page-size */
#define UV_PAGE_SIZE        (1ULL << UV_PAGE_SHIFT)

static int64_t pef_stat(QTestState *qts, const char *name)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': '/objects/pef0', "
                           "'property': 'ultravisor' } }");
    int64_t val = qdict_get_int(qdict_get_qdict(rsp, "return"), name);

    qobject_unref(rsp);
    return val;
}

static void uv_call(VapDriver *d, uint64_t opcode, uint64_t r4, uint64_t r5)
{
    uint64_t args[] = { r4, r5 };

    g_assert_cmphex(qtest_spapr_ucall(d->qs->qts, opcode, 2, args, NULL),
                    ==, opcode == UV_ESM ? r5 : 0);
}

/* Share the Ultravisor pages holding [gpa, gpa + size) */
static void uv_share(VapDriver *d, uint64_t gpa, uint64_t size)
{
    uint64_t first = gpa >> UV_PAGE_SHIFT;
    uint64_t last = (gpa + size - 1) >> UV_PAGE_SHIFT;

    uv_call(d, UV_SHARE_PAGE, first, last - first + 1);
}

/* A 64-bit register of the modern common configuration, as two halves */
static void vap_common_writeq(VapDriver *d, size_t off, uint64_t val)
{
    QVirtioPCIDevice *vp = &d->vpci;

    qpci_io_writel(vp->pdev, vp->bar, vp->common_cfg_offset + off, val);
    qpci_io_writel(vp->pdev, vp->bar, vp->common_cfg_offset + off + 4,
                   val >> 32);
}

static void vap_setup_queue(VapDriver *d)
{
    QVirtioPCIDevice *vp = &d->vpci;
    uint32_t ring_size;
    int ring_pages;

    d->next_iova = IOVA_BASE;
    d->avail_idx = d->used_idx = 0;

    if (d->legacy) {
        qpci_io_writew(vp->pdev, d->legacy_bar, VIRTIO_PCI_QUEUE_SEL,
                       d->queue);
        d->num = qpci_io_readw(vp->pdev, d->legacy_bar, VIRTIO_PCI_QUEUE_NUM);
    } else {
        d->vdev->bus->queue_select(d->vdev, d->queue);
        qpci_io_writew(vp->pdev, vp->bar, vp->common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg, queue_size),
                       MODERN_QUEUE_SIZE);
        d->num = d->vdev->bus->get_queue_size(d->vdev);
        g_assert_cmpuint(d->num, ==, MODERN_QUEUE_SIZE);
    }

    /* The legacy layout, which the modern interface accepts too */
    d->avail_off = 16 * d->num;
    d->used_off = QEMU_ALIGN_UP(d->avail_off + 6 + 2 * d->num,
                                VIRTIO_PCI_VRING_ALIGN);
    ring_size = d->used_off + 6 + 8 * d->num;
    ring_pages = DIV_ROUND_UP(ring_size, TCE_PAGE_SIZE);

    d->ring_gpa = guest_alloc(&d->qs->alloc, ring_pages * TCE_PAGE_SIZE);
    g_assert_cmphex(d->ring_gpa % TCE_PAGE_SIZE, ==, 0);
    qtest_memset(d->qs->qts, d->ring_gpa, 0, ring_pages * TCE_PAGE_SIZE);
    d->page_gpa = guest_alloc(&d->qs->alloc, TCE_PAGE_SIZE);
    g_assert_cmphex(d->page_gpa % TCE_PAGE_SIZE, ==, 0);
    if (d->secure) {
        /* before the device can look at them */
        uv_share(d, d->ring_gpa, ring_pages * TCE_PAGE_SIZE);
        uv_share(d, d->page_gpa, TCE_PAGE_SIZE);
    }

    d->ring_bus = vap_dma_map(d, d->ring_gpa, ring_pages);
    d->page_bus = vap_dma_map(d, d->page_gpa, 1);

    if (d->legacy) {
        qpci_io_writel(vp->pdev, d->legacy_bar, VIRTIO_PCI_QUEUE_PFN,
                       d->ring_bus >> VIRTIO_PCI_QUEUE_ADDR_SHIFT);
        d->notify_off = VIRTIO_PCI_QUEUE_NOTIFY;
    } else {
        uint16_t off;

        vap_common_writeq(d, offsetof(struct virtio_pci_common_cfg,
                                      queue_desc_lo), d->ring_bus);
        vap_common_writeq(d, offsetof(struct virtio_pci_common_cfg,
                                      queue_avail_lo),
                          d->ring_bus + d->avail_off);
        vap_common_writeq(d, offsetof(struct virtio_pci_common_cfg,
                                      queue_used_lo),
                          d->ring_bus + d->used_off);
        off = qpci_io_readw(vp->pdev, vp->bar, vp->common_cfg_offset +
                            offsetof(struct virtio_pci_common_cfg,
                                     queue_notify_off));
        d->notify_off = vp->notify_cfg_offset +
                        off * vp->notify_off_multiplier;
        qpci_io_writew(vp->pdev, vp->bar, vp->common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg, queue_enable),
                       1);
    }
    vap_set_status(d, vap_status(d) | VIRTIO_CONFIG_S_DRIVER_OK);
    g_assert(vap_status(d) & VIRTIO_CONFIG_S_DRIVER_OK);
}

/* --- virtio-blk requests ---------------------------------------------- */

static void vap_desc(VapDriver *d, int i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint64_t desc = d->ring_gpa + 16 * i;

    vap_write(d, desc, addr, 8);
    vap_write(d, desc + 8, len, 4);
    vap_write(d, desc + 12, flags, 2);
    vap_write(d, desc + 14, next, 2);
}

static void vap_kick(VapDriver *d)
{
    QPCIBar bar = d->legacy ? d->legacy_bar : d->vpci.bar;

    qpci_io_writew(d->vpci.pdev, bar, d->notify_off, d->queue);
}

/*
 * One request of @type on sector @sector through the data page, the data
 * buffer at bus address @data_bus.  Returns false if the device did not
 * complete it, else true with the virtio-blk status in *@status.
 */
static void vap_blk_submit(VapDriver *d, uint32_t type, uint64_t sector,
                           uint64_t data_bus)
{
    uint64_t avail = d->ring_gpa + d->avail_off;

    vap_write(d, d->page_gpa + HDR_OFF, type, 4);
    vap_write(d, d->page_gpa + HDR_OFF + 4, 0, 4);
    vap_write(d, d->page_gpa + HDR_OFF + 8, sector, 8);
    qtest_writeb(d->qs->qts, d->page_gpa + STATUS_OFF, 0xff);

    vap_desc(d, 0, d->page_bus + HDR_OFF, 16, VRING_DESC_F_NEXT, 1);
    vap_desc(d, 1, data_bus, SECTOR_SIZE, VRING_DESC_F_NEXT |
             (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0), 2);
    vap_desc(d, 2, d->page_bus + STATUS_OFF, 1, VRING_DESC_F_WRITE, 0);

    vap_write(d, avail + 4 + 2 * (d->avail_idx % d->num), 0, 2);
    d->avail_idx++;
    vap_write(d, avail + 2, d->avail_idx, 2);
    vap_kick(d);
}

/* Wait for the request in flight; false if the device did not complete it */
static bool vap_blk_wait(VapDriver *d, uint8_t *status)
{
    uint64_t used = d->ring_gpa + d->used_off;
    gint64 start = g_get_monotonic_time();

    while (vap_read(d, used + 2, 2) == d->used_idx) {
        if (g_get_monotonic_time() - start > IO_TIMEOUT_US ||
            (vap_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
            return false;
        }
        qtest_clock_step(d->qs->qts, 100);
    }
    g_assert_cmpuint(vap_read(d, used + 4 + 8 * (d->used_idx % d->num), 4),
                     ==, 0);
    d->used_idx++;
    *status = qtest_readb(d->qs->qts, d->page_gpa + STATUS_OFF);
    return true;
}

static bool vap_blk_request(VapDriver *d, uint32_t type, uint64_t sector,
                            uint64_t data_bus, uint8_t *status)
{
    vap_blk_submit(d, type, sector, data_bus);
    return vap_blk_wait(d, status);
}

static void fill_pattern(uint8_t *buf, uint8_t seed)
{
    int i;

    for (i = 0; i < SECTOR_SIZE; i++) {
        buf[i] = seed + i * 7;
    }
}

/*
 * Write a sector through the device and check the image file, then
 * scribble over the buffer, read the sector back and check guest memory.
 */
static void vap_check_io(VapDriver *d, uint64_t sector, uint8_t seed)
{
    uint8_t pattern[SECTOR_SIZE], buf[SECTOR_SIZE];
    uint64_t data_gpa = d->page_gpa + DATA_OFF;
    uint64_t data_bus = d->page_bus + DATA_OFF;
    uint8_t status;
    int fd;

    fill_pattern(pattern, seed);
    qtest_memwrite(d->qs->qts, data_gpa, pattern, SECTOR_SIZE);
    g_assert(vap_blk_request(d, VIRTIO_BLK_T_OUT, sector, data_bus, &status));
    g_assert_cmpuint(status, ==, VIRTIO_BLK_S_OK);

    if (!d->qcow2) {
        fd = open(disk_path, O_RDONLY);
        g_assert(fd >= 0);
        g_assert_cmpint(pread(fd, buf, SECTOR_SIZE, sector * SECTOR_SIZE),
                        ==, SECTOR_SIZE);
        close(fd);
        g_assert_cmpmem(buf, SECTOR_SIZE, pattern, SECTOR_SIZE);
    }

    qtest_memset(d->qs->qts, data_gpa, 0xa5, SECTOR_SIZE);
    g_assert(vap_blk_request(d, VIRTIO_BLK_T_IN, sector, data_bus, &status));
    g_assert_cmpuint(status, ==, VIRTIO_BLK_S_OK);
    qtest_memread(d->qs->qts, data_gpa, buf, SECTOR_SIZE);
    g_assert_cmpmem(buf, SECTOR_SIZE, pattern, SECTOR_SIZE);
}

/*
 * Give the device the data buffer's guest physical address although
 * translation is on.  Nothing mapped it, so the device's DMA must not
 * reach the buffer: a read must leave it alone and a write must not copy
 * it to the disk.
 */
static void vap_check_unmapped(VapDriver *d, uint64_t sector)
{
    uint8_t secret[SECTOR_SIZE], buf[SECTOR_SIZE], status;
    uint64_t data_gpa = d->page_gpa + DATA_OFF;
    int fd;

    g_assert_true(d->translate);
    fill_pattern(secret, 0x5a);
    qtest_memwrite(d->qs->qts, data_gpa, secret, SECTOR_SIZE);

    if (vap_blk_request(d, VIRTIO_BLK_T_IN, sector, data_gpa, &status)) {
        qtest_memread(d->qs->qts, data_gpa, buf, SECTOR_SIZE);
        g_assert_cmpmem(buf, SECTOR_SIZE, secret, SECTOR_SIZE);
    }
    if (vap_blk_request(d, VIRTIO_BLK_T_OUT, sector, data_gpa, &status)) {
        fd = open(disk_path, O_RDONLY);
        g_assert(fd >= 0);
        g_assert_cmpint(pread(fd, buf, SECTOR_SIZE, sector * SECTOR_SIZE),
                        ==, SECTOR_SIZE);
        close(fd);
        g_assert(memcmp(buf, secret, SECTOR_SIZE) != 0);
    }
}

static char *vap_dma_mode(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': %s, 'property': 'dma-mode' } }",
                           VBLK_QOM);
    char *mode;

    g_assert(qdict_haskey(rsp, "return"));
    mode = g_strdup(qdict_get_str(rsp, "return"));
    qobject_unref(rsp);
    return mode;
}

#define assert_dma_mode(qts, want) do {             \
        g_autofree char *mode_ = vap_dma_mode(qts);  \
        g_assert_cmpstr(mode_, ==, (want));         \
    } while (0)

/* --- tests ------------------------------------------------------------ */

static void check_offer(const char *machine, const char *dev_opts,
                        bool offered)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot(machine, dev_opts, NULL), false);
    g_assert_cmpint(!!(vap_host_features(&d) &
                       (1ull << VIRTIO_F_ACCESS_PLATFORM)), ==, offered);
    assert_dma_mode(d.qs->qts, "direct");
    vap_free(&d);
}

static void test_offer_default(void)
{
    check_offer("pseries", NULL, true);
}

static void test_offer_pseries_10_0(void)
{
    check_offer("pseries-10.0", NULL, false);
}

static void test_offer_iommu_platform_off(void)
{
    check_offer("pseries", "iommu_platform=off", false);
}

static void test_offer_phb_off(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", NULL, "-global "
                            "spapr-pci-host-bridge.virtio-access-platform=off"),
               false);
    g_assert_false(vap_host_features(&d) & (1ull << VIRTIO_F_ACCESS_PLATFORM));
    vap_free(&d);
}

/* A driver that accepts ACCESS_PLATFORM gets TCE-translated DMA */
static void test_platform(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", NULL, NULL), false);
    g_assert_true(vap_negotiate(&d, true));
    g_assert_true(d.translate);
    assert_dma_mode(d.qs->qts, "platform");
    vap_setup_queue(&d);
    g_assert_cmphex(d.page_bus, !=, d.page_gpa);
    vap_check_io(&d, 1, 0x11);
    vap_check_io(&d, 2, 0x22);

    /*
     * With translation on, the buffer's guest physical address is just an
     * unmapped bus address: the device must neither fill the buffer from
     * the disk nor copy it to the disk.
     */
    vap_check_unmapped(&d, 1);

    /* A reset returns the device to direct mode until renegotiation */
    vap_set_status(&d, 0);
    assert_dma_mode(d.qs->qts, "direct");
    vap_free(&d);
}

/* A modern driver that declines ACCESS_PLATFORM works in direct mode */
static void test_direct(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", NULL, NULL), false);
    g_assert(vap_host_features(&d) & (1ull << VIRTIO_F_ACCESS_PLATFORM));
    g_assert_true(vap_negotiate(&d, false));
    assert_dma_mode(d.qs->qts, "direct");
    vap_setup_queue(&d);
    g_assert_cmphex(d.page_bus, ==, d.page_gpa);
    vap_check_io(&d, 3, 0x33);
    vap_free(&d);
}

/* A legacy driver on the (default) transitional device: direct mode */
static void test_legacy(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", NULL, NULL), true);
    g_assert_true(vap_negotiate(&d, true));
    assert_dma_mode(d.qs->qts, "direct");
    vap_setup_queue(&d);
    vap_check_io(&d, 4, 0x44);
    vap_free(&d);
}

/*
 * A hostile driver rewrites its features while requests may be in flight:
 * the device's DMA address space must not change under them.  A modern
 * driver's feature writes after FEATURES_OK are ignored; a legacy driver
 * can write its (32-bit) features at any time, but cannot set
 * ACCESS_PLATFORM (bit 33) or VERSION_1 (bit 32), which the mode depends
 * on.  Either way the mode, and the I/O, stay as they were.
 */
static void test_features_while_running(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", NULL, NULL), false);
    g_assert_true(vap_negotiate(&d, true));
    vap_setup_queue(&d);
    vap_check_io(&d, 5, 0x55);
    d.vdev->bus->set_features(d.vdev, 1ull << VIRTIO_F_VERSION_1);
    assert_dma_mode(d.qs->qts, "platform");
    vap_check_io(&d, 6, 0x66);
    vap_free(&d);

    vap_attach(&d, vap_boot("pseries", NULL, NULL), true);
    g_assert_true(vap_negotiate(&d, true));
    vap_setup_queue(&d);
    qpci_io_writel(d.vpci.pdev, d.legacy_bar, VIRTIO_PCI_GUEST_FEATURES,
                   0xffffffff);
    assert_dma_mode(d.qs->qts, "direct");
    vap_check_io(&d, 7, 0x77);
    vap_free(&d);
}

/*
 * libvirt's <driver iommu='on'/> on the (transitional) device: a modern
 * driver must accept the feature, a legacy driver gets direct DMA.
 */
static void test_required_transitional(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", "iommu_platform=on", NULL), false);
    g_assert_false(vap_negotiate(&d, false));
    g_assert_true(vap_negotiate(&d, true));
    assert_dma_mode(d.qs->qts, "platform");
    vap_free(&d);

    vap_attach(&d, vap_boot("pseries", "iommu_platform=on", NULL), true);
    g_assert_true(vap_negotiate(&d, true));
    assert_dma_mode(d.qs->qts, "direct");
    vap_setup_queue(&d);
    vap_check_io(&d, 7, 0x77);
    vap_free(&d);
}

/* An explicit iommu_platform=on keeps upstream's refusal */
static void test_required_refused(void)
{
    VapDriver d = { 0 };
    int sel;

    vap_attach(&d, vap_boot("pseries", "iommu_platform=on,disable-legacy=on",
                            NULL), false);
    /* A driver that leaves out VERSION_1 too gets no direct DMA */
    vap_set_status(&d, 0);
    for (sel = 0; sel < 2; sel++) {
        qpci_io_writel(d.vpci.pdev, d.vpci.bar, d.vpci.common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg,
                                guest_feature_select), sel);
        qpci_io_writel(d.vpci.pdev, d.vpci.bar, d.vpci.common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg, guest_feature),
                       0);
    }
    assert_dma_mode(d.qs->qts, "platform");
    g_assert_false(vap_negotiate(&d, false));
    g_assert_true(vap_negotiate(&d, true));
    assert_dma_mode(d.qs->qts, "platform");
    vap_setup_queue(&d);
    vap_check_io(&d, 5, 0x55);
    vap_free(&d);
}

static void check_migration(bool accept, const char *mode)
{
    g_autofree char *uri = NULL;
    g_autofree char *incoming = NULL;
    g_autofree char *tmpdir = g_dir_make_tmp("vap-XXXXXX", NULL);
    VapDriver d = { 0 };
    QOSState *to;

    g_assert(tmpdir);
    uri = g_strdup_printf("unix:%s/migsocket", tmpdir);
    incoming = g_strdup_printf("-incoming %s", uri);

    vap_attach(&d, vap_boot("pseries", NULL, NULL), false);
    g_assert_true(vap_negotiate(&d, accept));
    vap_setup_queue(&d);
    vap_check_io(&d, 6, 0x66);

    to = vap_boot("pseries", NULL, incoming);
    migrate(d.qs, to, uri);
    assert_dma_mode(to->qts, mode);

    /* Continue on the destination with the same rings and mappings */
    g_free(d.vpci.pdev);
    qtest_shutdown(d.qs);
    vap_attach(&d, to, false);
    vap_check_io(&d, 7, 0x77);
    vap_free(&d);

    unlink(uri + strlen("unix:"));
    rmdir(tmpdir);
}

static void test_migrate_platform(void)
{
    check_migration(true, "platform");
}

static void test_migrate_direct(void)
{
    check_migration(false, "direct");
}

/* savevm/loadvm brings the device back in the mode it was saved in */
static void test_savevm_loadvm(void)
{
    VapDriver d = { 0 };
    g_autofree char *out = NULL;

    vap_attach(&d, vap_boot_disk("pseries", NULL, NULL, true, NULL), false);
    d.qcow2 = true;
    g_assert_true(vap_negotiate(&d, true));
    vap_setup_queue(&d);
    vap_check_io(&d, 8, 0x88);

    out = qtest_hmp(d.qs->qts, "savevm vap");
    g_assert_cmpstr(out, ==, "");
    g_free(out);

    /* Reset the device: direct mode, queue gone */
    vap_set_status(&d, 0);
    assert_dma_mode(d.qs->qts, "direct");

    out = qtest_hmp(d.qs->qts, "loadvm vap");
    g_assert_cmpstr(out, ==, "");
    assert_dma_mode(d.qs->qts, "platform");
    g_assert(vap_status(&d) & VIRTIO_CONFIG_S_DRIVER_OK);
    vap_check_io(&d, 9, 0x99);
    vap_free(&d);
}

/* --- secure guests: the emulated Ultravisor's gate --------------------- */

/* Enter secure mode as Linux' prom_init does, with a device tree stub */
static void vap_enter_secure(VapDriver *d)
{
    uint64_t fdt = guest_alloc(&d->qs->alloc, 4096);

    qtest_writel(d->qs->qts, fdt, 0xd00dfeed);
    uv_call(d, UV_ESM, 0x400000, fdt);
    d->secure = true;
}

/*
 * A secure guest's device reaches only what the guest shared: I/O through
 * shared rings and buffers works, a buffer in private memory is neither
 * copied to the disk nor overwritten, and the refusals are counted.
 */
static void test_secure_platform(void)
{
    uint8_t secret[SECTOR_SIZE], buf[SECTOR_SIZE], status;
    VapDriver d = { 0 };
    uint64_t secret_gpa, secret_bus;
    int fd;

    /*
     * With confidential guest support, devices require ACCESS_PLATFORM
     * (iommu_platform=on): a secure guest's DMA is always translated.
     */
    vap_attach(&d, vap_boot("pseries,confidential-guest-support=pef0",
                            NULL, "-object pef-guest,id=pef0"), false);
    vap_enter_secure(&d);

    g_assert_false(vap_negotiate(&d, false));
    g_assert_true(vap_negotiate(&d, true));
    assert_dma_mode(d.qs->qts, "platform");
    vap_setup_queue(&d);
    vap_check_io(&d, 10, 0xaa);
    g_assert_cmpint(pef_stat(d.qs->qts, "denied-reads"), ==, 0);
    g_assert_cmpint(pef_stat(d.qs->qts, "denied-writes"), ==, 0);

    /* A private buffer, in an Ultravisor page of its own */
    secret_gpa = QEMU_ALIGN_UP(guest_alloc(&d.qs->alloc, 2 * UV_PAGE_SIZE),
                               UV_PAGE_SIZE);
    secret_bus = vap_dma_map(&d, secret_gpa, 1);
    fill_pattern(secret, 0x5e);
    qtest_memwrite(d.qs->qts, secret_gpa, secret, SECTOR_SIZE);

    g_assert(vap_blk_request(&d, VIRTIO_BLK_T_OUT, 11, secret_bus, &status));
    fd = open(disk_path, O_RDONLY);
    g_assert(fd >= 0);
    g_assert_cmpint(pread(fd, buf, SECTOR_SIZE, 11 * SECTOR_SIZE), ==,
                    SECTOR_SIZE);
    close(fd);
    g_assert(memcmp(buf, secret, SECTOR_SIZE) != 0);
    g_assert_cmpint(pef_stat(d.qs->qts, "denied-reads"), >, 0);

    g_assert(vap_blk_request(&d, VIRTIO_BLK_T_IN, 10, secret_bus, &status));
    qtest_memread(d.qs->qts, secret_gpa, buf, SECTOR_SIZE);
    g_assert_cmpmem(buf, SECTOR_SIZE, secret, SECTOR_SIZE);
    g_assert_cmpint(pef_stat(d.qs->qts, "denied-writes"), >, 0);

    /* The device and QEMU keep working with shared memory */
    vap_check_io(&d, 12, 0xbb);
    vap_free(&d);
}

/*
 * Unsharing a page while the device still has a read in flight into it:
 * the data must not land in what is now private memory.  The drive is
 * throttled so that the read is still pending when the guest unshares.
 */
static void test_secure_unshare_in_flight(void)
{
    uint8_t buf[SECTOR_SIZE], zero[SECTOR_SIZE] = { 0 }, status;
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot_disk("pseries,confidential-guest-support=pef0",
                                 NULL, "-object pef-guest,id=pef0", false,
                                 ",throttling.bps-read=512"), false);
    vap_enter_secure(&d);
    g_assert_true(vap_negotiate(&d, true));
    vap_setup_queue(&d);
    /* Write a sector and read it back: that uses up the read budget */
    vap_check_io(&d, 20, 0xcc);

    qtest_memset(d.qs->qts, d.page_gpa + DATA_OFF, 0, SECTOR_SIZE);
    vap_blk_submit(&d, VIRTIO_BLK_T_IN, 20, d.page_bus + DATA_OFF);
    /* still in flight: held back by throttling */
    g_assert_cmpuint(vap_read(&d, d.ring_gpa + d.used_off + 2, 2), ==,
                     d.used_idx);
    uv_call(&d, UV_UNSHARE_PAGE, d.page_gpa >> UV_PAGE_SHIFT, 1);
    qtest_clock_step(d.qs->qts, 2000000000LL);   /* 2 s */
    /* The request completes, and wrote nothing into the private page */
    g_assert(vap_blk_wait(&d, &status));
    qtest_memread(d.qs->qts, d.page_gpa + DATA_OFF, buf, SECTOR_SIZE);
    g_assert_cmpmem(buf, SECTOR_SIZE, zero, SECTOR_SIZE);
    vap_free(&d);
}

/* --- virtio-net transmit ------------------------------------------------ */

#define VNET_SLOT           5
#define VNET_TX_QUEUE       1
#define VNET_HDR_LEN        12      /* struct virtio_net_hdr_mrg_rxbuf */
#define VNET_PAYLOAD        64

/* Send one frame (header + payload at @bus) and return what the peer got */
static ssize_t vap_net_tx(VapDriver *d, int peer, uint64_t bus,
                          uint8_t *frame)
{
    uint64_t avail = d->ring_gpa + d->avail_off;
    uint32_t len_be;
    struct pollfd pfd = { .fd = peer, .events = POLLIN };

    vap_desc(d, 0, bus, VNET_HDR_LEN + VNET_PAYLOAD, 0, 0);
    vap_write(d, avail + 4 + 2 * (d->avail_idx % d->num), 0, 2);
    d->avail_idx++;
    vap_write(d, avail + 2, d->avail_idx, 2);
    vap_kick(d);

    /* The socket backend frames each packet with a 32-bit length */
    g_assert_cmpint(poll(&pfd, 1, 5000), ==, 1);
    g_assert_cmpint(recv(peer, &len_be, 4, MSG_WAITALL), ==, 4);
    g_assert_cmpuint(be32_to_cpu(len_be), ==, VNET_PAYLOAD);
    return recv(peer, frame, VNET_PAYLOAD, MSG_WAITALL);
}

/*
 * A secure guest's virtio-net: a frame in shared memory goes out as it is;
 * one in private memory, even mapped for the device, must not reach the
 * network backend.
 */
static void test_secure_net(void)
{
    uint8_t secret[SECTOR_SIZE], frame[VNET_PAYLOAD];
    VapDriver d = { .slot = VNET_SLOT, .queue = VNET_TX_QUEUE };
    uint64_t secret_gpa;
    int sv[2];

    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    vap_attach(&d, qtest_spapr_boot(
        "-machine pseries,confidential-guest-support=pef0 "
        "-object pef-guest,id=pef0 -netdev socket,fd=%d,id=n0 "
        "-device virtio-net-pci,netdev=n0,addr=%d.0",
        sv[1], VNET_SLOT), false);
    close(sv[1]);
    vap_enter_secure(&d);
    g_assert_true(vap_negotiate(&d, true));
    vap_setup_queue(&d);

    /* shared: the frame goes out */
    fill_pattern(secret, 0x3c);
    qtest_memset(d.qs->qts, d.page_gpa, 0, VNET_HDR_LEN);
    qtest_memwrite(d.qs->qts, d.page_gpa + VNET_HDR_LEN, secret,
                   VNET_PAYLOAD);
    g_assert_cmpint(vap_net_tx(&d, sv[0], d.page_bus, frame), ==,
                    VNET_PAYLOAD);
    g_assert_cmpmem(frame, VNET_PAYLOAD, secret, VNET_PAYLOAD);

    /* private: not a byte of it reaches the backend */
    secret_gpa = QEMU_ALIGN_UP(guest_alloc(&d.qs->alloc, 2 * UV_PAGE_SIZE),
                               UV_PAGE_SIZE);
    qtest_memset(d.qs->qts, secret_gpa, 0, VNET_HDR_LEN);
    qtest_memwrite(d.qs->qts, secret_gpa + VNET_HDR_LEN, secret,
                   VNET_PAYLOAD);
    g_assert_cmpint(vap_net_tx(&d, sv[0], vap_dma_map(&d, secret_gpa, 1),
                               frame), ==, VNET_PAYLOAD);
    g_assert(memcmp(frame, secret, VNET_PAYLOAD) != 0);
    g_assert_cmpint(pef_stat(d.qs->qts, "denied-reads"), >, 0);

    close(sv[0]);
    vap_free(&d);
}

/*
 * QEMU's exit status and what it printed for a command line expected to
 * be refused; it is told to quit over QMP in case it started after all.
 */
static int qemu_startup(const char *args, char **err)
{
    g_autofree char *cmd = g_strdup_printf("%s -display none -nodefaults "
                                           "-S -qmp stdio %s",
                                           g_getenv("QTEST_QEMU_BINARY"), args);
    static const char quit[] = "{ 'execute': 'qmp_capabilities' }\n"
                               "{ 'execute': 'quit' }\n";
    struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
    g_auto(GStrv) argv = NULL;
    int in, errfd, status;
    GPid pid;
    GString *out = g_string_new(NULL);
    char buf[512];
    ssize_t n;

    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD |
                                           G_SPAWN_STDOUT_TO_DEV_NULL,
                                           NULL, NULL, &pid, &in, NULL,
                                           &errfd, NULL));
    /* QEMU may have exited already: EPIPE then, not SIGPIPE */
    sigaction(SIGPIPE, &ignore, &old);
    if (write(in, quit, strlen(quit)) < 0) {
        g_assert_cmpint(errno, ==, EPIPE);
    }
    sigaction(SIGPIPE, &old, NULL);
    close(in);
    while ((n = read(errfd, buf, sizeof(buf))) > 0) {
        g_string_append_len(out, buf, n);
    }
    close(errfd);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_spawn_close_pid(pid);
    *err = g_string_free(out, false);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* QEMU exits with @status after printing @message */
static void check_startup(const char *machine, const char *device,
                          int status, const char *message)
{
    g_autofree char *args = g_strdup_printf(
        "-machine %s -object pef-guest,id=pef0 "
        "-drive if=none,id=d0,file=null-co://,format=raw "
        "-device virtio-blk-pci,id=vblk,drive=d0,%s", machine, device);
    g_autofree char *err = NULL;

    g_assert_cmpint(qemu_startup(args, &err), ==, status);
    if (!strstr(err, message)) {
        g_test_message("QEMU said: %s", err);
    }
    g_assert_nonnull(strstr(err, message));
}

static void check_refused(const char *machine, const char *device,
                          const char *message)
{
    check_startup(machine, device, 1, message);
}

/*
 * What the machine refuses at start-up, with the reason, instead of
 * letting the guest's driver fail later
 */
static void test_refused_configs(void)
{
    /* Without the pseries-10.1 default, as in upstream QEMU */
    check_refused("pseries-10.0", "iommu_platform=on",
                  "VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy "
                  "nor transitional device");
    /* A legacy-only device cannot offer it on any machine */
    check_refused("pseries", "iommu_platform=on,disable-modern=on",
                  "VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy "
                  "nor transitional device");
    /* A secure guest's drivers need the feature and the modern interface */
    check_refused("pseries,confidential-guest-support=pef0",
                  "iommu_platform=off",
                  "virtio device 'vblk' does not offer "
                  "VIRTIO_F_ACCESS_PLATFORM, which a secure guest's drivers "
                  "require");
    check_refused("pseries,confidential-guest-support=pef0",
                  "disable-legacy=off",
                  "virtio device 'vblk' has a legacy interface, which a "
                  "secure guest cannot use");
    /*
     * Devices that map guest memory out of the emulated Ultravisor's
     * sight, where an unshare could not take it back from them
     */
    check_refused("pseries,confidential-guest-support=pef0",
                  "serial=x -device virtio-gpu-pci,id=vgpu",
                  "virtio device 'vgpu' (virtio-gpu-device) keeps guest "
                  "memory mapped outside its virtqueues");
    check_refused("pseries,confidential-guest-support=pef0",
                  "serial=x -device vfio-pci,host=0000:00:01.0",
                  "vfio-pci cannot be used with the emulated Ultravisor");
    check_refused("pseries,confidential-guest-support=pef0",
                  "serial=x -device ich9-ahci",
                  "ich9-ahci cannot be used with the emulated Ultravisor");
    check_refused("pseries,confidential-guest-support=pef0",
                  "serial=x -device megasas-gen2",
                  "megasas-gen2 cannot be used with the emulated "
                  "Ultravisor");
    /* Nothing is refused without the gate, so nothing could stop the VM */
    check_refused("pseries,confidential-guest-support=pef1 "
                  "-object pef-guest,id=pef1,x-gate=off,stop-on-violation=on",
                  "serial=x",
                  "pef-guest: stop-on-violation needs the gate (x-gate=on)");
    /* Older machine types, which QEMU 10.0 started so, only warn */
    check_startup("pseries-10.0,confidential-guest-support=pef0",
                  "iommu_platform=off", 0,
                  "warning: virtio device 'vblk' does not offer "
                  "VIRTIO_F_ACCESS_PLATFORM");
}

int main(int argc, char **argv)
{
    int fd, ret;

    g_test_init(&argc, &argv, NULL);

    fd = g_file_open_tmp("vap-disk-XXXXXX", &disk_path, NULL);
    g_assert(fd >= 0);
    g_assert_cmpint(ftruncate(fd, DISK_SIZE), ==, 0);
    close(fd);

    qtest_add_func("virtio-access-platform/offer/default",
                   test_offer_default);
    qtest_add_func("virtio-access-platform/offer/pseries-10.0",
                   test_offer_pseries_10_0);
    qtest_add_func("virtio-access-platform/offer/iommu_platform-off",
                   test_offer_iommu_platform_off);
    qtest_add_func("virtio-access-platform/offer/phb-off",
                   test_offer_phb_off);
    qtest_add_func("virtio-access-platform/platform", test_platform);
    qtest_add_func("virtio-access-platform/direct", test_direct);
    qtest_add_func("virtio-access-platform/legacy", test_legacy);
    qtest_add_func("virtio-access-platform/features-while-running",
                   test_features_while_running);
    qtest_add_func("virtio-access-platform/required-refused",
                   test_required_refused);
    qtest_add_func("virtio-access-platform/migrate/platform",
                   test_migrate_platform);
    qtest_add_func("virtio-access-platform/migrate/direct",
                   test_migrate_direct);
    qtest_add_func("virtio-access-platform/required-transitional",
                   test_required_transitional);
    qtest_add_func("virtio-access-platform/refused-configs",
                   test_refused_configs);
    qtest_add_func("virtio-access-platform/secure/platform",
                   test_secure_platform);
    qtest_add_func("virtio-access-platform/secure/unshare-in-flight",
                   test_secure_unshare_in_flight);
    qtest_add_func("virtio-access-platform/secure/net", test_secure_net);
    if (getenv("QTEST_QEMU_IMG")) {
        qcow2_path = g_strdup_printf("%s.qcow2", disk_path);
        mkqcow2(qcow2_path, 1);
        qtest_add_func("virtio-access-platform/savevm-loadvm",
                       test_savevm_loadvm);
    }

    ret = g_test_run();
    unlink(disk_path);
    g_free(disk_path);
    if (qcow2_path) {
        unlink(qcow2_path);
        g_free(qcow2_path);
    }
    return ret;
}
