/*
 * Emulated Ultravisor for pseries secure guests (PEF) under TCG
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SPAPR_UV_H
#define HW_SPAPR_UV_H

#include "system/memory.h"
#include "qemu/thread.h"
#include "target/ppc/cpu.h"
#include "qapi/qapi-types-misc-ppc.h"

typedef struct SpaprMachineState SpaprMachineState;

/* Ultracall opcodes (Linux asm/ultravisor-api.h, open-power/ultravisor) */
#define UV_WRITE_PATE           0xF104
#define UV_RESTRICTED_SPR_WRITE 0xF108
#define UV_RESTRICTED_SPR_READ  0xF10C
#define UV_ESM                  0xF110
#define UV_RETURN               0xF11C
#define UV_REGISTER_MEM_SLOT    0xF120
#define UV_UNREGISTER_MEM_SLOT  0xF124
#define UV_PAGE_IN              0xF128
#define UV_PAGE_OUT             0xF12C
#define UV_SHARE_PAGE           0xF130
#define UV_UNSHARE_PAGE         0xF134
#define UV_PAGE_INVAL           0xF138
#define UV_SVM_TERMINATE        0xF13C
#define UV_UNSHARE_ALL_PAGES    0xF140

/* Return codes */
#define U_SUCCESS               0
#define U_BUSY                  1       /* H_BUSY */
#define U_FUNCTION              -2
#define U_PARAMETER             -4
#define U_RETRY                 -5
#define U_PERMISSION            -11
#define U_P2                    -55
#define U_P3                    -56

#define SPAPR_UV_DEFAULT_PAGE_SIZE  (64 * KiB)

/*
 * The Ultravisor's own pages for reflected H_RTAS, which the hypervisor
 * may read and write.  RTAS passes 32-bit addresses, so, as the real
 * Ultravisor does, it keeps them in guest RAM below 4 GiB, and tells the
 * guest in /reserved-memory.  They stay clear of the top of RAM (or of the
 * RMA), where QEMU puts the device tree (2 MiB) and prom_init instantiates
 * RTAS.  64 KiB whatever the page size: the gate passes them, and only
 * them, in units of 64 KiB.
 */
#define SPAPR_UV_BOUNCE_SIZE        (64 * KiB)
#define SPAPR_UV_BOUNCE_TOP         (4 * GiB)
#define SPAPR_UV_BOUNCE_GAP         (4 * MiB)
#define SPAPR_UV_DENIAL_LOG         8
#define SPAPR_UV_INFO_MAX_RANGES    1024

typedef struct SpaprUvDenial {
    uint64_t gpa;
    uint32_t size;
    bool is_write;
    char who[16];
} SpaprUvDenial;

/* The emulated Ultravisor's configuration: pef-guest's properties */
typedef struct SpaprUvConfig {
    uint64_t page_size;
    bool stop_on_violation;
    bool gate;                  /* off: debug, to measure the gate's cost */
    bool debug;                 /* debug readers may see private memory */
} SpaprUvConfig;

typedef struct SpaprUltravisor {
    SpaprUvConfig cfg;
    uint32_t page_shift;        /* of cfg.page_size */

    /* secure state: set by UV_ESM, cleared by machine reset */
    bool secure;
    int32_t nr_pages;           /* RAM pages of 1 << page_shift */
    unsigned long *shared;      /* one bit per page */

    /* denials, since the last reset */
    uint64_t denied_reads;
    uint64_t denied_writes;
    SpaprUvDenial last_denials[SPAPR_UV_DENIAL_LOG];
    unsigned next_denial;

    /* The gate between the hypervisor's view of RAM and RAM */
    MemoryRegion *ram;
    IOMMUMemoryRegion gate;
    MemoryRegion ram_root;      /* RAM as the Ultravisor sees it */
    AddressSpace ram_as;
    MemoryRegion denied;        /* where refused accesses end up */
    AddressSpace denied_as;
    MemoryRegion hidden;        /* where refused debug reads end up */
    AddressSpace hidden_as;
    MemoryRegion cpu_root;      /* what the vCPUs see: RAM ungated */
    IOMMUMemoryRegion cpu_gate; /* ... except for debug readers */
    MemoryRegion cpu_sysmem;
    MemoryRegion ram_ungated;   /* the hypervisor's view with x-gate=off */

    /* Ultravisor-owned pages in RAM for reflected H_RTAS */
    hwaddr bounce_base;
    uint64_t bounce_size;

    /* Mappings of shared pages devices hold (spapr_uv_hold.c) */
    QemuMutex hold_lock;
    GHashTable *holds;
} SpaprUltravisor;

#define TYPE_SPAPR_UV_GATE_MEMORY_REGION "spapr-uv-gate-memory-region"
#define TYPE_SPAPR_UV_CPU_GATE_MEMORY_REGION "spapr-uv-cpu-gate-memory-region"

/* spapr_uv.c */
int spapr_uv_init(SpaprMachineState *spapr, const SpaprUvConfig *cfg,
                  Error **errp);
void spapr_uv_reset(SpaprUltravisor *uv);
bool spapr_uv_ultracall(PPCVirtualHypervisor *vhyp, PowerPCCPU *cpu);
PefInfo *spapr_uv_info(SpaprUltravisor *uv);
void spapr_uv_dt_reserved(SpaprUltravisor *uv, void *fdt);
bool spapr_uv_debug_hidden(SpaprUltravisor *uv, hwaddr gpa, hwaddr len);
bool spapr_uv_debug_cpus_hidden(SpaprUltravisor *uv);
char *spapr_uv_dump_note(SpaprUltravisor *uv);

/* spapr_uv_gate.c */
bool spapr_uv_page_shared(SpaprUltravisor *uv, hwaddr gpa);
bool spapr_uv_range_shared(SpaprUltravisor *uv, hwaddr gpa, hwaddr len);
void spapr_uv_gate_init(SpaprUltravisor *uv, MemoryRegion *ram);
void spapr_uv_gate_map_ram(SpaprUltravisor *uv, MemoryRegion *sysmem);
void spapr_uv_gate_changed(SpaprUltravisor *uv, uint64_t first_page,
                           uint64_t npages, bool shared);

/* spapr_uv_hold.c */
void spapr_uv_hold_init(SpaprUltravisor *uv);
bool spapr_uv_hold(SpaprUltravisor *uv, void *host, hwaddr len);
void spapr_uv_release(SpaprUltravisor *uv, void *host, hwaddr len);
bool spapr_uv_held(SpaprUltravisor *uv, uint64_t first_page,
                   uint64_t npages);
bool spapr_uv_check_pci_device(SpaprUltravisor *uv, DeviceState *dev,
                               Error **errp);

/* spapr_uv_hcall.c */
target_ulong spapr_uv_hypercall(SpaprMachineState *spapr, PowerPCCPU *cpu,
                                target_ulong opcode, target_ulong *args);

#endif
