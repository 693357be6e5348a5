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
 */
typedef struct QVirtioSeg {
    void *data;
    uint32_t len;
    bool write;
} QVirtioSeg;

/* Could not map a buffer (bounce pool or IOMMU window full) */
#define QVIRTIO_ENOSPC  (-ENOSPC)
/* The device did not complete the request (refused, NEEDS_RESET, timeout) */
#define QVIRTIO_EIO     (-EIO)

/**
 * qvirtio_transfer:
 * Put @segs in guest memory, map each through @d's DMA ops, hand them to
 * the device as one chain on @vq (through an indirect table if
 * @indirect), wait up to @timeout_us for it, then unmap and copy the
 * writable segments back into their @data -- also when the device failed,
 * so a caller sees exactly what guest memory holds.  What every driver
 * below uses; it knows nothing of which ops are in use.
 * Returns the length the device reported written, or QVIRTIO_ENOSPC or
 * QVIRTIO_EIO.  After QVIRTIO_EIO the device may still own descriptors:
 * reset it before using @vq again.
 */
int64_t qvirtio_transfer(QTestState *qts, QVirtioDevice *d,
                         QGuestAllocator *alloc, QVirtQueue *vq,
                         QVirtioSeg *segs, unsigned nsegs, bool indirect,
                         gint64 timeout_us);

/* sPAPR (dma-spapr.c): PHB 0's TCE window, secure guests' bounce pool */
QDMAPlatform *qdma_spapr_platform_new(QTestState *qts,
                                      QGuestAllocator *alloc);
void qdma_platform_free(QDMAPlatform *p);

#endif
