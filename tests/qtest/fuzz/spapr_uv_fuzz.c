/*
 * Fuzz a pseries secure guest: the emulated Ultravisor and what the
 * hypervisor side of QEMU does with a hostile guest's memory
 *
 * Each input is a program of guest actions: ultracalls (enter secure
 * mode, share and unshare arbitrary ranges), hcalls that touch memory
 * (TCEs, H_RTAS with any token and buffer, VPA, H_LOGICAL_CI_*), guest
 * stores anywhere, virtio-pci register writes and ring kicks on
 * virtio-blk, -net, -rng and -serial whose descriptors point anywhere,
 * and resets.  The guest plants a marker in private pages; after every
 * input the oracle checks that
 *  - no marker reached a backend (disk image, network dump, chardev),
 *    the Ultravisor's bounce page or any shared page;
 *  - every private page that holds a marker still holds it: nothing on
 *    the hypervisor side wrote there;
 *  - query-pef agrees with the Ultravisor's shared set.
 * A failed check aborts, which libFuzzer saves as a crash.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "qemu/units.h"
#include "qapi/qapi-commands-misc-ppc.h"
#include "qapi/qapi-types-misc-ppc.h"
#include "system/runstate.h"
#include "system/block-backend.h"
#include "hw/pci/pci_regs.h"
#include "hw/core/cpu.h"
#include "system/memory.h"
#include "tests/qtest/libqtest.h"
#include "tests/qtest/libqos/libqos-malloc.h"
#include "tests/qtest/libqos/malloc-spapr.h"
#include "tests/qtest/libqos/pci.h"
#include "tests/qtest/libqos/pci-spapr.h"
#include "tests/qtest/libqos/spapr-guest.h"
#include "fuzz.h"

#define RAM_SIZE        (256 * MiB)
#define PAGE_SHIFT      QSPAPR_UV_PAGE_SHIFT
#define PAGE_SIZE       (1ULL << PAGE_SHIFT)
#define NR_PAGES        (RAM_SIZE >> PAGE_SHIFT)
#define FDT_ADDR        0x2000000ULL
#define DISK_SIZE       (4 * MiB)
#define MAX_SHARE       64      /* pages per UV_SHARE_PAGE: bounded work */
#define MAX_SECRETS     64
#define PHB0_LIOBN      0x80000000

/*
 * This file sees QEMU only as a guest and through QMP, as a qtest would:
 * the guest's ABI is libqos' (spapr-guest.h), target headers are not
 * available to fuzz targets
 */

/* Never produced by the fuzzer's own stores (see op_store()) */
static const uint8_t marker[16] = {
    0xa5, 'U', 'V', '-', 'P', 'R', 'I', 'V', 'A', 'T', 'E', '-',
    0x5a, 0xc3, 0x3c, 0x96,
};

enum { DEV_BLK, DEV_NET, DEV_RNG, DEV_SERIAL, NR_DEVS };
static const int dev_slot[NR_DEVS] = { 2, 3, 4, 5 };

typedef struct FuzzDev {
    QPCIDevice *pci;
    QPCIBar bar;            /* BAR 4: the modern virtio-pci registers */
    uint32_t bar_lo, bar_hi;
} FuzzDev;

static struct {
    QGuestAllocator alloc;
    QPCIBus *bus;
    FuzzDev dev[NR_DEVS];
    char *dir, *disk, *netdump, *serial;
    uint64_t secrets[MAX_SECRETS];
    int nr_secrets;
    off_t netdump_seen, serial_seen;
} fz;

typedef struct Input {
    const uint8_t *p;
    size_t left;
} Input;

static bool take(Input *in, void *buf, size_t len)
{
    if (in->left < len) {
        return false;
    }
    memcpy(buf, in->p, len);
    in->p += len;
    in->left -= len;
    return true;
}

/* The Ultravisor's state, as query-pef reports it */
static PefInfo *pef_info(void)
{
    return qmp_query_pef(&error_abort);
}

static bool pef_shared(PefInfo *info, uint64_t page)
{
    PefSharedRangeList *r;

    for (r = info->shared; r; r = r->next) {
        if ((page << PAGE_SHIFT) >= r->value->start &&
            (page << PAGE_SHIFT) < r->value->start + r->value->size) {
            return true;
        }
    }
    return false;
}

/*
 * The guest itself stores over [gpa, gpa + len): secrets there may change
 * and are no longer watched
 */
static void guest_overwrites(uint64_t gpa, uint64_t len)
{
    int i = 0;

    while (i < fz.nr_secrets) {
        if (fz.secrets[i] < gpa + len &&
            fz.secrets[i] + sizeof(marker) > gpa) {
            fz.secrets[i] = fz.secrets[--fz.nr_secrets];
        } else {
            i++;
        }
    }
}

/* UV_ESM, UV_SHARE_PAGE, UV_UNSHARE_PAGE, UV_UNSHARE_ALL_PAGES, others */
static void op_ucall(QTestState *s, Input *in)
{
    static const uint64_t opcodes[] = {
        UV_ESM, UV_SHARE_PAGE, UV_UNSHARE_PAGE, UV_UNSHARE_ALL_PAGES,
        UV_WRITE_PATE, UV_PAGE_IN, UV_SVM_TERMINATE, 0xF1FC,
    };
    struct { uint8_t op, raw; uint32_t a, b; } QEMU_PACKED c;
    uint64_t opcode, r4 = 0, r5 = 0;

    if (!take(in, &c, sizeof(c))) {
        return;
    }
    opcode = opcodes[c.op % ARRAY_SIZE(opcodes)];
    if (c.raw & 1) {
        r4 = (int32_t)c.a;          /* anything, sign-extended */
        r5 = (int32_t)c.b;
    } else if (opcode == UV_ESM) {
        guest_overwrites(FDT_ADDR, 4);
        qtest_writel(s, FDT_ADDR, QSPAPR_FDT_MAGIC);
        r4 = QSPAPR_KBASE;
        r5 = FDT_ADDR;
    } else {
        r4 = c.a % (NR_PAGES + 4);  /* in RAM, and just past it */
        r5 = c.b % (MAX_SHARE + 1);
    }
    if (opcode == UV_SHARE_PAGE && r5 > MAX_SHARE) {
        r5 = MAX_SHARE;
    }
    if (opcode == UV_SHARE_PAGE && r4 < NR_PAGES) {
        /* Sharing hands the hypervisor zeroed pages: the secrets go */
        guest_overwrites(r4 << PAGE_SHIFT, MIN(r5, NR_PAGES) << PAGE_SHIFT);
    }
    qspapr_ucall(s, opcode, r4, r5);
}

/*
 * hcalls that read or write guest memory, with any arguments.  Not those
 * that leave the vCPU loop (H_CEDE, H_CONFER): the qtest accelerator has
 * no vCPU loop to leave, and asserts so.
 */
static void op_hcall(QTestState *s, Input *in)
{
    static const uint64_t opcodes[] = {
        H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE, H_GET_TCE,
        H_RTAS, H_REGISTER_VPA, H_LOGICAL_CI_LOAD,
        H_LOGICAL_CI_STORE, H_LOGICAL_CACHE_LOAD, H_LOGICAL_CACHE_STORE,
        H_LOGICAL_DCBF, H_RANDOM, H_SET_MODE, H_ENTER_NESTED,
        H_PAGE_INIT, H_PROD,
    };
    struct { uint8_t op, liobn; uint64_t a[4]; } QEMU_PACKED c;
    uint64_t args[4];
    int i;

    if (!take(in, &c, sizeof(c))) {
        return;
    }
    for (i = 0; i < 4; i++) {
        args[i] = le64_to_cpu(c.a[i]);
    }
    /* Stored values, like op_store()'s bytes, never start a marker */
    for (i = 0; i < 8; i++) {
        if (extract64(args[2], i * 8, 8) == marker[0]) {
            args[2] = deposit64(args[2], i * 8, 8, 0);
        }
    }
    switch (opcodes[c.op % ARRAY_SIZE(opcodes)]) {
    case H_PUT_TCE:
    case H_PUT_TCE_INDIRECT:
    case H_STUFF_TCE:
    case H_GET_TCE:
        /* mostly PHB 0's window, pages of RAM */
        if (!(c.liobn & 1)) {
            args[0] = PHB0_LIOBN;
            args[1] &= 0x3ffff000;
            args[2] = (args[2] % RAM_SIZE) | (args[2] >> 62);
        }
        break;
    case H_RTAS:                /* the argument block's address */
        args[0] = c.liobn & 1 ? args[0] : args[0] % RAM_SIZE;
        break;
    case H_REGISTER_VPA:        /* flags, cpu, address */
        args[2] = c.liobn & 1 ? args[2] : args[2] % RAM_SIZE;
        break;
    case H_LOGICAL_CI_LOAD:     /* size, address[, value] */
    case H_LOGICAL_CI_STORE:
        args[1] = c.liobn & 1 ? args[1] : args[1] % RAM_SIZE;
        break;
    }
    qtest_spapr_hcall(s, opcodes[c.op % ARRAY_SIZE(opcodes)], 4, args, NULL);
}

/* A guest store: anything but the marker */
static void op_store(QTestState *s, Input *in)
{
    struct { uint32_t gpa; uint8_t len; } QEMU_PACKED c;
    uint8_t buf[256];
    size_t i;

    if (!take(in, &c, sizeof(c)) || !take(in, buf, c.len)) {
        return;
    }
    for (i = 0; i < c.len; i++) {
        if (buf[i] == marker[0]) {
            buf[i] = 0;
        }
    }
    guest_overwrites(c.gpa % (RAM_SIZE - sizeof(buf)), c.len);
    qtest_memwrite(s, c.gpa % (RAM_SIZE - sizeof(buf)), buf, c.len);
}

/* The guest puts a secret in a private page */
static void op_secret(QTestState *s, Input *in)
{
    g_autoptr(PefInfo) info = NULL;
    uint16_t page;
    uint64_t gpa;

    if (!take(in, &page, sizeof(page)) || fz.nr_secrets == MAX_SECRETS) {
        return;
    }
    page %= NR_PAGES;
    info = pef_info();
    if (!info->secure || pef_shared(info, page)) {
        return;
    }
    gpa = ((uint64_t)page << PAGE_SHIFT) + (page * 64) % (PAGE_SIZE - 64);
    qtest_memwrite(s, gpa, marker, sizeof(marker));
    fz.secrets[fz.nr_secrets++] = gpa;
}

/* A write to a device's virtio-pci registers (common, notify, ...) */
static void op_virtio(QTestState *s, Input *in)
{
    struct { uint8_t dev, size; uint16_t off; uint32_t val; } QEMU_PACKED c;
    FuzzDev *d;

    if (!take(in, &c, sizeof(c))) {
        return;
    }
    d = &fz.dev[c.dev % NR_DEVS];
    switch (c.size % 3) {
    case 0:
        qpci_io_writeb(d->pci, d->bar, c.off % 0x4000, c.val);
        break;
    case 1:
        qpci_io_writew(d->pci, d->bar, c.off % 0x4000 & ~1, c.val);
        break;
    default:
        qpci_io_writel(d->pci, d->bar, c.off % 0x4000 & ~3, c.val);
        break;
    }
}

/* Common configuration (virtio 1.x, QEMU's layout in BAR 4) */
#define CC_DFSELECT     0x00
#define CC_GFSELECT     0x08
#define CC_GF           0x0c
#define CC_STATUS       0x14
#define CC_Q_SELECT     0x16
#define CC_Q_SIZE       0x18
#define CC_Q_ENABLE     0x1c
#define CC_Q_DESCLO     0x20
#define CC_Q_DESCHI     0x24
#define CC_Q_AVAILLO    0x28
#define CC_Q_AVAILHI    0x2c
#define CC_Q_USEDLO     0x30
#define CC_Q_USEDHI     0x34
#define NOTIFY_BASE     0x3000
#define QSIZE           16

/* Map [gpa, gpa + len) 1:1 in PHB 0's TCE window, as a driver would */
static void tce_map(QTestState *s, uint64_t gpa, uint64_t len)
{
    uint64_t page;

    len = MIN(len, 64 * KiB);
    for (page = gpa & ~0xfffULL; page < gpa + len && page < RAM_SIZE;
         page += 4 * KiB) {
        uint64_t args[] = { PHB0_LIOBN, page, page | 3 };

        qtest_spapr_hcall(s, H_PUT_TCE, 3, args, NULL);
    }
}

/*
 * Bring a device up with queue @q's ring at @ring (desc, avail, used in
 * one page), direct or through the IOMMU (ACCESS_PLATFORM, which a secure
 * guest's devices require), and put one descriptor chain on it pointing
 * wherever the input says; kick.  Through the IOMMU, the ring and (unless
 * the input says not to) the buffers are mapped 1:1 in the TCE window.
 */
static void op_ring(QTestState *s, Input *in)
{
    struct {
        uint8_t dev, q, flags, ndesc;
        uint16_t ring_page;
        struct { uint32_t addr, len; uint16_t flags, next; } desc[4];
    } QEMU_PACKED c;
    uint64_t ring, avail, used;
    FuzzDev *d;
    int i;

    if (!take(in, &c, sizeof(c))) {
        return;
    }
    d = &fz.dev[c.dev % NR_DEVS];
    ring = (uint64_t)(c.ring_page % NR_PAGES) << PAGE_SHIFT;
    avail = ring + 16 * QSIZE;
    used = ring + 4096;
    guest_overwrites(ring, 8 * KiB);

    qpci_io_writeb(d->pci, d->bar, CC_STATUS, 0);
    qpci_io_writeb(d->pci, d->bar, CC_STATUS, 1 | 2);
    qpci_io_writel(d->pci, d->bar, CC_GFSELECT, 1);
    /* VERSION_1, and ACCESS_PLATFORM unless the input declines it */
    qpci_io_writel(d->pci, d->bar, CC_GF, 1 | ((c.flags & 1) ? 0 : 2));
    qpci_io_writel(d->pci, d->bar, CC_GFSELECT, 0);
    qpci_io_writel(d->pci, d->bar, CC_GF, 0);
    qpci_io_writeb(d->pci, d->bar, CC_STATUS, 1 | 2 | 8);
    qpci_io_writew(d->pci, d->bar, CC_Q_SELECT, c.q % 4);
    qpci_io_writew(d->pci, d->bar, CC_Q_SIZE, QSIZE);
    qpci_io_writel(d->pci, d->bar, CC_Q_DESCLO, ring);
    qpci_io_writel(d->pci, d->bar, CC_Q_DESCHI, 0);
    qpci_io_writel(d->pci, d->bar, CC_Q_AVAILLO, avail);
    qpci_io_writel(d->pci, d->bar, CC_Q_AVAILHI, 0);
    qpci_io_writel(d->pci, d->bar, CC_Q_USEDLO, used);
    qpci_io_writel(d->pci, d->bar, CC_Q_USEDHI, 0);
    qpci_io_writew(d->pci, d->bar, CC_Q_ENABLE, 1);
    qpci_io_writeb(d->pci, d->bar, CC_STATUS, 1 | 2 | 4 | 8);
    if (!(c.flags & 1)) {
        tce_map(s, ring, 8 * KiB);
    }

    /*
     * The driver's side of the ring, little endian; qtest stores in the
     * target's (big) endianness
     */
    for (i = 0; i < 4; i++) {
        uint64_t da = ring + 16 * i;
        uint16_t flags = c.desc[i].flags & 7;   /* NEXT, WRITE, INDIRECT */

        if (i + 1 >= (c.ndesc % 4) + 1) {
            flags &= ~1;
        }
        qtest_writeq(s, da, bswap64(c.desc[i].addr));
        qtest_writel(s, da + 8, bswap32(c.desc[i].len));
        qtest_writew(s, da + 12, bswap16(flags));
        qtest_writew(s, da + 14, bswap16(c.desc[i].next % 4));
        if (!(c.flags & 3) && i < (c.ndesc % 4) + 1) {
            tce_map(s, c.desc[i].addr, c.desc[i].len);
        }
    }
    qtest_writew(s, avail, 0);
    qtest_writew(s, avail + 4, 0);                      /* ring[0] = 0 */
    qtest_writew(s, avail + 2, bswap16(1));    /* idx = 1 */
    /* QEMU's notify_off_multiplier is 4 */
    qpci_io_writew(d->pci, d->bar, NOTIFY_BASE + 4 * (c.q % 4), c.q % 4);
    flush_events(s);
}

static void op_reset(QTestState *s)
{
    qemu_system_reset(SHUTDOWN_CAUSE_GUEST_RESET);
    fz.nr_secrets = 0;
}

/* Machine reset forgets BARs and bus mastering: restore them */
static void devices_enable(void)
{
    int i;

    for (i = 0; i < NR_DEVS; i++) {
        FuzzDev *d = &fz.dev[i];

        qpci_config_writel(d->pci, PCI_BASE_ADDRESS_4, d->bar_lo);
        qpci_config_writel(d->pci, PCI_BASE_ADDRESS_5, d->bar_hi);
        qpci_device_enable(d->pci);
    }
}

/*
 * Guest memory as the guest sees it, for the oracle: straight, not
 * through the (serialized) qtest protocol, which would dominate the time
 */
static void guest_read(uint64_t gpa, void *buf, size_t len)
{
    address_space_read(first_cpu->as, gpa, MEMTXATTRS_UNSPECIFIED, buf, len);
}

/* Whether @len bytes at @buf contain the marker */
static bool has_marker(const void *buf, size_t len)
{
    return memmem(buf, len, marker, sizeof(marker)) != NULL;
}

/* New bytes of a file that QEMU writes, since we last looked */
static void check_file(const char *path, off_t *seen, const char *what)
{
    g_autofree char *data = NULL;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, NULL)) {
        return;
    }
    if (*seen > sizeof(marker)) {
        off_t from = MIN(*seen - sizeof(marker), len);

        if (has_marker(data + from, len - from)) {
            fprintf(stderr, "oracle: a private marker reached the %s\n",
                    what);
            abort();
        }
    } else if (has_marker(data, len)) {
        fprintf(stderr, "oracle: a private marker reached the %s\n", what);
        abort();
    }
    *seen = len;
}

static void oracle(QTestState *s)
{
    g_autoptr(PefInfo) info = pef_info();
    g_autofree uint8_t *page = g_malloc(PAGE_SIZE);
    PefSharedRangeList *r;
    uint64_t shared = 0, p;
    off_t disk_seen = 0;
    int i;

    /* query-pef is self-consistent and within RAM */
    g_assert(!info->shared_truncated);
    for (r = info->shared; r; r = r->next) {
        g_assert(r->value->start + r->value->size <= RAM_SIZE);
        shared += r->value->size / PAGE_SIZE;
    }
    g_assert_cmpuint(shared, ==, info->shared_pages);
    g_assert(info->secure || !info->shared_pages);

    /* Backends */
    blk_drain_all();
    check_file(fz.disk, &disk_seen, "disk image");
    check_file(fz.netdump, &fz.netdump_seen, "network backend");
    check_file(fz.serial, &fz.serial_seen, "chardev");

    /* Hypervisor-readable memory: the bounce page and shared pages */
    g_assert(info->reserved->size == PAGE_SIZE);
    guest_read(info->reserved->start, page, PAGE_SIZE);
    if (has_marker(page, PAGE_SIZE)) {
        fprintf(stderr, "oracle: a private marker is in the bounce page\n");
        abort();
    }
    for (r = info->shared; r; r = r->next) {
        for (p = r->value->start; p < r->value->start + r->value->size;
             p += PAGE_SIZE) {
            guest_read(p, page, PAGE_SIZE);
            if (has_marker(page, PAGE_SIZE)) {
                fprintf(stderr, "oracle: a private marker is in shared "
                        "page 0x%" PRIx64 "\n", p);
                abort();
            }
        }
    }


    /* Private pages changed only by the guest */
    for (i = 0; i < fz.nr_secrets; i++) {
        uint8_t buf[sizeof(marker)];

        if (pef_shared(info, fz.secrets[i] >> PAGE_SHIFT)) {
            continue;       /* shared since: zeroed by the Ultravisor */
        }
        guest_read(fz.secrets[i], buf, sizeof(buf));
        if (memcmp(buf, marker, sizeof(marker))) {
            fprintf(stderr, "oracle: private page 0x%" PRIx64 " changed "
                    "behind the guest's back\n", fz.secrets[i]);
            abort();
        }
    }
}

static void spapr_uv_fuzz(QTestState *s, const unsigned char *data,
                          size_t size)
{
    Input in = { data, size };
    uint8_t op;

    devices_enable();
    while (take(&in, &op, 1)) {
        switch (op % 8) {
        case 0:
            op_ucall(s, &in);
            break;
        case 1:
            op_hcall(s, &in);
            break;
        case 2:
            op_store(s, &in);
            break;
        case 3:
            op_secret(s, &in);
            break;
        case 4:
            op_virtio(s, &in);
            break;
        case 5:
            op_ring(s, &in);
            break;
        case 6:
            flush_events(s);
            break;
        case 7:
            op_reset(s);
            devices_enable();
            break;
        }
    }
    flush_events(s);
    oracle(s);
    op_reset(s);
    main_loop_wait(true);
    /*
     * Every reset and BAR write rebuilds the flat views of the machine's
     * many address spaces; the old ones go through call_rcu, whose thread
     * needs the BQL, which the fuzzer holds.  Let it catch up, or memory
     * grows without bound.
     */
    drain_call_rcu();
}

static void spapr_uv_pre_fuzz(QTestState *s)
{
    uint64_t size;
    int i;

    /*
     * The in-process shortcuts for qtest memory accesses skip the
     * target's byte order, which libqos' PCI accessors rely on
     */
    fuzz_qtest_set_serialize(true);

    spapr_alloc_init(&fz.alloc, s, ALLOC_NO_FLAGS);
    fz.bus = qpci_new_spapr(s, &fz.alloc);
    for (i = 0; i < NR_DEVS; i++) {
        FuzzDev *d = &fz.dev[i];

        d->pci = qpci_device_find(fz.bus, QPCI_DEVFN(dev_slot[i], 0));
        g_assert(d->pci);
        qpci_device_enable(d->pci);
        d->bar = qpci_iomap(d->pci, 4, &size);
        d->bar_lo = qpci_config_readl(d->pci, PCI_BASE_ADDRESS_4);
        d->bar_hi = qpci_config_readl(d->pci, PCI_BASE_ADDRESS_5);
    }
}

static GString *spapr_uv_cmdline(FuzzTarget *t)
{
    GString *cmd = g_string_new(NULL);
    int fd;

    fz.dir = g_dir_make_tmp("spapr-uv-fuzz-XXXXXX", NULL);
    g_assert(fz.dir);
    fz.disk = g_strdup_printf("%s/disk.raw", fz.dir);
    fz.netdump = g_strdup_printf("%s/net.pcap", fz.dir);
    fz.serial = g_strdup_printf("%s/serial.out", fz.dir);
    fd = open(fz.disk, O_CREAT | O_RDWR | O_TRUNC, 0600);
    g_assert(fd >= 0 && ftruncate(fd, DISK_SIZE) == 0);
    close(fd);

    g_string_printf(cmd, "%s -machine pseries,accel=qtest,"
        "confidential-guest-support=pef0 -object pef-guest,id=pef0 "
        "-m %" PRIu64 "M -display none -nodefaults -action panic=none "
        "-drive if=none,id=d0,file=%s,format=raw,cache=writethrough "
        "-device virtio-blk-pci,drive=d0,addr=%d "
        "-netdev hubport,id=n0,hubid=0 "
        "-object filter-dump,id=f0,netdev=n0,file=%s "
        "-device virtio-net-pci,netdev=n0,addr=%d "
        "-device virtio-rng-pci,addr=%d "
        "-chardev file,id=c0,path=%s "
        "-device virtio-serial-pci,addr=%d -device virtconsole,chardev=c0",
        TARGET_NAME, RAM_SIZE / MiB, fz.disk, dev_slot[DEV_BLK],
        fz.netdump, dev_slot[DEV_NET], dev_slot[DEV_RNG], fz.serial,
        dev_slot[DEV_SERIAL]);
    return cmd;
}

static void register_spapr_uv_fuzz_targets(void)
{
    fuzz_add_target(&(FuzzTarget){
        .name = "spapr-uv",
        .description = "a hostile pseries secure guest: ultracalls, "
                       "hcalls, stores, virtio rings and resets, with an "
                       "oracle for private memory",
        .get_init_cmdline = spapr_uv_cmdline,
        .pre_fuzz = spapr_uv_pre_fuzz,
        .fuzz = spapr_uv_fuzz,
    });
}

fuzz_target_init(register_spapr_uv_fuzz_targets);
