/*
 * QTest for VIRTIO_F_ACCESS_PLATFORM on pseries
 *
 * Whether a virtio-blk device offers VIRTIO_F_ACCESS_PLATFORM on each
 * machine and device configuration, which DMA mode QEMU picks (the
 * device's "dma-mode" property) for what its driver accepted, and what
 * the machine refuses.  The driver is libqos' with its DMA ops
 * (libqos/virtio-dma.h), and a write and a read check that the data
 * really moved, on the disk image and in guest memory; what libqos cannot
 * do is done here: drive the legacy interface of a transitional device,
 * keep a queue across a migration, and make the negotiations and command
 * lines that must be refused.  How the DMA ops themselves fare, direct,
 * translated and bounced, is virtio-dma-test's.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include <sys/wait.h>
#include "libqtest.h"
#include "libqos/libqos-spapr.h"
#include "libqos/spapr-guest.h"
#include "libqos/virtio-pci.h"
#include "libqos/virtio-blk.h"
#include "libqos/virtio-dma.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_blk.h"

#define VBLK_SLOT           4
#define VBLK_QOM            "/machine/peripheral/vblk/virtio-backend"
#define SECTOR_SIZE         512
#define DISK_SIZE           (1 * MiB)
#define IO_TIMEOUT_US       (5 * G_USEC_PER_SEC)
#define PEF                 "pseries,confidential-guest-support=pef0"
#define PEF_OBJECT          "-object pef-guest,id=pef0"
#define FEATURES            (1ull << VIRTIO_F_VERSION_1 | \
                             1ull << VIRTIO_F_ACCESS_PLATFORM)

typedef struct VapDriver {
    QOSState *qs;
    QTestState *qts;
    QGuestAllocator *alloc;
    QVirtioPCIDevice vpci;
    QVirtioDevice *vdev;
    QVirtQueue *vq;
    bool qcow2;             /* the disk is qcow2: no raw file to check */
    /* A page mapped once, whose bus address survives a migration */
    uint64_t page_gpa, page_bus;
} VapDriver;

static char *disk_path;
static char *qcow2_path;

static void fill_pattern(uint8_t *buf, uint8_t seed)
{
    int i;

    for (i = 0; i < SECTOR_SIZE; i++) {
        buf[i] = seed + i * 7;
    }
}

static void disk_read(uint64_t sector, uint8_t *buf)
{
    int fd = open(disk_path, O_RDONLY);

    g_assert(fd >= 0);
    g_assert_cmpint(pread(fd, buf, SECTOR_SIZE, sector * SECTOR_SIZE), ==,
                    SECTOR_SIZE);
    close(fd);
}

static void assert_dma_mode(QTestState *qts, const char *want)
{
    g_autofree char *mode = qvirtio_dma_mode(qts, VBLK_QOM);

    g_assert_cmpstr(mode, ==, want);
}

/* --- the legacy interface (BAR 0) of a transitional device -------------- */

/*
 * libqos drives a transitional device through its modern interface: these
 * bus ops are its legacy ones (libqos/virtio-pci.c), on BAR 0
 */
static QVirtioPCIDevice *lp(QVirtioDevice *d)
{
    return container_of(d, QVirtioPCIDevice, vdev);
}

static uint64_t legacy_get_features(QVirtioDevice *d)
{
    return qpci_io_readl(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_HOST_FEATURES);
}

static void legacy_set_features(QVirtioDevice *d, uint64_t features)
{
    qpci_io_writel(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_GUEST_FEATURES,
                   features);
}

static uint64_t legacy_get_guest_features(QVirtioDevice *d)
{
    return qpci_io_readl(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_GUEST_FEATURES);
}

static uint8_t legacy_get_status(QVirtioDevice *d)
{
    return qpci_io_readb(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_STATUS);
}

static void legacy_set_status(QVirtioDevice *d, uint8_t status)
{
    qpci_io_writeb(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_STATUS, status);
}

static void legacy_queue_select(QVirtioDevice *d, uint16_t index)
{
    qpci_io_writew(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_QUEUE_SEL, index);
}

static uint16_t legacy_get_queue_size(QVirtioDevice *d)
{
    return qpci_io_readw(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_QUEUE_NUM);
}

static void legacy_set_queue_address(QVirtioDevice *d, QVirtQueue *vq)
{
    qpci_io_writel(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_QUEUE_PFN,
                   vq->desc_bus >> VIRTIO_PCI_QUEUE_ADDR_SHIFT);
}

static void legacy_virtqueue_kick(QVirtioDevice *d, QVirtQueue *vq)
{
    qpci_io_writew(lp(d)->pdev, lp(d)->bar, VIRTIO_PCI_QUEUE_NOTIFY,
                   vq->index);
}

static const QVirtioBus legacy_bus = {
    .get_features = legacy_get_features,
    .set_features = legacy_set_features,
    .get_guest_features = legacy_get_guest_features,
    .get_status = legacy_get_status,
    .set_status = legacy_set_status,
    .queue_select = legacy_queue_select,
    .get_queue_size = legacy_get_queue_size,
    .set_queue_address = legacy_set_queue_address,
    .virtqueue_setup = qvirtio_pci_virtqueue_setup_common,
    .virtqueue_cleanup = qvirtio_pci_virtqueue_cleanup_common,
    .virtqueue_kick = legacy_virtqueue_kick,
    .get_dma_platform = qvirtio_pci_get_dma_platform,
};

/* --- the device and its driver ------------------------------------------ */

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

/* The device, through its legacy interface if @legacy */
static void vap_attach(VapDriver *d, QOSState *qs, bool legacy)
{
    QPCIAddress addr = { .devfn = QPCI_DEVFN(VBLK_SLOT, 0) };

    memset(&d->vpci, 0, sizeof(d->vpci));
    d->qs = qs;
    d->qts = qs->qts;
    d->alloc = &qs->alloc;
    virtio_pci_init(&d->vpci, qs->pcibus, &addr);
    qvirtio_pci_device_enable(&d->vpci);
    d->vdev = &d->vpci.vdev;
    if (legacy) {
        d->vpci.bar = qpci_iomap(d->vpci.pdev, 0, NULL);
        d->vdev->bus = &legacy_bus;
        d->vdev->big_endian = qtest_big_endian(d->qts);
    }
}

static void vap_free(VapDriver *d)
{
    g_free(d->vpci.pdev);
    qtest_shutdown(d->qs);
}

/*
 * Reset, then bring the device up with its queue, accepting
 * VIRTIO_F_ACCESS_PLATFORM if @accept and offered (libqos then picks the
 * DMA ops); a legacy driver can accept neither it nor VERSION_1
 */
static void vap_start(VapDriver *d, bool accept)
{
    qvirtio_reset(d->vdev);
    qvirtio_set_acknowledge(d->vdev);
    qvirtio_set_driver(d->vdev);
    d->vdev->access_platform = accept;
    qvirtio_set_features(d->vdev, qvirtio_get_features(d->vdev) & FEATURES);
    d->vq = qvirtqueue_setup(d->vdev, d->alloc, 0);
    qvirtio_set_driver_ok(d->vdev);
}

/*
 * A modern driver that declines ACCESS_PLATFORM, by hand: libqos' asserts
 * that the device takes its features.  Whether the device took FEATURES_OK
 */
static bool vap_decline(VapDriver *d)
{
    QVirtioDevice *v = d->vdev;

    qvirtio_reset(v);
    qvirtio_set_acknowledge(v);
    qvirtio_set_driver(v);
    v->bus->set_features(v, 1ull << VIRTIO_F_VERSION_1);
    v->bus->set_status(v, v->bus->get_status(v) | VIRTIO_CONFIG_S_FEATURES_OK);
    return v->bus->get_status(v) & VIRTIO_CONFIG_S_FEATURES_OK;
}

static bool vap_offered(VapDriver *d)
{
    return qvirtio_get_features(d->vdev) & (1ull << VIRTIO_F_ACCESS_PLATFORM);
}

static int vap_blk(VapDriver *d, uint32_t type, uint64_t sector,
                   uint8_t *buf)
{
    return qvirtio_blk_request(d->qts, d->vdev, d->alloc, d->vq, type,
                               sector, buf, SECTOR_SIZE, 1, false);
}

/*
 * Write a sector through the device and check the image file, then read
 * it back into a scribbled-over buffer and check that
 */
static void vap_check_io(VapDriver *d, uint64_t sector, uint8_t seed)
{
    uint8_t pattern[SECTOR_SIZE], buf[SECTOR_SIZE];

    fill_pattern(pattern, seed);
    g_assert_cmpint(vap_blk(d, VIRTIO_BLK_T_OUT, sector, pattern), ==,
                    VIRTIO_BLK_S_OK);
    if (!d->qcow2) {
        disk_read(sector, buf);
        g_assert_cmpmem(buf, SECTOR_SIZE, pattern, SECTOR_SIZE);
    }
    memset(buf, 0xa5, sizeof(buf));
    g_assert_cmpint(vap_blk(d, VIRTIO_BLK_T_IN, sector, buf), ==,
                    VIRTIO_BLK_S_OK);
    g_assert_cmpmem(buf, SECTOR_SIZE, pattern, SECTOR_SIZE);
}

/* Map a page through the DMA ops, to use across a migration */
static void vap_map_page(VapDriver *d)
{
    d->page_gpa = guest_alloc(d->alloc, 4096);
    d->page_bus = qvirtio_dma_map(d->vdev, d->page_gpa, 4096,
                                  QDMA_BIDIRECTIONAL);
    g_assert_cmphex(d->page_bus, !=, QDMA_MAPPING_ERROR);
}

/*
 * vap_check_io() with header, data and status in the page of
 * vap_map_page(): on a migration's destination, libqos' DMA ops are not
 * there, the page's mapping and the queue are
 */
static void vap_check_io_page(VapDriver *d, uint64_t sector, uint8_t seed)
{
    static const uint64_t off[] = { 0, SECTOR_SIZE, 64 }; /* of each seg */
    uint8_t pattern[SECTOR_SIZE], buf[SECTOR_SIZE];
    uint32_t types[] = { VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_IN };
    QVirtioBlkReq req;
    int i, j;

    fill_pattern(pattern, seed);
    for (i = 0; i < ARRAY_SIZE(types); i++) {
        qvirtio_blk_req_init(&req, d->vdev, types[i], sector, NULL,
                             SECTOR_SIZE);
        for (j = 0; j < ARRAY_SIZE(req.segs); j++) {
            req.segs[j].raw = true;
            req.segs[j].bus = d->page_bus + off[j];
        }
        qtest_memwrite(d->qts, d->page_gpa, req.hdr, sizeof(req.hdr));
        qtest_writeb(d->qts, d->page_gpa + off[2], 0xff);
        if (i) {
            qtest_memset(d->qts, d->page_gpa + off[1], 0xa5, SECTOR_SIZE);
        } else {
            qtest_memwrite(d->qts, d->page_gpa + off[1], pattern,
                           SECTOR_SIZE);
        }
        g_assert_cmpint(qvirtio_transfer(d->qts, d->vdev, d->alloc,
                                         d->vq, req.segs, 3, false,
                                         IO_TIMEOUT_US), >=, 0);
        g_assert_cmpint(qtest_readb(d->qts, d->page_gpa + off[2]), ==,
                        VIRTIO_BLK_S_OK);
    }
    disk_read(sector, buf);
    g_assert_cmpmem(buf, SECTOR_SIZE, pattern, SECTOR_SIZE);
    qtest_memread(d->qts, d->page_gpa + off[1], buf, SECTOR_SIZE);
    g_assert_cmpmem(buf, SECTOR_SIZE, pattern, SECTOR_SIZE);
}

/* --- what is offered ---------------------------------------------------- */

static void check_offer(const char *machine, const char *dev_opts,
                        const char *extra, bool offered)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot(machine, dev_opts, extra), false);
    g_assert_cmpint(vap_offered(&d), ==, offered);
    assert_dma_mode(d.qts, "direct");
    vap_free(&d);
}

static void test_offer_default(void)
{
    check_offer("pseries", NULL, NULL, true);
}

static void test_offer_pre_default(void)
{
    check_offer(QSPAPR_MACHINE_PRE_DEFAULT, NULL, NULL, false);
}

static void test_offer_iommu_platform_off(void)
{
    check_offer("pseries", "iommu_platform=off", NULL, false);
}

static void test_offer_phb_off(void)
{
    check_offer("pseries", NULL,
                "-global spapr-pci-host-bridge.virtio-access-platform=off",
                false);
}

/* --- the legacy interface, and what the driver must accept ------------- */

/*
 * A legacy driver on the transitional device made with @dev_opts gets
 * direct DMA, also if it writes @features (unless 0) once running
 */
static void check_legacy(const char *dev_opts, uint32_t features,
                         uint64_t sector, uint8_t seed)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", dev_opts, NULL), true);
    vap_start(&d, true);
    if (features) {
        d.vdev->bus->set_features(d.vdev, features);
    }
    assert_dma_mode(d.qts, "direct");
    vap_check_io(&d, sector, seed);
    vap_free(&d);
}

/* A legacy driver on the (default) transitional device: direct mode */
static void test_legacy(void)
{
    check_legacy(NULL, 0, 4, 0x44);
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
    vap_start(&d, true);
    vap_check_io(&d, 5, 0x55);
    d.vdev->bus->set_features(d.vdev, 1ull << VIRTIO_F_VERSION_1);
    assert_dma_mode(d.qts, "platform");
    vap_check_io(&d, 6, 0x66);
    vap_free(&d);

    check_legacy(NULL, 0xffffffff, 7, 0x77);
}

/*
 * libvirt's <driver iommu='on'/> on the (transitional) device: a modern
 * driver must accept the feature, a legacy driver gets direct DMA.
 */
static void test_required_transitional(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot("pseries", "iommu_platform=on", NULL), false);
    g_assert_false(vap_decline(&d));
    vap_start(&d, true);
    assert_dma_mode(d.qts, "platform");
    vap_free(&d);

    check_legacy("iommu_platform=on", 0, 7, 0x77);
}

/* An explicit iommu_platform=on keeps upstream's refusal */
static void test_required_refused(void)
{
    VapDriver d = { 0 };
    QVirtioPCIDevice *vp = &d.vpci;
    int sel;

    vap_attach(&d, vap_boot("pseries", "iommu_platform=on,disable-legacy=on",
                            NULL), false);
    /* A driver that leaves out VERSION_1 too gets no direct DMA */
    qvirtio_reset(d.vdev);
    for (sel = 0; sel < 2; sel++) {
        qpci_io_writel(vp->pdev, vp->bar, vp->common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg,
                                guest_feature_select), sel);
        qpci_io_writel(vp->pdev, vp->bar, vp->common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg, guest_feature),
                       0);
    }
    assert_dma_mode(d.qts, "platform");
    g_assert_false(vap_decline(&d));
    vap_start(&d, true);
    assert_dma_mode(d.qts, "platform");
    vap_check_io(&d, 5, 0x55);
    vap_free(&d);
}

/* --- across a migration, and savevm/loadvm ------------------------------ */

static void check_migration(bool accept, const char *mode)
{
    g_autofree char *tmpdir = g_dir_make_tmp("vap-XXXXXX", NULL);
    g_autofree char *uri = g_strdup_printf("unix:%s/migsocket", tmpdir);
    g_autofree char *incoming = g_strdup_printf("-incoming %s", uri);
    VapDriver d = { 0 };
    QVirtQueue *vq;
    uint64_t features;
    QOSState *to;

    vap_attach(&d, vap_boot("pseries", NULL, NULL), false);
    vap_start(&d, accept);
    vap_map_page(&d);
    vap_check_io_page(&d, 6, 0x66);

    to = vap_boot("pseries", NULL, incoming);
    migrate(d.qs, to, uri);
    assert_dma_mode(to->qts, mode);

    /*
     * Continue on the destination with the same queue and mapping: the
     * source's DMA ops go with its libqos bus, and the destination's
     * would map over what is mapped already
     */
    vq = d.vq;
    features = d.vdev->features;
    vap_free(&d);
    vap_attach(&d, to, false);
    d.vdev->features = features;
    d.vq = vq;
    vq->vdev = d.vdev;
    vq->dma = NULL;
    vap_check_io_page(&d, 7, 0x77);
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
    VapDriver d = { .qcow2 = true };
    g_autofree char *out = NULL;

    vap_attach(&d, vap_boot_disk("pseries", NULL, NULL, true, NULL), false);
    vap_start(&d, true);
    vap_check_io(&d, 8, 0x88);

    out = qtest_hmp(d.qts, "savevm vap");
    g_assert_cmpstr(out, ==, "");
    g_free(out);

    /* Reset the device: direct mode, queue gone */
    qvirtio_reset(d.vdev);
    assert_dma_mode(d.qts, "direct");

    out = qtest_hmp(d.qts, "loadvm vap");
    g_assert_cmpstr(out, ==, "");
    assert_dma_mode(d.qts, "platform");
    g_assert(d.vdev->bus->get_status(d.vdev) & VIRTIO_CONFIG_S_DRIVER_OK);
    vap_check_io(&d, 9, 0x99);
    vap_free(&d);
}

/* --- secure guests: the emulated Ultravisor's gate ----------------------- */

/*
 * With confidential guest support, devices require ACCESS_PLATFORM
 * (iommu_platform=on): a secure guest's DMA is always translated, and
 * bounced through what the guest shared (what a device may or may not
 * reach then: virtio-dma-test)
 */
static void test_secure_platform(void)
{
    VapDriver d = { 0 };

    vap_attach(&d, vap_boot(PEF, NULL, PEF_OBJECT), false);
    qspapr_enter_secure(d.qts, guest_alloc(d.alloc, 4096));
    g_assert_false(vap_decline(&d));
    vap_start(&d, true);
    g_assert_cmpstr(qvirtio_dma_ops_name(d.vdev), ==, "bounce");
    assert_dma_mode(d.qts, "platform");
    vap_check_io(&d, 10, 0xaa);
    g_assert_cmpint(qspapr_pef_stat(d.qts, "denied-reads"), ==, 0);
    g_assert_cmpint(qspapr_pef_stat(d.qts, "denied-writes"), ==, 0);
    vap_free(&d);
}

/* --- what the machine refuses to start ---------------------------------- */

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
    /* Before the ACCESS_PLATFORM default, as in upstream QEMU */
    check_refused(QSPAPR_MACHINE_PRE_DEFAULT, "iommu_platform=on",
                  "VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy "
                  "nor transitional device");
    /* A legacy-only device cannot offer it on any machine */
    check_refused("pseries", "iommu_platform=on,disable-modern=on",
                  "VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy "
                  "nor transitional device");
    /* A secure guest's drivers need the feature and the modern interface */
    check_refused(PEF, "iommu_platform=off",
                  "virtio device 'vblk' does not offer "
                  "VIRTIO_F_ACCESS_PLATFORM, which a secure guest's drivers "
                  "require");
    check_refused(PEF, "disable-legacy=off",
                  "virtio device 'vblk' has a legacy interface, which a "
                  "secure guest cannot use");
    /*
     * Devices that map guest memory out of the emulated Ultravisor's
     * sight, where an unshare could not take it back from them
     */
    check_refused(PEF, "serial=x -device virtio-gpu-pci,id=vgpu",
                  "virtio device 'vgpu' (virtio-gpu-device) keeps guest "
                  "memory mapped outside its virtqueues");
    check_refused(PEF, "serial=x -device vfio-pci,host=0000:00:01.0",
                  "vfio-pci cannot be used with the emulated Ultravisor");
    check_refused(PEF, "serial=x -device ich9-ahci",
                  "ich9-ahci cannot be used with the emulated Ultravisor");
    check_refused(PEF, "serial=x -device megasas-gen2",
                  "megasas-gen2 cannot be used with the emulated "
                  "Ultravisor");
    /* Nothing is refused without the gate, so nothing could stop the VM */
    check_refused("pseries,confidential-guest-support=pef1 "
                  "-object pef-guest,id=pef1,x-gate=off,stop-on-violation=on",
                  "serial=x",
                  "pef-guest: stop-on-violation needs the gate (x-gate=on)");
    /*
     * The PHB's virtio-access-platform decides the offer only; what is
     * refused follows the machine type
     */
    check_refused(PEF " -global spapr-pci-host-bridge.virtio-access-platform="
                  "off", "disable-legacy=off",
                  "virtio device 'vblk' has a legacy interface, which a "
                  "secure guest cannot use");
    check_startup("pseries -global spapr-pci-host-bridge.virtio-access-"
                  "platform=off", "iommu_platform=on", 0, "");
    /* Older machine types, which upstream QEMU started so, only warn */
    check_startup(QSPAPR_MACHINE_PRE_DEFAULT
                  ",confidential-guest-support=pef0",
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
    qtest_add_func("virtio-access-platform/offer/pre-default",
                   test_offer_pre_default);
    qtest_add_func("virtio-access-platform/offer/iommu_platform-off",
                   test_offer_iommu_platform_off);
    qtest_add_func("virtio-access-platform/offer/phb-off",
                   test_offer_phb_off);
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
