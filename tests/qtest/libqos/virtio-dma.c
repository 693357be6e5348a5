/*
 * libqos virtio DMA: the init-time hook that picks a device's DMA ops
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "virtio-dma.h"

void qvirtio_update_dma_ops(QVirtioDevice *d, bool access_platform)
{
    QDMAPlatform *p = d->bus->get_dma_platform ?
                      d->bus->get_dma_platform(d) : NULL;
    bool secure;

    if (!p) {
        d->dma = NULL;
        return;
    }
    secure = p->is_secure && p->is_secure(p);
    if (access_platform && p->iommu) {
        d->dma = secure ? p->bounce_iommu : p->iommu;
    } else {
        d->dma = secure ? p->bounce_direct : p->direct;
    }
    g_assert(d->dma);
}

const char *qvirtio_dma_ops_name(QVirtioDevice *d)
{
    return d->dma ? d->dma->ops->name : "direct";
}

uint64_t qvirtio_dma_map(QVirtioDevice *d, uint64_t gpa, uint64_t len,
                         QDMADir dir)
{
    return d->dma ? qdma_map(d->dma, gpa, len, dir) : gpa;
}

void qvirtio_dma_unmap(QVirtioDevice *d, uint64_t bus, uint64_t len,
                       QDMADir dir)
{
    if (d->dma) {
        qdma_unmap(d->dma, bus, len, dir);
    }
}

void qvirtio_dma_sync_for_cpu(QVirtioDevice *d, uint64_t bus, uint64_t len,
                              QDMADir dir)
{
    if (d->dma) {
        qdma_sync_for_cpu(d->dma, bus, len, dir);
    }
}

uint64_t qvirtio_dma_alloc(QDMA *dma, QGuestAllocator *alloc, uint64_t size,
                           uint64_t *bus)
{
    if (dma) {
        return qdma_alloc(dma, size, bus);
    }
    *bus = guest_alloc(alloc, size);
    return *bus;
}

void qvirtio_dma_free(QDMA *dma, QGuestAllocator *alloc, uint64_t gpa,
                      uint64_t size, uint64_t bus)
{
    if (dma) {
        qdma_free(dma, gpa, size, bus);
    } else {
        guest_free(alloc, gpa);
    }
}

void qdma_platform_free(QDMAPlatform *p)
{
    if (p) {
        p->destroy(p);
    }
}
