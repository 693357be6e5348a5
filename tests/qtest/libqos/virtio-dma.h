/*
 * libqos virtio DMA: the init-time hook that picks a device's DMA ops
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LIBQOS_VIRTIO_DMA_H
#define LIBQOS_VIRTIO_DMA_H

#include "virtio.h"
#include "dma-ops.h"

/**
 * qvirtio_update_dma_ops:
 * @d: the device, its features just negotiated
 * @access_platform: whether VIRTIO_F_ACCESS_PLATFORM was negotiated
 *
 * Installs @d's DMA ops.  The one place this policy lives, as in a
 * guest kernel's DMA setup for virtio:
 * without ACCESS_PLATFORM the device uses guest physical addresses
 * (direct), with it the platform's IOMMU; a secure guest bounces either
 * through shared memory.  libqos calls it from qvirtio_set_features().
 * A device whose bus has no DMA platform keeps the historical direct
 * behaviour (d->dma stays NULL).
 */
void qvirtio_update_dma_ops(QVirtioDevice *d, bool access_platform);

/* The name of @d's DMA ops: "direct", "iommu" or "bounce" */
const char *qvirtio_dma_ops_name(QVirtioDevice *d);

/*
 * What the virtio core and drivers use for every address they give the
 * device: @d's ops, or guest physical addresses if it has none.
 */
uint64_t qvirtio_dma_map(QVirtioDevice *d, uint64_t gpa, uint64_t len,
                         QDMADir dir);
void qvirtio_dma_unmap(QVirtioDevice *d, uint64_t bus, uint64_t len,
                       QDMADir dir);
void qvirtio_dma_sync_for_cpu(QVirtioDevice *d, uint64_t bus, uint64_t len,
                              QDMADir dir);
uint64_t qvirtio_dma_alloc(QDMA *dma, QGuestAllocator *alloc, uint64_t size,
                           uint64_t *bus);
void qvirtio_dma_free(QDMA *dma, QGuestAllocator *alloc, uint64_t gpa,
                      uint64_t size, uint64_t bus);

/**
 * QVirtioSeg:
 * One buffer of a request, as the driver's caller sees it: @data is the
 * host copy, sent to the device if !@write, received from it if @write.
 * If @raw, the device gets the bus address @bus as it is, which nothing
 * mapped (what a buggy or hostile driver does), and @data is not used.
 */
typedef struct QVirtioSeg {
    void *data;
    uint32_t len;
    bool write;
    bool raw;
    uint64_t bus;
} QVirtioSeg;

/* Could not map a buffer (bounce pool or IOMMU window full) */
#define QVIRTIO_ENOSPC  (-ENOSPC)
/* The device did not complete the request (refused, NEEDS_RESET, timeout) */
#define QVIRTIO_EIO     (-EIO)

/**
 * QVirtioReq:
 * A request on its way: made by qvirtio_req_submit(), done with by
 * qvirtio_req_finish().
 */
typedef struct QVirtioReq {
    QVirtioDevice *d;
    QGuestAllocator *alloc;
    QVirtQueue *vq;
    QVirtioSeg *segs;
    unsigned nsegs;
    uint64_t *gpa, *bus;
    QVRingIndirectDesc *table;
    uint32_t head;
} QVirtioReq;

/**
 * qvirtio_req_submit:
 * @qts: the machine.
 * @r: the request, filled in.
 * @d: the device.
 * @alloc: the guest's memory, for the buffers.
 * @vq: the virtqueue.
 * @segs: the buffers, which must stay until qvirtio_req_finish().
 * @nsegs: how many.
 * @indirect: whether to hand them over through an indirect table.
 *
 * Put @segs in guest memory, map each through @d's DMA ops, hand them to
 * the device as one chain on @vq and kick it.  When the chain does not
 * fit in what is left of @vq's descriptors, descriptors are reused from
 * the first: only do without waiting for each request if they fit.
 *
 * Returns: 0, or QVIRTIO_ENOSPC if a buffer could not be mapped: then
 * nothing was submitted and @r is not to be finished.
 */
int qvirtio_req_submit(QTestState *qts, QVirtioReq *r, QVirtioDevice *d,
                       QGuestAllocator *alloc, QVirtQueue *vq,
                       QVirtioSeg *segs, unsigned nsegs, bool indirect);

/**
 * qvirtio_req_wait:
 * @qts: the machine.
 * @r: a request qvirtio_req_submit() made.
 * @len: if not NULL, receives the length the device reported written.
 * @timeout_us: how long to wait.
 *
 * Wait for the device to use the next buffer of @r's virtqueue: @r's,
 * if the device completes requests in order and did all before it.
 *
 * Returns: whether it did in time.
 */
bool qvirtio_req_wait(QTestState *qts, QVirtioReq *r, uint32_t *len,
                      gint64 timeout_us);

/**
 * qvirtio_req_finish:
 * @qts: the machine.
 * @r: a request qvirtio_req_submit() made.
 *
 * Unmap @r's buffers and copy the writable ones back into their @data,
 * whether the device completed it or not, so that a caller sees exactly
 * what guest memory holds.
 */
void qvirtio_req_finish(QTestState *qts, QVirtioReq *r);

/**
 * qvirtio_transfer:
 * qvirtio_req_submit(), wait up to @timeout_us for the device, then
 * qvirtio_req_finish(): one synchronous request, what every driver below
 * uses; it knows nothing of which ops are in use.
 * Returns the length the device reported written, or QVIRTIO_ENOSPC or
 * QVIRTIO_EIO.  After QVIRTIO_EIO the device may still own descriptors:
 * reset it before using @vq again.
 */
int64_t qvirtio_transfer(QTestState *qts, QVirtioDevice *d,
                         QGuestAllocator *alloc, QVirtQueue *vq,
                         QVirtioSeg *segs, unsigned nsegs, bool indirect,
                         gint64 timeout_us);

/**
 * QVirtioBlkReq:
 * A virtio-blk request that a test builds itself, to change what the
 * device gets (see qvirtio_blk_req_init()).  Its segments point into it:
 * initialise it where it stays.
 */
typedef struct QVirtioBlkReq {
    uint8_t hdr[16];
    uint8_t status;
    QVirtioSeg segs[3];
} QVirtioBlkReq;

/**
 * qvirtio_blk_req_init:
 * @req: the request.
 * @d: the virtio-blk device, for its byte order.
 * @type: VIRTIO_BLK_T_IN or VIRTIO_BLK_T_OUT.
 * @sector: where on the disk.
 * @data: the buffer, @len bytes.
 * @len: its length.
 *
 * Make @req's three segments: header, @data and status (0xff until the
 * device writes it), ready for qvirtio_transfer() or
 * qvirtio_req_submit().
 */
void qvirtio_blk_req_init(QVirtioBlkReq *req, QVirtioDevice *d,
                          uint32_t type, uint64_t sector, void *data,
                          uint32_t len);

/**
 * qvirtio_blk_request_at:
 * @qts: the machine.
 * @d: the virtio-blk device.
 * @alloc: the guest's memory.
 * @vq: its request queue.
 * @type: VIRTIO_BLK_T_IN or VIRTIO_BLK_T_OUT.
 * @sector: where on the disk.
 * @bus: the bus address of the data buffer, as the device gets it.
 * @len: the buffer's length.
 *
 * One synchronous virtio-blk request whose header and status go through
 * @d's DMA ops, and whose data buffer is at @bus, which the test chose:
 * an address nothing mapped, or that it mapped itself.
 *
 * Returns: what qvirtio_transfer() returns.
 */
int64_t qvirtio_blk_request_at(QTestState *qts, QVirtioDevice *d,
                               QGuestAllocator *alloc, QVirtQueue *vq,
                               uint32_t type, uint64_t sector, uint64_t bus,
                               uint32_t len);

/**
 * qvirtio_dma_mode:
 * @qts: the machine.
 * @qom: the QOM path of a virtio device's backend.
 *
 * Returns: how QEMU's device reaches guest memory, its "dma-mode"
 * property: "direct" or "platform"; the caller frees it.
 */
char *qvirtio_dma_mode(QTestState *qts, const char *qom);

/* sPAPR (dma-spapr.c): PHB 0's TCE window, secure guests' bounce pool */
QDMAPlatform *qdma_spapr_platform_new(QTestState *qts,
                                      QGuestAllocator *alloc);
void qdma_platform_free(QDMAPlatform *p);

/**
 * qvirtio_fill_pattern:
 * Fill @buf with test data that differs with @seed, at every offset and
 * across 512-byte sectors.
 */
void qvirtio_fill_pattern(uint8_t *buf, size_t len, uint8_t seed);

#endif
