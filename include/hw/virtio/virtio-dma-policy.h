/*
 * Machine policy for where virtio devices send their DMA
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_DMA_POLICY_H
#define HW_VIRTIO_DMA_POLICY_H

#include "qom/object.h"

#define TYPE_VIRTIO_DMA_POLICY "virtio-dma-policy"

typedef struct VirtioDMAPolicyClass VirtioDMAPolicyClass;
DECLARE_CLASS_CHECKERS(VirtioDMAPolicyClass, VIRTIO_DMA_POLICY,
                       TYPE_VIRTIO_DMA_POLICY)
#define VIRTIO_DMA_POLICY(obj) \
    INTERFACE_CHECK(VirtioDMAPolicy, (obj), TYPE_VIRTIO_DMA_POLICY)

typedef struct VirtioDMAPolicy VirtioDMAPolicy;
typedef struct VirtIODevice VirtIODevice;

/**
 * VirtioDMAMode:
 * @VIRTIO_DMA_DIRECT: the device takes guest physical addresses and
 *     accesses guest memory directly ("legacy qemu special mode").
 * @VIRTIO_DMA_PLATFORM: the device's addresses go through the platform's
 *     DMA translation (the transport's DMA address space, e.g. an IOMMU).
 */
typedef enum VirtioDMAMode {
    VIRTIO_DMA_DIRECT,
    VIRTIO_DMA_PLATFORM,
} VirtioDMAMode;

/**
 * VirtioDMAPolicyClass:
 *
 * Implemented by a machine that wants a say in virtio DMA.  This is the one
 * place such policy lives: virtio core and transports ask it and never test
 * for a particular machine.  A machine that does not implement it gets
 * QEMU's historical behaviour (see virtio_dma_policy_default_mode()).
 *
 * @offer_access_platform: asked when a device is plugged whose user left
 *     "iommu_platform" unset.  Returning true makes the device offer
 *     VIRTIO_F_ACCESS_PLATFORM as an optional feature: a driver that
 *     declines it is not failed, the device then works in direct mode.
 * @update_dma_mode: where the device's DMA goes now that the driver has
 *     accepted (@access_platform true) or declined VIRTIO_F_ACCESS_PLATFORM.
 *     Called when the device is plugged, on every change of the guest's
 *     feature set (negotiation and reset) and after migration.  QEMU's side
 *     of Linux's arch_virtio_update_dma_ops(pci_dev, qemu_direct_mode).
 */
struct VirtioDMAPolicyClass {
    InterfaceClass parent_class;

    bool (*offer_access_platform)(VirtioDMAPolicy *policy,
                                  VirtIODevice *vdev);
    VirtioDMAMode (*update_dma_mode)(VirtioDMAPolicy *policy,
                                     VirtIODevice *vdev,
                                     bool access_platform);
};

/**
 * virtio_dma_policy_offer_access_platform:
 * Whether @vdev, with "iommu_platform" left unset, offers
 * VIRTIO_F_ACCESS_PLATFORM; asks the machine, false if it has no policy.
 */
bool virtio_dma_policy_offer_access_platform(VirtIODevice *vdev);

/**
 * virtio_dma_policy_mode:
 * The DMA mode the machine's policy chooses for @vdev in its current
 * feature state.
 */
VirtioDMAMode virtio_dma_policy_mode(VirtIODevice *vdev);

/**
 * virtio_dma_policy_default_mode:
 * QEMU's historical choice: translated if the driver accepted
 * VIRTIO_F_ACCESS_PLATFORM or the user required it, direct otherwise.
 * Policies can fall back to it.
 */
VirtioDMAMode virtio_dma_policy_default_mode(VirtIODevice *vdev,
                                             bool access_platform);

const char *virtio_dma_mode_name(VirtioDMAMode mode);

#endif
