/*
 * sPAPR policy for virtio DMA
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SPAPR_VIRTIO_DMA_H
#define HW_SPAPR_VIRTIO_DMA_H

#include "hw/virtio/virtio-dma-policy.h"

/* Install the pseries TYPE_VIRTIO_DMA_POLICY methods in the machine class */
void spapr_virtio_dma_policy_class_init(ObjectClass *oc);

#endif
