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

int64_t qvirtio_transfer(QTestState *qts, QVirtioDevice *d,
                         QGuestAllocator *alloc, QVirtQueue *vq,
                         QVirtioSeg *segs, unsigned nsegs, bool indirect,
                         gint64 timeout_us)
{
    g_autofree uint64_t *gpa = g_new0(uint64_t, nsegs);
    g_autofree uint64_t *bus = g_new0(uint64_t, nsegs);
    QVRingIndirectDesc *table = NULL;
    int64_t ret = 0;
    uint32_t head = 0, len = 0;
    unsigned i, mapped;

    for (mapped = 0; mapped < nsegs; mapped++) {
        QVirtioSeg *s = &segs[mapped];

        gpa[mapped] = guest_alloc(alloc, s->len);
        qtest_bufwrite(qts, gpa[mapped], s->data, s->len);
        bus[mapped] = qvirtio_dma_map(d, gpa[mapped], s->len,
                                      s->write ? QDMA_FROM_DEVICE :
                                      QDMA_TO_DEVICE);
        if (bus[mapped] == QDMA_MAPPING_ERROR) {
            guest_free(alloc, gpa[mapped]);
            ret = QVIRTIO_ENOSPC;
            goto out;
        }
    }

    /* Requests are synchronous: once done, all descriptors are free */
    if (vq->free_head + (indirect ? 1 : nsegs) > vq->size) {
        qvirtqueue_reset_pool(vq);
    }
    if (indirect) {
        table = qvring_indirect_desc_setup(qts, d, alloc, nsegs);
        for (i = 0; i < nsegs; i++) {
            qvring_indirect_desc_add(d, qts, table, bus[i], segs[i].len,
                                     segs[i].write);
        }
        head = qvirtqueue_add_indirect(qts, vq, table);
    } else {
        for (i = 0; i < nsegs; i++) {
            uint32_t idx = qvirtqueue_add(qts, vq, bus[i], segs[i].len,
                                          segs[i].write, i + 1 < nsegs);
            if (i == 0) {
                head = idx;
            }
        }
    }
    qvirtqueue_kick(qts, d, vq, head);
    ret = qvirtqueue_wait_buf(qts, vq, NULL, &len, timeout_us) ? len :
          QVIRTIO_EIO;
    if (table) {
        qvring_indirect_desc_free(alloc, table);
    }

out:
    for (i = 0; i < mapped; i++) {
        QVirtioSeg *s = &segs[i];

        qvirtio_dma_unmap(d, bus[i], s->len,
                          s->write ? QDMA_FROM_DEVICE : QDMA_TO_DEVICE);
        if (s->write) {
            qtest_memread(qts, gpa[i], s->data, s->len);
        }
        guest_free(alloc, gpa[i]);
    }
    return ret;
}

void qdma_platform_free(QDMAPlatform *p)
{
    if (p) {
        p->destroy(p);
    }
}
