/*
 * libqos virtio DMA: the init-time hook that picks a device's DMA ops
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qobject/qdict.h"
#include "standard-headers/linux/virtio_blk.h"
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

static QDMADir seg_dir(QVirtioSeg *s)
{
    return s->write ? QDMA_FROM_DEVICE : QDMA_TO_DEVICE;
}

/* Unmap and free @r's first @n buffers, copying back what the device wrote */
static void req_unmap(QTestState *qts, QVirtioReq *r, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        QVirtioSeg *s = &r->segs[i];

        if (s->raw) {
            continue;
        }
        qvirtio_dma_unmap(r->d, r->bus[i], s->len, seg_dir(s));
        if (s->write) {
            qtest_memread(qts, r->gpa[i], s->data, s->len);
        }
        guest_free(r->alloc, r->gpa[i]);
    }
    g_free(r->gpa);
    g_free(r->bus);
}

int qvirtio_req_submit(QTestState *qts, QVirtioReq *r, QVirtioDevice *d,
                       QGuestAllocator *alloc, QVirtQueue *vq,
                       QVirtioSeg *segs, unsigned nsegs, bool indirect)
{
    unsigned i;

    *r = (QVirtioReq) {
        .d = d, .alloc = alloc, .vq = vq, .segs = segs, .nsegs = nsegs,
        .gpa = g_new0(uint64_t, nsegs), .bus = g_new0(uint64_t, nsegs),
    };
    for (i = 0; i < nsegs; i++) {
        QVirtioSeg *s = &segs[i];

        if (s->raw) {
            r->bus[i] = s->bus;
            continue;
        }
        r->gpa[i] = guest_alloc(alloc, s->len);
        qtest_bufwrite(qts, r->gpa[i], s->data, s->len);
        r->bus[i] = qvirtio_dma_map(d, r->gpa[i], s->len, seg_dir(s));
        if (r->bus[i] == QDMA_MAPPING_ERROR) {
            guest_free(alloc, r->gpa[i]);
            req_unmap(qts, r, i);
            return QVIRTIO_ENOSPC;
        }
    }

    if (vq->free_head + (indirect ? 1 : nsegs) > vq->size) {
        qvirtqueue_reset_pool(vq);
    }
    if (indirect) {
        r->table = qvring_indirect_desc_setup(qts, d, alloc, nsegs);
        for (i = 0; i < nsegs; i++) {
            qvring_indirect_desc_add(d, qts, r->table, r->bus[i],
                                     segs[i].len, segs[i].write);
        }
        r->head = qvirtqueue_add_indirect(qts, vq, r->table);
    } else {
        for (i = 0; i < nsegs; i++) {
            uint32_t idx = qvirtqueue_add(qts, vq, r->bus[i], segs[i].len,
                                          segs[i].write, i + 1 < nsegs);
            if (i == 0) {
                r->head = idx;
            }
        }
    }
    qvirtqueue_kick(qts, d, vq, r->head);
    return 0;
}

bool qvirtio_req_wait(QTestState *qts, QVirtioReq *r, uint32_t *len,
                      gint64 timeout_us)
{
    return qvirtqueue_wait_buf(qts, r->vq, NULL, len, timeout_us);
}

void qvirtio_req_finish(QTestState *qts, QVirtioReq *r)
{
    if (r->table) {
        qvring_indirect_desc_free(r->alloc, r->table);
    }
    req_unmap(qts, r, r->nsegs);
}

int64_t qvirtio_transfer(QTestState *qts, QVirtioDevice *d,
                         QGuestAllocator *alloc, QVirtQueue *vq,
                         QVirtioSeg *segs, unsigned nsegs, bool indirect,
                         gint64 timeout_us)
{
    QVirtioReq r;
    uint32_t len = 0;
    int64_t ret;

    ret = qvirtio_req_submit(qts, &r, d, alloc, vq, segs, nsegs, indirect);
    if (ret < 0) {
        return ret;
    }
    /* Requests are synchronous: once done, all descriptors are free */
    ret = qvirtio_req_wait(qts, &r, &len, timeout_us) ? len : QVIRTIO_EIO;
    qvirtio_req_finish(qts, &r);
    return ret;
}

void qvirtio_blk_req_init(QVirtioBlkReq *req, QVirtioDevice *d,
                          uint32_t type, uint64_t sector, void *data,
                          uint32_t len)
{
    memset(req->hdr, 0, sizeof(req->hdr));
    if (qvirtio_is_big_endian(d)) {
        stl_be_p(req->hdr, type);
        stq_be_p(req->hdr + 8, sector);
    } else {
        stl_le_p(req->hdr, type);
        stq_le_p(req->hdr + 8, sector);
    }
    req->status = 0xff;
    req->segs[0] = (QVirtioSeg) { req->hdr, sizeof(req->hdr), false };
    req->segs[1] = (QVirtioSeg) { data, len, type == VIRTIO_BLK_T_IN };
    req->segs[2] = (QVirtioSeg) { &req->status, 1, true };
}

int64_t qvirtio_blk_request_at(QTestState *qts, QVirtioDevice *d,
                               QGuestAllocator *alloc, QVirtQueue *vq,
                               uint32_t type, uint64_t sector, uint64_t bus,
                               uint32_t len)
{
    QVirtioBlkReq req;

    qvirtio_blk_req_init(&req, d, type, sector, NULL, len);
    req.segs[1].raw = true;
    req.segs[1].bus = bus;
    return qvirtio_transfer(qts, d, alloc, vq, req.segs, 3, false,
                            5 * G_USEC_PER_SEC);
}

char *qvirtio_dma_mode(QTestState *qts, const char *qom)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': %s, 'property': 'dma-mode' } }", qom);
    char *mode = g_strdup(qdict_get_str(rsp, "return"));

    qobject_unref(rsp);
    return mode;
}

void qdma_platform_free(QDMAPlatform *p)
{
    if (p) {
        p->destroy(p);
    }
}

void qvirtio_fill_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = seed + i * 7 + (i >> 9);
    }
}
