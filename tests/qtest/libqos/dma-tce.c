/*
 * libqos DMA ops: sPAPR TCE translation (the PAPR IOMMU)
 *
 * Bus addresses come from one DMA window of a LIOBN; mapping installs one
 * TCE per 4 KiB page with H_PUT_TCE, with the device's access limited to
 * the direction of the transfer, and unmapping clears them with
 * H_STUFF_TCE, so a device that uses a stale or wrong address misses.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "dma-ops.h"
#include "spapr-guest.h"

#define TCE_SHIFT           12
#define TCE_PAGE_SIZE       (1ULL << TCE_SHIFT)
#define TCE_PAGE_MASK       (~(TCE_PAGE_SIZE - 1))

typedef struct QDMATce {
    QDMA dma;
    uint32_t liobn;
    uint64_t iova_start;
    unsigned long npages;
    unsigned long *used;        /* one bit per IOVA page */
} QDMATce;

static uint64_t tce_hcall(QDMATce *t, uint64_t opcode, uint64_t iova,
                          uint64_t tce, uint64_t npages)
{
    uint64_t args[] = { t->liobn, iova, tce, npages };

    return qtest_spapr_hcall(t->dma.qts, opcode,
                             opcode == H_STUFF_TCE ? 4 : 3, args, NULL);
}

static unsigned long tce_npages(uint64_t addr, uint64_t len)
{
    return ((addr + len + TCE_PAGE_SIZE - 1) & TCE_PAGE_MASK) >> TCE_SHIFT;
}

static void tce_clear(QDMATce *t, unsigned long first, unsigned long n)
{
    if (n) {
        tce_hcall(t, H_STUFF_TCE, t->iova_start + (first << TCE_SHIFT), 0, n);
        bitmap_clear(t->used, first, n);
    }
}

static uint64_t tce_map(QDMA *dma, uint64_t gpa, uint64_t len, QDMADir dir)
{
    QDMATce *t = container_of(dma, QDMATce, dma);
    uint64_t offset = gpa & ~TCE_PAGE_MASK;
    unsigned long n = tce_npages(offset, len ? len : 1);
    unsigned long first, i;

    first = bitmap_find_next_zero_area(t->used, t->npages, 0, n, 0);
    if (first >= t->npages) {
        return QDMA_MAPPING_ERROR;
    }
    bitmap_set(t->used, first, n);
    for (i = 0; i < n; i++) {
        uint64_t page = (gpa & TCE_PAGE_MASK) + (i << TCE_SHIFT);

        if (tce_hcall(t, H_PUT_TCE, t->iova_start + ((first + i) << TCE_SHIFT),
                      page | dir, 0) != H_SUCCESS) {
            tce_clear(t, first, n);
            return QDMA_MAPPING_ERROR;
        }
    }
    return t->iova_start + (first << TCE_SHIFT) + offset;
}

static void tce_unmap(QDMA *dma, uint64_t bus, uint64_t len, QDMADir dir)
{
    QDMATce *t = container_of(dma, QDMATce, dma);
    unsigned long first, n = tce_npages(bus & ~TCE_PAGE_MASK, len ? len : 1);

    g_assert(bus >= t->iova_start);
    first = (bus - t->iova_start) >> TCE_SHIFT;
    g_assert(first + n <= t->npages);
    tce_clear(t, first, n);
}

static uint64_t tce_alloc(QDMA *dma, uint64_t size, uint64_t *bus)
{
    uint64_t gpa = guest_alloc(dma->alloc, size);

    *bus = tce_map(dma, gpa, size, QDMA_BIDIRECTIONAL);
    if (*bus == QDMA_MAPPING_ERROR) {
        guest_free(dma->alloc, gpa);
        return 0;
    }
    return gpa;
}

static void tce_free(QDMA *dma, uint64_t gpa, uint64_t size, uint64_t bus)
{
    tce_unmap(dma, bus, size, QDMA_BIDIRECTIONAL);
    guest_free(dma->alloc, gpa);
}

static void tce_destroy(QDMA *dma)
{
    QDMATce *t = container_of(dma, QDMATce, dma);

    g_free(t->used);
    g_free(t);
}

static const QDMAOps qdma_tce_ops = {
    .name = "iommu",
    .map = tce_map,
    .unmap = tce_unmap,
    .alloc = tce_alloc,
    .free = tce_free,
    .destroy = tce_destroy,
};

QDMA *qdma_tce_new(QTestState *qts, QGuestAllocator *alloc, uint32_t liobn,
                   uint64_t iova_start, uint64_t iova_size)
{
    QDMATce *t = g_new0(QDMATce, 1);

    t->dma.ops = &qdma_tce_ops;
    t->dma.qts = qts;
    t->dma.alloc = alloc;
    t->liobn = liobn;
    t->iova_start = iova_start;
    t->npages = iova_size >> TCE_SHIFT;
    t->used = bitmap_new(t->npages);
    return &t->dma;
}
