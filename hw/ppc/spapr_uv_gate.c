/*
 * The Ultravisor's gate: what the hypervisor side of QEMU may touch
 *
 * With the emulated Ultravisor, RAM is not mapped directly into the
 * system memory map.  An IOMMU memory region takes its place, so every
 * access QEMU makes as the hypervisor -- device DMA in direct or
 * TCE-translated mode (the TCE tables target address_space_memory), hcall
 * and RTAS buffers, XIVE queues, the VPA -- goes through one translate
 * function: shared pages (or all pages before UV_ESM) go on to RAM, the
 * rest to a region that moves no data, counts and reports the access.
 * The vCPUs get their own root in which RAM is mapped directly, so the
 * guest's own loads and stores are not affected.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/cutils.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "system/address-spaces.h"
#include "hw/core/cpu.h"
#include "system/runstate.h"
#include "hw/ppc/spapr_uv.h"
#include "trace.h"

/*
 * TypeInfo::class_init's data is const from QEMU 10.1; the series is also
 * maintained for 10.0
 */
#if QEMU_VERSION_MAJOR == 10 && QEMU_VERSION_MINOR == 0
typedef void SpaprUvClassData;
#else
typedef const void SpaprUvClassData;
#endif

/* Which accesses the gate tells apart */
enum {
    SPAPR_UV_GATE_IDX_ACCESS,   /* devices, hcalls, RTAS: the hypervisor */
    SPAPR_UV_GATE_IDX_DEBUG,    /* MemTxAttrs.debug: dumps, monitor, gdb */
    SPAPR_UV_GATE_NUM_IDX,
};

/*
 * Whether the hypervisor side may reach @gpa: every page before UV_ESM;
 * then the pages the guest shared and the Ultravisor's own bounce pages
 */
bool spapr_uv_page_shared(SpaprUltravisor *uv, hwaddr gpa)
{
    uint64_t page = gpa >> uv->page_shift;

    /* Pairs with the release in spapr_uv_reset(): scrubbed before public */
    if (!qatomic_load_acquire(&uv->secure)) {
        return true;
    }
    /* The Ultravisor's own pages (unsigned: below them wraps round) */
    if (gpa - uv->bounce_base < uv->bounce_size) {
        return true;
    }
    return page < uv->nr_pages && test_bit(page, uv->shared);
}

/*
 * Whether the guest shared every page of [@gpa, @gpa + @len): the bitmap
 * only, for callers that checked the secure state themselves; the
 * Ultravisor's own pages do not count
 */
bool spapr_uv_range_shared(SpaprUltravisor *uv, hwaddr gpa, hwaddr len)
{
    uint64_t page, last = (gpa + len - 1) >> uv->page_shift;

    if (!len || gpa + len < gpa) {
        return false;
    }

    for (page = gpa >> uv->page_shift; page <= last; page++) {
        if (page >= uv->nr_pages || !test_bit(page, uv->shared)) {
            return false;
        }
    }
    return true;
}

static IOMMUTLBEntry spapr_uv_gate_entry(SpaprUltravisor *uv, hwaddr addr,
                                         AddressSpace *target)
{
    /* No larger than the Ultravisor's own pages, which may be in a page */
    hwaddr mask = MIN(1ULL << uv->page_shift, SPAPR_UV_BOUNCE_SIZE) - 1;

    return (IOMMUTLBEntry) {
        .target_as = target,
        .iova = addr & ~mask,
        .translated_addr = addr & ~mask,
        .addr_mask = mask,
        .perm = IOMMU_RW,
    };
}

/*
 * Where an access to @addr goes: shared pages (all pages before UV_ESM)
 * to RAM; a private page to RAM for a debug reader only with pef-guest's
 * debug=on, and otherwise to @refused, which is where the view's own
 * accesses go
 */
static IOMMUTLBEntry spapr_uv_gate_route(SpaprUltravisor *uv, hwaddr addr,
                                         int iommu_idx, AddressSpace *refused)
{
    AddressSpace *target = &uv->ram_as;

    if (!spapr_uv_page_shared(uv, addr)) {
        if (iommu_idx != SPAPR_UV_GATE_IDX_DEBUG) {
            target = refused;
        } else if (!uv->cfg.debug) {
            target = &uv->hidden_as;
        }
    }
    return spapr_uv_gate_entry(uv, addr, target);
}

/* The hypervisor's view, in place of RAM in the system memory map */
static IOMMUTLBEntry spapr_uv_gate_translate(IOMMUMemoryRegion *iommu,
                                             hwaddr addr,
                                             IOMMUAccessFlags flag,
                                             int iommu_idx)
{
    SpaprUltravisor *uv = container_of(iommu, SpaprUltravisor, gate);

    return spapr_uv_gate_route(uv, addr, iommu_idx, &uv->denied_as);
}

/* The vCPUs' view: their own accesses always reach RAM */
static IOMMUTLBEntry spapr_uv_cpu_gate_translate(IOMMUMemoryRegion *iommu,
                                                 hwaddr addr,
                                                 IOMMUAccessFlags flag,
                                                 int iommu_idx)
{
    SpaprUltravisor *uv = container_of(iommu, SpaprUltravisor, cpu_gate);

    return spapr_uv_gate_route(uv, addr, iommu_idx, &uv->ram_as);
}

static int spapr_uv_gate_attrs_to_index(IOMMUMemoryRegion *iommu,
                                        MemTxAttrs attrs)
{
    return attrs.debug ? SPAPR_UV_GATE_IDX_DEBUG : SPAPR_UV_GATE_IDX_ACCESS;
}

static int spapr_uv_gate_num_indexes(IOMMUMemoryRegion *iommu)
{
    return SPAPR_UV_GATE_NUM_IDX;
}

static void spapr_uv_gate_deny(SpaprUltravisor *uv, hwaddr gpa,
                               unsigned size, bool is_write)
{
    unsigned slot = qatomic_fetch_inc(&uv->next_denial) % SPAPR_UV_DENIAL_LOG;
    SpaprUvDenial *d = &uv->last_denials[slot];
    uint64_t n;

    /* Accesses from the hypervisor side can come from any thread */
    if (is_write) {
        n = qatomic_fetch_inc(&uv->denied_writes) + 1;
    } else {
        n = qatomic_fetch_inc(&uv->denied_reads) + 1;
    }
    d->gpa = gpa;
    d->size = size;
    d->is_write = is_write;
    if (current_cpu) {
        snprintf(d->who, sizeof(d->who), "vcpu%d", current_cpu->cpu_index);
    } else {
        pstrcpy(d->who, sizeof(d->who), "io");
    }

    trace_spapr_uv_denied(gpa, size, is_write ? "write" : "read", d->who);
    /* Rate limit: the first 16, then each power of two */
    if (n <= 16 || is_power_of_2(n)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "spapr-uv: hypervisor %s of %u bytes at 0x%" HWADDR_PRIx
                      " (%s) refused: page not shared (%" PRIu64 " %s "
                      "refused so far)\n", is_write ? "write" : "read",
                      size, gpa, d->who, n, is_write ? "writes" : "reads");
    }
    if (uv->cfg.stop_on_violation && runstate_is_running()) {
        qemu_system_vmstop_request_prepare();
        qemu_system_vmstop_request(RUN_STATE_PAUSED);
    }
}

/*
 * Where refused accesses end up: with @opaque the Ultravisor, the
 * hypervisor side's, which are violations; without, a debug reader's
 * (MemTxAttrs.debug) of a private page without pef-guest,debug=on, which
 * are not: the guest's privacy held.  Reads see zeros, writes go nowhere,
 * and whoever asked is told.
 */
static MemTxResult spapr_uv_refused_read(void *opaque, hwaddr addr,
                                         uint64_t *data, unsigned size,
                                         MemTxAttrs attrs)
{
    if (opaque) {
        spapr_uv_gate_deny(opaque, addr, size, false);
    } else {
        trace_spapr_uv_debug_hidden(addr, size, "read");
    }
    *data = 0;
    return MEMTX_ACCESS_ERROR;
}

static MemTxResult spapr_uv_refused_write(void *opaque, hwaddr addr,
                                          uint64_t data, unsigned size,
                                          MemTxAttrs attrs)
{
    if (opaque) {
        spapr_uv_gate_deny(opaque, addr, size, true);
    } else {
        trace_spapr_uv_debug_hidden(addr, size, "write");
    }
    return MEMTX_ACCESS_ERROR;
}

/* No data moves either way: any byte order reads as zeros */
static const MemoryRegionOps spapr_uv_refused_ops = {
    .read_with_attrs = spapr_uv_refused_read,
    .write_with_attrs = spapr_uv_refused_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/* Tell cached translations (vhost, ...) that pages changed hands */
void spapr_uv_gate_changed(SpaprUltravisor *uv, uint64_t first_page,
                           uint64_t npages, bool shared)
{
    uint64_t page_size = 1ULL << uv->page_shift;
    uint64_t i;

    trace_spapr_uv_gate_changed(first_page << uv->page_shift,
                                npages << uv->page_shift, shared);
    if (shared || !uv->cfg.gate) {
        return;     /* nothing cached needs to go, or no gate to ask */
    }
    for (i = first_page; i < first_page + npages; i++) {
        IOMMUTLBEvent event = {
            .type = IOMMU_NOTIFIER_UNMAP,
            .entry = {
                .target_as = &uv->ram_as,
                .iova = i << uv->page_shift,
                .translated_addr = i << uv->page_shift,
                .addr_mask = page_size - 1,
                .perm = IOMMU_NONE,
            },
        };

        memory_region_notify_iommu(&uv->gate, 0, event);
    }
}

void spapr_uv_gate_init(SpaprUltravisor *uv, MemoryRegion *ram)
{
    uint64_t size = memory_region_size(ram);

    uv->ram = ram;
    memory_region_init(&uv->ram_root, NULL, "spapr-uv-ram", size);
    memory_region_add_subregion(&uv->ram_root, 0, ram);
    address_space_init(&uv->ram_as, &uv->ram_root, "spapr-uv-ram");

    memory_region_init_io(&uv->denied, NULL, &spapr_uv_refused_ops, uv,
                          "spapr-uv-denied", UINT64_MAX);
    address_space_init(&uv->denied_as, &uv->denied, "spapr-uv-denied");

    memory_region_init_io(&uv->hidden, NULL, &spapr_uv_refused_ops, NULL,
                          "spapr-uv-hidden", UINT64_MAX);
    address_space_init(&uv->hidden_as, &uv->hidden, "spapr-uv-hidden");

    memory_region_init_iommu(&uv->gate, sizeof(uv->gate),
                             TYPE_SPAPR_UV_GATE_MEMORY_REGION, NULL,
                             "spapr-uv-gate", size);

    /*
     * The vCPUs see RAM (and debug readers of their view see it as through
     * the gate), and everything else as the system does
     */
    memory_region_init(&uv->cpu_root, NULL, "spapr-cpu-memory", UINT64_MAX);
    memory_region_init_iommu(&uv->cpu_gate, sizeof(uv->cpu_gate),
                             TYPE_SPAPR_UV_CPU_GATE_MEMORY_REGION, NULL,
                             "spapr-uv-cpu-gate", size);
    memory_region_add_subregion_overlap(&uv->cpu_root, 0,
                                        MEMORY_REGION(&uv->cpu_gate), 1);
    memory_region_init_alias(&uv->cpu_sysmem, NULL, "spapr-cpu-system",
                             get_system_memory(), 0, UINT64_MAX);
    memory_region_add_subregion_overlap(&uv->cpu_root, 0, &uv->cpu_sysmem, 0);
}

/*
 * Put the gate where RAM would be in the system memory map; with
 * x-gate=off, RAM itself (so the gate's cost can be measured on its own)
 */
void spapr_uv_gate_map_ram(SpaprUltravisor *uv, MemoryRegion *sysmem)
{
    if (uv->cfg.gate) {
        memory_region_add_subregion(sysmem, 0, MEMORY_REGION(&uv->gate));
    } else {
        memory_region_init_alias(&uv->ram_ungated, NULL, "spapr-uv-ungated",
                                 uv->ram, 0, memory_region_size(uv->ram));
        memory_region_add_subregion(sysmem, 0, &uv->ram_ungated);
    }
}

static void spapr_uv_gate_class_init(ObjectClass *klass,
                                     SpaprUvClassData *data)
{
    IOMMUMemoryRegionClass *imrc = IOMMU_MEMORY_REGION_CLASS(klass);

    imrc->translate = spapr_uv_gate_translate;
    imrc->attrs_to_index = spapr_uv_gate_attrs_to_index;
    imrc->num_indexes = spapr_uv_gate_num_indexes;
}

/* The vCPUs' gate: the same, but for where their own accesses go */
static void spapr_uv_cpu_gate_class_init(ObjectClass *klass,
                                         SpaprUvClassData *data)
{
    IOMMU_MEMORY_REGION_CLASS(klass)->translate = spapr_uv_cpu_gate_translate;
}

static const TypeInfo spapr_uv_gate_types[] = {
    {
        .parent = TYPE_IOMMU_MEMORY_REGION,
        .name = TYPE_SPAPR_UV_GATE_MEMORY_REGION,
        .class_init = spapr_uv_gate_class_init,
    }, {
        .parent = TYPE_SPAPR_UV_GATE_MEMORY_REGION,
        .name = TYPE_SPAPR_UV_CPU_GATE_MEMORY_REGION,
        .class_init = spapr_uv_cpu_gate_class_init,
    },
};

DEFINE_TYPES(spapr_uv_gate_types)
