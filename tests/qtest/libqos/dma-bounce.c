/*
 * libqos DMA ops: bounce buffers in shared memory (a small swiotlb)
 *
 * A secure guest's memory is private: the hypervisor, and so every
 * emulated device, sees only pages the guest shared.  Like Linux's swiotlb
 * in a secure guest, these ops keep a bounded pool of shared pages; map
 * copies a buffer into the pool (for the device to read), unmap and
 * sync_for_cpu copy what the device wrote back to the buffer.  Coherent
 * memory (vrings) is carved from the pool itself.  The pool's bus
 * addresses come from the lower ops, direct or IOMMU.  A full pool is a
 * mapping error, as for swiotlb, never a crash.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "dma-ops.h"

#define POOL_PAGE_SHIFT     12
#define POOL_PAGE_SIZE      (1ULL << POOL_PAGE_SHIFT)

typedef struct BounceSlot {
    uint64_t orig;              /* the driver's buffer */
    uint64_t len;
    uint64_t bus;               /* what the device got */
    unsigned long npages;       /* 0: not the first page of a mapping */
    QDMA *lower;
} BounceSlot;

struct QDMABouncePool {
    QTestState *qts;
    QGuestAllocator *alloc;
    QDMAShareFn share;
    uint64_t share_align;       /* the platform shares in units this big */
    uint64_t mem;               /* what guest_alloc() gave */
    uint64_t base;              /* first shared page, 0 until first use */
    bool unusable;              /* the platform refused to share it */
    unsigned long npages;
    unsigned long *used;
    BounceSlot *slots;
    QDMABounceStats stats;
};

typedef struct QDMABounce {
    QDMA dma;
    QDMABouncePool *pool;
    QDMA *lower;
} QDMABounce;

static bool pool_ready(QDMABouncePool *pool)
{
    uint64_t size = QEMU_ALIGN_UP(pool->npages << POOL_PAGE_SHIFT,
                                  pool->share_align);

    if (!pool->base && !pool->unusable) {
        /* Whole sharing units, so that nothing else gets shared */
        pool->mem = guest_alloc(pool->alloc, size + pool->share_align);
        pool->base = QEMU_ALIGN_UP(pool->mem, pool->share_align);
        if (!pool->share(pool->qts, pool->base, size)) {
            guest_free(pool->alloc, pool->mem);
            pool->base = 0;
            pool->unusable = true;
        }
    }
    return !pool->unusable;
}

/* Take pages for @len bytes; the slot index or -1 if the pool is full */
static long pool_get(QDMABouncePool *pool, uint64_t len)
{
    unsigned long n = DIV_ROUND_UP(len ? len : 1, POOL_PAGE_SIZE);
    unsigned long first;

    if (!pool_ready(pool)) {
        return -1;
    }
    first = bitmap_find_next_zero_area(pool->used, pool->npages, 0, n, 0);
    if (first >= pool->npages) {
        return -1;
    }
    bitmap_set(pool->used, first, n);
    pool->slots[first].npages = n;
    return first;
}

static void pool_put(QDMABouncePool *pool, unsigned long first)
{
    unsigned long n = pool->slots[first].npages;

    bitmap_clear(pool->used, first, n);
    memset(&pool->slots[first], 0, sizeof(pool->slots[first]));
}

static uint64_t pool_gpa(QDMABouncePool *pool, unsigned long i)
{
    return pool->base + (i << POOL_PAGE_SHIFT);
}

/*
 * The mapping @b made at @bus; a driver bug if there is none.  Bounce ops
 * over different lower ops share the pool, and their bus addresses are
 * only unique per lower ops.
 */
static unsigned long pool_find(QDMABounce *b, uint64_t bus)
{
    QDMABouncePool *pool = b->pool;
    unsigned long i;

    for (i = 0; i < pool->npages; i++) {
        if (pool->slots[i].npages && pool->slots[i].bus == bus &&
            pool->slots[i].lower == b->lower) {
            return i;
        }
    }
    g_assert_not_reached();
}

static void copy(QDMABouncePool *pool, uint64_t dst, uint64_t src,
                 uint64_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);

    qtest_memread(pool->qts, src, buf, len);
    qtest_bufwrite(pool->qts, dst, buf, len);
}

static uint64_t bounce_map(QDMA *dma, uint64_t gpa, uint64_t len, QDMADir dir)
{
    QDMABounce *b = container_of(dma, QDMABounce, dma);
    QDMABouncePool *pool = b->pool;
    long i = pool_get(pool, len);
    BounceSlot *s;

    pool->stats.maps++;
    if (i < 0) {
        pool->stats.failed_maps++;
        return QDMA_MAPPING_ERROR;
    }
    s = &pool->slots[i];
    /*
     * Always, as swiotlb does since CVE-2022-0854: a device that writes
     * less than @len must not leave a previous mapping's bytes to be
     * copied back into the buffer.
     */
    if (len) {
        copy(pool, pool_gpa(pool, i), gpa, len);
        pool->stats.bytes_out += len;
    }
    s->bus = qdma_map(b->lower, pool_gpa(pool, i), len, dir);
    if (s->bus == QDMA_MAPPING_ERROR) {
        pool->stats.failed_maps++;
        pool_put(pool, i);
        return QDMA_MAPPING_ERROR;
    }
    s->orig = gpa;
    s->len = len;
    s->lower = b->lower;
    return s->bus;
}

/* What the device wrote into mapping @i goes back to the driver's buffer */
static void copy_back(QDMABouncePool *pool, unsigned long i, uint64_t len,
                      QDMADir dir)
{
    if ((dir & QDMA_FROM_DEVICE) && len) {
        g_assert_cmpuint(len, <=, pool->slots[i].len);
        copy(pool, pool->slots[i].orig, pool_gpa(pool, i), len);
        pool->stats.bytes_in += len;
    }
}

static void bounce_sync_for_cpu(QDMA *dma, uint64_t bus, uint64_t len,
                                QDMADir dir)
{
    QDMABounce *b = container_of(dma, QDMABounce, dma);

    copy_back(b->pool, pool_find(b, bus), len, dir);
}

static void bounce_unmap(QDMA *dma, uint64_t bus, uint64_t len, QDMADir dir)
{
    QDMABounce *b = container_of(dma, QDMABounce, dma);
    unsigned long i = pool_find(b, bus);

    qdma_unmap(b->lower, bus, len, dir);
    copy_back(b->pool, i, len, dir);
    pool_put(b->pool, i);
}

static uint64_t bounce_alloc(QDMA *dma, uint64_t size, uint64_t *bus)
{
    QDMABounce *b = container_of(dma, QDMABounce, dma);
    QDMABouncePool *pool = b->pool;
    long i = pool_get(pool, size);
    g_autofree uint8_t *zero = NULL;

    if (i < 0) {
        return 0;
    }
    zero = g_malloc0(size);
    qtest_bufwrite(pool->qts, pool_gpa(pool, i), zero, size);
    *bus = qdma_map(b->lower, pool_gpa(pool, i), size, QDMA_BIDIRECTIONAL);
    if (*bus == QDMA_MAPPING_ERROR) {
        pool_put(pool, i);
        return 0;
    }
    pool->slots[i].bus = *bus;
    pool->slots[i].lower = b->lower;
    return pool_gpa(pool, i);
}

static void bounce_free(QDMA *dma, uint64_t gpa, uint64_t size, uint64_t bus)
{
    QDMABounce *b = container_of(dma, QDMABounce, dma);

    qdma_unmap(b->lower, bus, size, QDMA_BIDIRECTIONAL);
    pool_put(b->pool, pool_find(b, bus));
}

static void bounce_destroy(QDMA *dma)
{
    g_free(container_of(dma, QDMABounce, dma));
}

static const QDMAOps qdma_bounce_ops = {
    .name = "bounce",
    .map = bounce_map,
    .unmap = bounce_unmap,
    .sync_for_cpu = bounce_sync_for_cpu,
    .alloc = bounce_alloc,
    .free = bounce_free,
    .destroy = bounce_destroy,
};

QDMA *qdma_bounce_new(QDMABouncePool *pool, QDMA *lower)
{
    QDMABounce *b = g_new0(QDMABounce, 1);

    b->dma.ops = &qdma_bounce_ops;
    b->dma.qts = pool->qts;
    b->dma.alloc = pool->alloc;
    b->pool = pool;
    b->lower = lower;
    return &b->dma;
}

QDMABouncePool *qdma_bounce_pool(QDMA *dma)
{
    return dma->ops == &qdma_bounce_ops ?
           container_of(dma, QDMABounce, dma)->pool : NULL;
}

QDMABouncePool *qdma_bounce_pool_new(QTestState *qts, QGuestAllocator *alloc,
                                     uint64_t pool_pages, uint64_t share_align,
                                     QDMAShareFn share)
{
    QDMABouncePool *pool = g_new0(QDMABouncePool, 1);

    pool->share_align = share_align;
    pool->qts = qts;
    pool->alloc = alloc;
    pool->share = share;
    pool->npages = pool_pages;
    pool->used = bitmap_new(pool_pages);
    pool->slots = g_new0(BounceSlot, pool_pages);
    return pool;
}

void qdma_bounce_pool_stats(QDMABouncePool *pool, QDMABounceStats *stats)
{
    *stats = pool->stats;
    stats->pool_pages = pool->npages;
    stats->used_pages = bitmap_count_one(pool->used, pool->npages);
}

void qdma_bounce_pool_free(QDMABouncePool *pool)
{
    if (pool) {
        g_free(pool->used);
        g_free(pool->slots);
        g_free(pool);
    }
}
