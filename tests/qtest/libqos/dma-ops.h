/*
 * libqos DMA ops: how a driver turns guest memory into bus addresses
 *
 * The guest side of the virtio DMA plan: a driver never hands a guest
 * physical address to a device itself, it asks its DMA ops, picked once
 * when the device is initialised (see qvirtio_update_dma_ops()):
 *
 * - direct: the bus address is the guest physical address;
 * - IOMMU: the platform's translation (sPAPR: TCE entries installed with
 *   H_PUT_TCE on the PHB's LIOBN and cleared with H_STUFF_TCE on unmap);
 * - bounce: a bounded pool of pages the guest shared with the hypervisor
 *   (sPAPR: UV_SHARE_PAGE), on top of either of the above.  Mapping copies
 *   the buffer into the pool, unmapping copies it back, like swiotlb.
 *
 * Streaming mappings (map/unmap/sync_for_cpu) are for I/O buffers;
 * coherent memory (alloc/free) for what driver and device share for the
 * device's lifetime: vrings and indirect descriptor tables.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LIBQOS_DMA_OPS_H
#define LIBQOS_DMA_OPS_H

#include "../libqtest.h"
#include "libqos-malloc.h"

typedef enum QDMADir {
    QDMA_TO_DEVICE = 1,         /* the device reads the buffer */
    QDMA_FROM_DEVICE = 2,       /* the device writes the buffer */
    QDMA_BIDIRECTIONAL = 3,
} QDMADir;

/* What map and alloc return when they cannot map (pool or window full) */
#define QDMA_MAPPING_ERROR UINT64_MAX

typedef struct QDMA QDMA;

typedef struct QDMAOps {
    const char *name;
    /* Map @len bytes at @gpa; the bus address or QDMA_MAPPING_ERROR */
    uint64_t (*map)(QDMA *dma, uint64_t gpa, uint64_t len, QDMADir dir);
    /* Undo map(); the buffer is the CPU's again (bounce: copied back) */
    void (*unmap)(QDMA *dma, uint64_t bus, uint64_t len, QDMADir dir);
    /* Let the CPU see what the device wrote so far, keeping the mapping */
    void (*sync_for_cpu)(QDMA *dma, uint64_t bus, uint64_t len, QDMADir dir);
    /* Coherent memory: its guest address, *@bus set; 0 if none is left */
    uint64_t (*alloc)(QDMA *dma, uint64_t size, uint64_t *bus);
    void (*free)(QDMA *dma, uint64_t gpa, uint64_t size, uint64_t bus);
    void (*destroy)(QDMA *dma);
} QDMAOps;

struct QDMA {
    const QDMAOps *ops;
    QTestState *qts;
    QGuestAllocator *alloc;     /* the guest's memory, for buffers */
};

/* Bounce pool accounting, for tests and the benchmark */
typedef struct QDMABounceStats {
    uint64_t pool_pages;        /* shared pages in the pool */
    uint64_t used_pages;        /* of which mapped or allocated now */
    uint64_t maps, failed_maps;
    uint64_t bytes_out, bytes_in; /* copied to / from the pool */
} QDMABounceStats;

/**
 * QDMAPlatform:
 * What a bus's platform offers drivers: the three kinds of ops, and
 * whether the guest is secure.  Owned by the bus; drivers only point at
 * its ops.  The policy of which to use is qvirtio_update_dma_ops()'s.
 */
typedef struct QDMAPlatform QDMAPlatform;
struct QDMAPlatform {
    QDMA *direct;
    QDMA *iommu;                /* NULL if the bus does not translate */
    QDMA *bounce_direct;        /* NULL if guests cannot be secure */
    QDMA *bounce_iommu;
    /* Whether the guest's memory is private unless shared */
    bool (*is_secure)(QDMAPlatform *p);
    void (*destroy)(QDMAPlatform *p);
};

static inline uint64_t qdma_map(QDMA *dma, uint64_t gpa, uint64_t len,
                                QDMADir dir)
{
    return dma->ops->map(dma, gpa, len, dir);
}

static inline void qdma_unmap(QDMA *dma, uint64_t bus, uint64_t len,
                              QDMADir dir)
{
    dma->ops->unmap(dma, bus, len, dir);
}

static inline void qdma_sync_for_cpu(QDMA *dma, uint64_t bus, uint64_t len,
                                     QDMADir dir)
{
    if (dma->ops->sync_for_cpu) {
        dma->ops->sync_for_cpu(dma, bus, len, dir);
    }
}

static inline uint64_t qdma_alloc(QDMA *dma, uint64_t size, uint64_t *bus)
{
    return dma->ops->alloc(dma, size, bus);
}

static inline void qdma_free(QDMA *dma, uint64_t gpa, uint64_t size,
                             uint64_t bus)
{
    dma->ops->free(dma, gpa, size, bus);
}

void qdma_destroy(QDMA *dma);

/* dma-direct.c */
QDMA *qdma_direct_new(QTestState *qts, QGuestAllocator *alloc);

/* dma-tce.c: sPAPR TCE translation in one DMA window of one LIOBN */
QDMA *qdma_tce_new(QTestState *qts, QGuestAllocator *alloc, uint32_t liobn,
                   uint64_t iova_start, uint64_t iova_size);

/*
 * dma-bounce.c: @pool_pages 4 KiB pages from the guest allocator, aligned
 * to and shared in units of @share_align bytes on first use with @share
 * (false if the platform refused), bouncing on top of each lower ops made
 * with qdma_bounce_new().
 */
typedef struct QDMABouncePool QDMABouncePool;
typedef bool (*QDMAShareFn)(QTestState *qts, uint64_t gpa, uint64_t size);
QDMABouncePool *qdma_bounce_pool_new(QTestState *qts, QGuestAllocator *alloc,
                                     uint64_t pool_pages, uint64_t share_align,
                                     QDMAShareFn share);
void qdma_bounce_pool_free(QDMABouncePool *pool);
void qdma_bounce_pool_stats(QDMABouncePool *pool, QDMABounceStats *stats);
QDMA *qdma_bounce_new(QDMABouncePool *pool, QDMA *lower);
QDMABouncePool *qdma_bounce_pool(QDMA *dma);

#endif
