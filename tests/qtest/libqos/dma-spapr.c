/*
 * libqos DMA platform for sPAPR: PHB 0's TCE window and, for secure
 * guests, a bounce pool shared through the Ultravisor
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "spapr-guest.h"
#include "virtio-dma.h"

/* PHB 0's default 32-bit DMA window: LIOBN, 1 GiB at bus address 0 */
#define SPAPR_PHB0_LIOBN        0x80000000
/*
 * Hand out I/O virtual addresses from the window's upper quarter, above
 * the RAM of qtest guests (512 MiB by default), so that a device that
 * skipped translation misses instead of hitting the right page.
 */
#define SPAPR_IOVA_START        0x30000000ULL
#define SPAPR_IOVA_SIZE         0x10000000ULL

#define SPAPR_BOUNCE_PAGES      256     /* 1 MiB of shared 4 KiB pages */

typedef struct QDMASpapr {
    QDMAPlatform p;
    QTestState *qts;
    QDMABouncePool *pool;
} QDMASpapr;

/* @gpa and @size are multiples of the Ultravisor's page size */
static bool spapr_share(QTestState *qts, uint64_t gpa, uint64_t size)
{
    return qspapr_uv_share(qts, gpa, size) == U_SUCCESS;
}

/* Secure as the Ultravisor sees it; false without one */
static bool spapr_is_secure(QDMAPlatform *p)
{
    return qspapr_is_secure(container_of(p, QDMASpapr, p)->qts);
}

static void spapr_destroy(QDMAPlatform *p)
{
    QDMASpapr *s = container_of(p, QDMASpapr, p);

    qdma_destroy(p->bounce_iommu);
    qdma_destroy(p->bounce_direct);
    qdma_destroy(p->iommu);
    qdma_destroy(p->direct);
    qdma_bounce_pool_free(s->pool);
    g_free(s);
}

QDMAPlatform *qdma_spapr_platform_new(QTestState *qts, QGuestAllocator *alloc)
{
    QDMASpapr *s = g_new0(QDMASpapr, 1);

    s->qts = qts;
    s->pool = qdma_bounce_pool_new(qts, alloc, SPAPR_BOUNCE_PAGES,
                                   QSPAPR_UV_PAGE_SIZE, spapr_share);
    s->p.direct = qdma_direct_new(qts, alloc);
    s->p.iommu = qdma_tce_new(qts, alloc, SPAPR_PHB0_LIOBN,
                              SPAPR_IOVA_START, SPAPR_IOVA_SIZE);
    s->p.bounce_direct = qdma_bounce_new(s->pool, s->p.direct);
    s->p.bounce_iommu = qdma_bounce_new(s->pool, s->p.iommu);
    s->p.is_secure = spapr_is_secure;
    s->p.destroy = spapr_destroy;
    return &s->p;
}
