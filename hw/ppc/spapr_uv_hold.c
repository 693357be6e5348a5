/*
 * The Ultravisor's record of shared pages that devices hold mapped
 *
 * The gate (spapr_uv_gate.c) checks every access the hypervisor side makes
 * when it makes it.  A device that maps a buffer (address_space_map) gets
 * a host pointer instead, and can go on using it after the guest took the
 * page back: a virtio-serial port whose chardev is throttled, for one,
 * keeps the guest's buffer mapped until the backend drains.  The real
 * Ultravisor does not let a page go private while the hypervisor holds
 * it; this record lets UV_UNSHARE_PAGE do the same.
 *
 * Virtio mappings are recorded through the machine's virtio DMA policy;
 * devices that hold mappings outside virtqueues (virtio-gpu, vfio, vhost)
 * are refused in a secure guest when they are plugged.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bitops.h"
#include "qemu/lockable.h"
#include "qemu/rcu.h"
#include "system/memory.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "hw/ppc/spapr_uv.h"
#include "trace.h"

typedef struct SpaprUvHold {
    void *host;
    hwaddr len;
} SpaprUvHold;

static guint spapr_uv_hold_hash(gconstpointer key)
{
    const SpaprUvHold *h = key;

    return g_direct_hash(h->host) ^ (guint)h->len;
}

static gboolean spapr_uv_hold_equal(gconstpointer a, gconstpointer b)
{
    const SpaprUvHold *ha = a, *hb = b;

    return ha->host == hb->host && ha->len == hb->len;
}

/*
 * The guest physical range of a host mapping, if it is guest RAM: the RAM
 * region itself, or one of its memory backends (NUMA).
 */
static bool spapr_uv_host_to_gpa(SpaprUltravisor *uv, void *host,
                                 hwaddr *gpa)
{
    ram_addr_t offset;
    MemoryRegion *mr;

    RCU_READ_LOCK_GUARD();
    mr = memory_region_from_host(host, &offset);
    if (!mr) {
        return false;
    }
    if (mr == uv->ram) {
        *gpa = offset;
    } else if (mr->container == uv->ram) {
        *gpa = mr->addr + offset;
    } else {
        return false;
    }
    return true;
}

/*
 * A device mapped [@host, @host + @len).  Returns false if the mapping
 * must not be used: the guest unshared the page while it was being mapped.
 */
bool spapr_uv_hold(SpaprUltravisor *uv, void *host, hwaddr len)
{
    SpaprUvHold *key;
    uintptr_t count;
    hwaddr gpa;

    if (!len || !spapr_uv_host_to_gpa(uv, host, &gpa)) {
        return true;            /* not guest RAM: nothing to hold */
    }
    key = g_new(SpaprUvHold, 1);
    key->host = host;
    key->len = len;
    WITH_QEMU_LOCK_GUARD(&uv->hold_lock) {
        count = GPOINTER_TO_UINT(g_hash_table_lookup(uv->holds, key));
        g_hash_table_insert(uv->holds, key, GUINT_TO_POINTER(count + 1));
    }
    /* Pairs with the barrier in spapr_uv_unshare_pages() */
    smp_mb();
    if (qatomic_read(&uv->secure) && !spapr_uv_range_shared(uv, gpa, len)) {
        spapr_uv_release(uv, host, len);
        trace_spapr_uv_hold_refused(gpa, len);
        return false;
    }
    return true;
}

void spapr_uv_release(SpaprUltravisor *uv, void *host, hwaddr len)
{
    SpaprUvHold key = { .host = host, .len = len };
    uintptr_t count;

    QEMU_LOCK_GUARD(&uv->hold_lock);
    count = GPOINTER_TO_UINT(g_hash_table_lookup(uv->holds, &key));
    if (count > 1) {
        g_hash_table_insert(uv->holds, g_memdup2(&key, sizeof(key)),
                            GUINT_TO_POINTER(count - 1));
    } else if (count) {
        g_hash_table_remove(uv->holds, &key);
    }
}

/* Whether a device holds a mapping of a page in [first, first + npages) */
bool spapr_uv_held(SpaprUltravisor *uv, uint64_t first_page, uint64_t npages)
{
    hwaddr start = first_page << uv->page_shift;
    hwaddr end = (first_page + npages) << uv->page_shift;
    GHashTableIter iter;
    gpointer key;
    hwaddr gpa;

    QEMU_LOCK_GUARD(&uv->hold_lock);
    g_hash_table_iter_init(&iter, uv->holds);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        SpaprUvHold *h = key;

        if (spapr_uv_host_to_gpa(uv, h->host, &gpa) &&
            gpa < end && gpa + h->len > start) {
            trace_spapr_uv_held(gpa, h->len);
            return true;
        }
    }
    return false;
}

/*
 * PCI devices that keep guest memory mapped beyond a request the block
 * layer can drain: vfio-pci maps guest RAM into the host IOMMU; the AHCI
 * HBA keeps its command list and FIS area mapped while a port runs;
 * MegaRAID keeps a frame mapped while it waits for an event.  An unshare
 * cannot take a page back from them.
 */
static const char *const spapr_uv_refused_pci[] = {
    "vfio-pci", "ich9-ahci", "megasas-base",
};

/* A PCI device plugged into a machine with the emulated Ultravisor */
bool spapr_uv_check_pci_device(SpaprUltravisor *uv, DeviceState *dev,
                               Error **errp)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(spapr_uv_refused_pci); i++) {
        if (object_dynamic_cast(OBJECT(dev), spapr_uv_refused_pci[i])) {
            error_setg(errp, "%s cannot be used with the emulated "
                       "Ultravisor (pef-guest under TCG): it keeps guest "
                       "memory mapped where the Ultravisor cannot take it "
                       "back", object_get_typename(OBJECT(dev)));
            error_append_hint(errp, "Use virtio-pci devices in a secure "
                              "guest.\n");
            return false;
        }
    }
    return true;
}

void spapr_uv_hold_init(SpaprUltravisor *uv)
{
    qemu_mutex_init(&uv->hold_lock);
    uv->holds = g_hash_table_new_full(spapr_uv_hold_hash, spapr_uv_hold_equal,
                                      g_free, NULL);
}
