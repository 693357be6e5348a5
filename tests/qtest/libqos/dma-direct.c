/*
 * libqos DMA ops: direct, the bus address is the guest physical address
 *
 * What a device that does not translate sees, and what libqos drivers
 * always did.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "dma-ops.h"

static uint64_t direct_map(QDMA *dma, uint64_t gpa, uint64_t len,
                           QDMADir dir)
{
    return gpa;
}

static void direct_unmap(QDMA *dma, uint64_t bus, uint64_t len, QDMADir dir)
{
}

static uint64_t direct_alloc(QDMA *dma, uint64_t size, uint64_t *bus)
{
    *bus = guest_alloc(dma->alloc, size);
    return *bus;
}

static void direct_free(QDMA *dma, uint64_t gpa, uint64_t size, uint64_t bus)
{
    guest_free(dma->alloc, gpa);
}

static void direct_destroy(QDMA *dma)
{
    g_free(dma);
}

static const QDMAOps qdma_direct_ops = {
    .name = "direct",
    .map = direct_map,
    .unmap = direct_unmap,
    .alloc = direct_alloc,
    .free = direct_free,
    .destroy = direct_destroy,
};

QDMA *qdma_direct_new(QTestState *qts, QGuestAllocator *alloc)
{
    QDMA *dma = g_new0(QDMA, 1);

    dma->ops = &qdma_direct_ops;
    dma->qts = qts;
    dma->alloc = alloc;
    return dma;
}

void qdma_destroy(QDMA *dma)
{
    if (dma) {
        dma->ops->destroy(dma);
    }
}
