/*
 * Emulated Ultravisor for pseries secure guests (PEF) under TCG
 *
 * On POWER9/10 with PEF, an Ultravisor below the hypervisor keeps a secure
 * VM's memory out of the hypervisor's reach; the guest shares pages
 * explicitly.  This emulates the guest-facing side of it: "sc 2"
 * ultracalls (Linux Documentation/arch/powerpc/ultravisor.rst), the secure
 * state MSR[S], and the shared-page set that the gate (spapr_uv_gate.c)
 * enforces on every access QEMU makes as the hypervisor.
 *
 * Where the document and the real Ultravisor (open-power/ultravisor)
 * differ, this follows the real one: out-of-range requests get U_P2,
 * pages are counted in units of the page size (64 KiB by default), and a
 * successful UV_ESM resumes the guest at kbase with r3 = fdt.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <libfdt.h>
#include "qemu/bitmap.h"
#include "qemu/bitops.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-misc-ppc.h"
#include "monitor/monitor.h"
#include "monitor/hmp-target.h"
#include "migration/vmstate.h"
#include "block/block-global-state.h"
#include "hw/boards.h"
#include "hw/ppc/fdt.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_uv.h"
#include "cpu.h"
#include "helper_regs.h"
#include "trace.h"

#define FDT_MAGIC_BE 0xd00dfeed

/* Whether [@addr, @addr + @len) overlaps the Ultravisor's own pages */
static bool spapr_uv_in_bounce(SpaprUltravisor *uv, hwaddr addr, hwaddr len)
{
    return addr < uv->bounce_base + uv->bounce_size &&
           addr + len > uv->bounce_base;
}

static uint64_t spapr_uv_nr_shared(SpaprUltravisor *uv)
{
    return bitmap_count_one(uv->shared, uv->nr_pages);
}

/*
 * Zero guest RAM as the Ultravisor.  Through its address space, not a
 * host pointer: RAM may be several memory backends (NUMA), and unmapping a
 * written mapping marks the pages dirty for migration and drops TCG's
 * translations of code that was there.
 */
static void spapr_uv_scrub(SpaprUltravisor *uv, hwaddr addr, hwaddr len)
{
    while (len) {
        hwaddr l = len;
        void *p = address_space_map(&uv->ram_as, addr, &l, true,
                                    MEMTXATTRS_UNSPECIFIED);

        if (!p) {
            /* Not directly mapped RAM: write the slow way */
            address_space_set(&uv->ram_as, addr, 0, len,
                              MEMTXATTRS_UNSPECIFIED);
            return;
        }
        /* Reading leaves untouched RAM unallocated; writing would not */
        if (!buffer_is_zero(p, l)) {
            memset(p, 0, l);
        }
        address_space_unmap(&uv->ram_as, p, l, true, l);
        addr += l;
        len -= l;
    }
}

static void spapr_uv_scrub_pages(SpaprUltravisor *uv, uint64_t first,
                                 uint64_t npages)
{
    spapr_uv_scrub(uv, first << uv->page_shift, npages << uv->page_shift);
}

/*
 * A device may hold a direct mapping of a page for DMA in flight (block
 * I/O maps guest buffers for the duration of a request).  Before a page
 * goes back to the guest's private memory, let such DMA finish, so that
 * nothing the hypervisor side does can land in it afterwards.
 */
static void spapr_uv_drain_dma(void)
{
    bdrv_drain_all();
}

static target_ulong spapr_uv_esm(SpaprUltravisor *uv, PowerPCCPU *cpu)
{
    CPUPPCState *env = &cpu->env;
    target_ulong kbase = env->gpr[4];
    target_ulong fdt = env->gpr[5];
    uint64_t ram_size = (uint64_t)uv->nr_pages << uv->page_shift;
    uint32_t magic = 0;

    if (uv->secure) {
        /* The real Ultravisor cannot create a second SVM for the LPAR */
        return U_RETRY;
    }
    /* UV_ESM clears the Ultravisor's pages: nothing of the guest's there */
    if (!kbase || (kbase & 3) || kbase >= ram_size ||
        spapr_uv_in_bounce(uv, kbase, 4)) {
        return U_P2;
    }
    if (!fdt || fdt >= ram_size - 4 || spapr_uv_in_bounce(uv, fdt, 4) ||
        address_space_read(&uv->ram_as, fdt, MEMTXATTRS_UNSPECIFIED,
                           &magic, sizeof(magic)) != MEMTX_OK ||
        be32_to_cpu(magic) != FDT_MAGIC_BE) {
        return U_P3;
    }

    /*
     * All of RAM is about to become private: a device must not keep a
     * mapping the guest gave it before (the real Ultravisor moves the
     * pages out of the hypervisor's reach).  Block DMA finishes; what a
     * device holds for longer makes the guest try again later.
     */
    spapr_uv_drain_dma();
    if (spapr_uv_held(uv, 0, uv->nr_pages)) {
        qemu_log_mask(LOG_GUEST_ERROR, "spapr-uv: UV_ESM while a device "
                      "holds guest memory mapped: U_BUSY\n");
        return U_BUSY;
    }

    /*
     * From now on all of RAM is private until the guest shares it, except
     * the Ultravisor's own pages, which start out empty whatever firmware
     * left there
     */
    spapr_uv_scrub(uv, uv->bounce_base, uv->bounce_size);
    bitmap_zero(uv->shared, uv->nr_pages);
    qatomic_set(&uv->secure, true);
    spapr_uv_gate_changed(uv, 0, uv->nr_pages, false);

    /* Resume at kbase in secure state, as the real Ultravisor does */
    env->msr |= R_MSR_S_MASK;
    env->msr &= ~R_MSR_EE_MASK;
    hreg_compute_hflags(env);
    env->nip = kbase;
    env->gpr[3] = fdt;
    env->gpr[4] = kbase;
    env->gpr[5] = 0;
    trace_spapr_uv_esm(kbase, fdt);
    return U_SUCCESS;
}

static target_ulong spapr_uv_share_pages(SpaprUltravisor *uv, uint64_t gfn,
                                         uint64_t npages)
{
    uint64_t i;

    for (i = gfn; i < gfn + npages; i++) {
        if (!test_bit(i, uv->shared)) {
            /* The hypervisor gets a zeroed page, never the secure data */
            spapr_uv_scrub_pages(uv, i, 1);
            set_bit_atomic(i, uv->shared);
        }
    }
    spapr_uv_gate_changed(uv, gfn, npages, true);
    return U_SUCCESS;
}

/*
 * Take pages [gfn, gfn + npages) back from the hypervisor.  The order
 * matters: clear the shared bits first, so that no new mapping of them can
 * be made; then let block DMA in flight finish; then make sure no device
 * still holds a mapping, which it could go on using after we return.  If
 * one does, the pages stay shared and the guest gets U_BUSY, as from the
 * real Ultravisor, which cannot unshare a page the hypervisor holds.
 */
static target_ulong spapr_uv_unshare_pages(SpaprUltravisor *uv, uint64_t gfn,
                                           uint64_t npages)
{
    g_autofree unsigned long *taken = bitmap_new(npages);
    uint64_t i;

    for (i = 0; i < npages; i++) {
        if (test_bit(gfn + i, uv->shared)) {
            clear_bit_atomic(gfn + i, uv->shared);
            set_bit(i, taken);
        }
    }
    if (bitmap_empty(taken, npages)) {
        return U_SUCCESS;       /* all private already: nothing to revoke */
    }
    /* Pairs with the barrier in spapr_uv_hold() */
    smp_mb();
    spapr_uv_gate_changed(uv, gfn, npages, false);
    spapr_uv_drain_dma();

    if (spapr_uv_held(uv, gfn, npages)) {
        for (i = 0; i < npages; i++) {
            if (test_bit(i, taken)) {
                set_bit_atomic(gfn + i, uv->shared);
            }
        }
        trace_spapr_uv_unshare_busy(gfn << uv->page_shift,
                                    npages << uv->page_shift);
        /*
         * Linux's pseries set_memory_encrypted() ignores this and reuses
         * the pages as private: they stay shared, and the hypervisor side
         * can see what it then writes there.  Say so.
         */
        qemu_log_mask(LOG_GUEST_ERROR, "spapr-uv: UV_UNSHARE_PAGE of "
                      "0x%" PRIx64 "+0x%" PRIx64 " refused (U_BUSY): a "
                      "device still holds it; the pages stay shared\n",
                      gfn << uv->page_shift, npages << uv->page_shift);
        return U_BUSY;
    }
    for (i = find_first_bit(taken, npages); i < npages;
         i = find_next_bit(taken, npages, i + 1)) {
        spapr_uv_scrub_pages(uv, gfn + i, 1);
    }
    return U_SUCCESS;
}

/* UV_SHARE_PAGE, UV_UNSHARE_PAGE: gfn in r4, number of pages in r5 */
static target_ulong spapr_uv_share(SpaprUltravisor *uv, PowerPCCPU *cpu,
                                   bool share)
{
    CPUPPCState *env = &cpu->env;
    uint64_t gfn = env->gpr[4];
    uint64_t npages = env->gpr[5];

    if (!uv->secure || !(env->msr & R_MSR_S_MASK)) {
        return U_PERMISSION;
    }
    if (!npages || gfn >= uv->nr_pages || npages > uv->nr_pages - gfn) {
        return U_P2;
    }
    return share ? spapr_uv_share_pages(uv, gfn, npages) :
                   spapr_uv_unshare_pages(uv, gfn, npages);
}

static target_ulong spapr_uv_unshare_all(SpaprUltravisor *uv,
                                         PowerPCCPU *cpu)
{
    if (!uv->secure || !(cpu->env.msr & R_MSR_S_MASK)) {
        return U_PERMISSION;
    }
    return spapr_uv_unshare_pages(uv, 0, uv->nr_pages);
}

static void spapr_uv_do_ultracall(SpaprUltravisor *uv, PowerPCCPU *cpu)
{
    CPUPPCState *env = &cpu->env;
    target_ulong opcode = env->gpr[3];
    target_ulong r4 = env->gpr[4], r5 = env->gpr[5];
    target_ulong ret;

    if (env->msr & (R_MSR_PR_MASK | MSR_HVB)) {
        ret = U_PERMISSION;
    } else {
        switch (opcode) {
        case UV_ESM:
            ret = spapr_uv_esm(uv, cpu);
            if (ret == U_SUCCESS) {
                trace_spapr_uv_ultracall(opcode, r4, r5, ret);
                return;     /* resumed at kbase, r3 = fdt */
            }
            break;
        case UV_SHARE_PAGE:
            ret = spapr_uv_share(uv, cpu, true);
            break;
        case UV_UNSHARE_PAGE:
            ret = spapr_uv_share(uv, cpu, false);
            break;
        case UV_UNSHARE_ALL_PAGES:
            ret = spapr_uv_unshare_all(uv, cpu);
            break;
        default:
            ret = U_FUNCTION;
            break;
        }
    }
    trace_spapr_uv_ultracall(opcode, r4, r5, ret);
    env->gpr[3] = ret;
}

/*
 * "sc 2" from a vCPU.  Without pef-guest there is no Ultravisor: the call
 * then goes to the hypervisor, which fails it (an unknown hcall), as on
 * hardware without one.
 */
bool spapr_uv_ultracall(PPCVirtualHypervisor *vhyp, PowerPCCPU *cpu)
{
    SpaprMachineState *spapr = SPAPR_MACHINE(vhyp);

    if (!spapr->uv) {
        return false;
    }
    spapr_uv_do_ultracall(spapr->uv, cpu);
    return true;
}

/*
 * Wipe the private pages of a secure guest that is going away, as the real
 * Ultravisor scrubs a terminated secure VM's memory: once the machine
 * leaves secure mode, the hypervisor side may read all of RAM again.
 * Machine reset calls this before devices are reset, so that what reset
 * loads (firmware, kernel and initrd images) lands after the wipe.
 */
static void spapr_uv_scrub_private(SpaprUltravisor *uv)
{
    int64_t first, end;

    for (first = find_first_zero_bit(uv->shared, uv->nr_pages);
         first < uv->nr_pages;
         first = find_next_zero_bit(uv->shared, uv->nr_pages, end)) {
        end = find_next_bit(uv->shared, uv->nr_pages, first);
        spapr_uv_scrub_pages(uv, first, end - first);
    }
}

void spapr_uv_reset(SpaprUltravisor *uv)
{
    if (uv->secure) {
        trace_spapr_uv_reset_scrub(uv->nr_pages - spapr_uv_nr_shared(uv));
        spapr_uv_scrub_private(uv);
    }
    /*
     * Machine reset leaves secure mode; the CPUs' reset clears MSR[S].  A
     * reader without the BQL (a detached dump) must see the scrub first.
     */
    qatomic_store_release(&uv->secure, false);
    bitmap_zero(uv->shared, uv->nr_pages);
    uv->denied_reads = uv->denied_writes = 0;
    uv->next_denial = 0;
    memset(uv->last_denials, 0, sizeof(uv->last_denials));
}

PefInfo *spapr_uv_info(SpaprUltravisor *uv)
{
    PefInfo *info = g_new0(PefInfo, 1);
    PefSharedRangeList **shared_tail = &info->shared;
    PefDenialList **denial_tail = &info->last_denials;
    uint64_t page_size = 1ULL << uv->page_shift;
    int64_t first, end;
    unsigned i, nr_ranges = 0;

    info->secure = qatomic_read(&uv->secure);
    info->debug = uv->cfg.debug;
    info->page_size = page_size;
    info->reserved = g_new0(PefSharedRange, 1);
    info->reserved->start = uv->bounce_base;
    info->reserved->size = uv->bounce_size;
    info->bitmap_size = BITS_TO_LONGS(uv->nr_pages) * sizeof(unsigned long);
    info->shared_pages = spapr_uv_nr_shared(uv);
    info->denied_reads = qatomic_read(&uv->denied_reads);
    info->denied_writes = qatomic_read(&uv->denied_writes);

    for (first = find_first_bit(uv->shared, uv->nr_pages);
         first < uv->nr_pages;
         first = find_next_bit(uv->shared, uv->nr_pages, end)) {
        PefSharedRange *range;

        if (nr_ranges++ == SPAPR_UV_INFO_MAX_RANGES) {
            /* With 4 KiB pages a guest can share half a million ranges */
            info->shared_truncated = true;
            break;
        }
        range = g_new0(PefSharedRange, 1);
        end = find_next_zero_bit(uv->shared, uv->nr_pages, first);
        range->start = first * page_size;
        range->size = (end - first) * page_size;
        QAPI_LIST_APPEND(shared_tail, range);
    }

    for (i = 0; i < SPAPR_UV_DENIAL_LOG; i++) {
        unsigned next = qatomic_read(&uv->next_denial);
        SpaprUvDenial *d = &uv->last_denials[(next + i) %
                                             SPAPR_UV_DENIAL_LOG];
        PefDenial *denial;

        if (!d->size) {
            continue;
        }
        denial = g_new0(PefDenial, 1);
        denial->gpa = d->gpa;
        denial->size = d->size;
        denial->write = d->is_write;
        denial->requester = g_strdup(d->who);
        QAPI_LIST_APPEND(denial_tail, denial);
    }
    return info;
}

/*
 * Debug readers that copy guest memory out (dump-guest-memory): may they
 * show the @len bytes at @gpa?  Not if any of it is private, unless
 * pef-guest's debug=on.
 */
bool spapr_uv_debug_hidden(SpaprUltravisor *uv, hwaddr gpa, hwaddr len)
{
    hwaddr mask = (1ULL << uv->page_shift) - 1;
    hwaddr addr;

    if (uv->cfg.debug || !len) {
        return false;
    }
    for (addr = gpa & ~mask; addr < gpa + len; addr += mask + 1) {
        if (!spapr_uv_page_shared(uv, addr)) {
            return true;
        }
    }
    return false;
}

/* The vCPUs' registers may hold private data: the same rule */
bool spapr_uv_debug_cpus_hidden(SpaprUltravisor *uv)
{
    return qatomic_load_acquire(&uv->secure) && !uv->cfg.debug;
}

/* What a dump of the guest hides, for the dump's notes */
char *spapr_uv_dump_note(SpaprUltravisor *uv)
{
    uint64_t shared = spapr_uv_nr_shared(uv);

    if (!qatomic_read(&uv->secure)) {
        return g_strdup("pef-guest: not a secure guest (yet): all memory "
                        "is shown");
    }
    if (uv->cfg.debug) {
        return g_strdup_printf("pef-guest: secure guest, debug=on: private "
                               "memory is shown (%" PRIu64 " of %d pages "
                               "of %" PRIu64 " bytes shared)", shared,
                               uv->nr_pages, (uint64_t)1 << uv->page_shift);
    }
    return g_strdup_printf("pef-guest: secure guest, debug=off: private "
                           "memory is written as zeros and the vCPUs' "
                           "registers are left out (%" PRIu64 " of %d "
                           "pages of %" PRIu64 " bytes not shared)",
                           uv->nr_pages - shared, uv->nr_pages,
                           (uint64_t)1 << uv->page_shift);
}

/*
 * Tell the guest which RAM the Ultravisor keeps for itself, in a
 * /reserved-memory node (Documentation/devicetree/bindings/
 * reserved-memory): the firmware passes it on, and Linux keeps the
 * range out of its allocator from the start.
 */
void spapr_uv_dt_reserved(SpaprUltravisor *uv, void *fdt)
{
    g_autofree char *name = g_strdup_printf("ibm,uv-rtas-bounce@%" PRIx64,
                                            uv->bounce_base);
    uint64_t reg[] = {
        cpu_to_be64(uv->bounce_base), cpu_to_be64(uv->bounce_size)
    };
    int parent, node;

    parent = fdt_subnode_offset(fdt, 0, "reserved-memory");
    if (parent < 0) {
        _FDT(parent = fdt_add_subnode(fdt, 0, "reserved-memory"));
        _FDT(fdt_setprop_cell(fdt, parent, "#address-cells", 2));
        _FDT(fdt_setprop_cell(fdt, parent, "#size-cells", 2));
        _FDT(fdt_setprop(fdt, parent, "ranges", NULL, 0));
    }
    _FDT(node = fdt_add_subnode(fdt, parent, name));
    _FDT(fdt_setprop(fdt, node, "reg", reg, sizeof(reg)));
    _FDT(fdt_setprop(fdt, node, "no-map", NULL, 0));
}

static SpaprUltravisor *spapr_uv_find(Error **errp)
{
    SpaprMachineState *spapr = (SpaprMachineState *)
        object_dynamic_cast(qdev_get_machine(), TYPE_SPAPR_MACHINE);

    if (!spapr || !spapr->uv) {
        error_setg(errp, "The machine has no emulated Ultravisor "
                   "(it needs pseries with pef-guest under TCG)");
        return NULL;
    }
    return spapr->uv;
}

PefInfo *qmp_query_pef(Error **errp)
{
    SpaprUltravisor *uv = spapr_uv_find(errp);

    return uv ? spapr_uv_info(uv) : NULL;
}

void hmp_info_pef(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    SpaprUltravisor *uv = spapr_uv_find(&err);
    g_autoptr(PefInfo) info = NULL;
    PefSharedRangeList *range;
    PefDenialList *denial;

    if (!uv) {
        monitor_printf(mon, "%s\n", error_get_pretty(err));
        error_free(err);
        return;
    }
    info = spapr_uv_info(uv);
    monitor_printf(mon, "secure: %s\n", info->secure ? "yes" : "no");
    monitor_printf(mon, "debug: %s\n", info->debug ? "on" : "off");
    monitor_printf(mon, "page size: %" PRIu64 "\n", info->page_size);
    monitor_printf(mon, "reserved: 0x%016" PRIx64 "-0x%016" PRIx64 "\n",
                   info->reserved->start,
                   info->reserved->start + info->reserved->size - 1);
    monitor_printf(mon, "bitmap size: %" PRIu64 " bytes\n",
                   info->bitmap_size);
    monitor_printf(mon, "shared pages: %" PRIu64 "\n", info->shared_pages);
    for (range = info->shared; range; range = range->next) {
        monitor_printf(mon, "  0x%016" PRIx64 "-0x%016" PRIx64 "\n",
                       range->value->start,
                       range->value->start + range->value->size - 1);
    }
    if (info->shared_truncated) {
        monitor_printf(mon, "  ... (only the first %d ranges shown)\n",
                       SPAPR_UV_INFO_MAX_RANGES);
    }
    monitor_printf(mon, "denied reads: %" PRIu64 "\n", info->denied_reads);
    monitor_printf(mon, "denied writes: %" PRIu64 "\n", info->denied_writes);
    for (denial = info->last_denials; denial; denial = denial->next) {
        monitor_printf(mon, "  %s of %u bytes at 0x%" PRIx64 " by %s\n",
                       denial->value->write ? "write" : "read",
                       denial->value->size, denial->value->gpa,
                       denial->value->requester);
    }
}

/* A stream that shares pages without a secure guest is not ours */
static int spapr_uv_post_load(void *opaque, int version_id)
{
    SpaprUltravisor *uv = opaque;

    if (!uv->secure && !bitmap_empty(uv->shared, uv->nr_pages)) {
        error_report("spapr-uv: migration stream shares pages, but the "
                     "guest is not secure");
        bitmap_zero(uv->shared, uv->nr_pages);
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_spapr_uv = {
    .name = "spapr-ultravisor",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = spapr_uv_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(secure, SpaprUltravisor),
        VMSTATE_INT32_EQUAL(nr_pages, SpaprUltravisor, NULL),
        VMSTATE_UINT64_EQUAL(bounce_base, SpaprUltravisor, NULL),
        VMSTATE_BITMAP(shared, SpaprUltravisor, 0, nr_pages),
        VMSTATE_UINT64(denied_reads, SpaprUltravisor),
        VMSTATE_UINT64(denied_writes, SpaprUltravisor),
        VMSTATE_END_OF_LIST()
    },
};

int spapr_uv_init(SpaprMachineState *spapr, const SpaprUvConfig *cfg,
                  Error **errp)
{
    MachineState *ms = MACHINE(spapr);
    uint64_t page_size = cfg->page_size;
    uint64_t bounce_top;
    SpaprUltravisor *uv;

    if (!is_power_of_2(page_size) || page_size < 4 * KiB ||
        page_size > 16 * MiB) {
        error_setg(errp, "pef-guest: page-size must be a power of 2 between "
                   "4 KiB and 16 MiB");
        return -1;
    }
    if (!QEMU_IS_ALIGNED(ms->ram_size, page_size)) {
        error_setg(errp, "pef-guest: RAM size must be a multiple of "
                   "page-size (%" PRIu64 " bytes)", page_size);
        return -1;
    }
    if (ms->ram_size >> ctz64(page_size) > INT32_MAX) {
        error_setg(errp, "pef-guest: too many pages; use a larger page-size");
        return -1;
    }
    bounce_top = MIN(ms->ram_size, SPAPR_UV_BOUNCE_TOP);
    if (bounce_top < 2 * SPAPR_UV_BOUNCE_GAP) {
        error_setg(errp, "pef-guest: RAM too small for the Ultravisor's "
                   "pages (they go %d MiB below the end of RAM)",
                   (int)(SPAPR_UV_BOUNCE_GAP / MiB));
        return -1;
    }
    if (ms->maxram_size > ms->ram_size) {
        error_setg(errp, "pef-guest: memory hotplug (maxmem) is not "
                   "supported with the emulated Ultravisor");
        return -1;
    }

    if (!cfg->gate && cfg->stop_on_violation) {
        error_setg(errp, "pef-guest: stop-on-violation needs the gate "
                   "(x-gate=on): without it no access is refused");
        return -1;
    }

    uv = g_new0(SpaprUltravisor, 1);
    uv->cfg = *cfg;
    uv->page_shift = ctz64(page_size);
    if (!cfg->gate) {
        warn_report("pef-guest: x-gate=off: the hypervisor side of QEMU can "
                    "read and write a secure guest's private memory (a "
                    "debug setting, to measure what the gate costs; virtio "
                    "still maps only shared pages)");
    }
    uv->nr_pages = ms->ram_size >> uv->page_shift;
    uv->shared = bitmap_new(uv->nr_pages);
    uv->bounce_size = SPAPR_UV_BOUNCE_SIZE;
    uv->bounce_base = bounce_top - SPAPR_UV_BOUNCE_GAP;
    spapr_uv_hold_init(uv);
    spapr_uv_gate_init(uv, ms->ram);
    vmstate_register(NULL, 0, &vmstate_spapr_uv, uv);
    spapr->uv = uv;
    return 0;
}
