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
#include "exec/hwaddr.h"

#define TYPE_VIRTIO_DMA_POLICY "virtio-dma-policy"

typedef struct VirtioDMAPolicyClass VirtioDMAPolicyClass;
DECLARE_CLASS_CHECKERS(VirtioDMAPolicyClass, VIRTIO_DMA_POLICY,
                       TYPE_VIRTIO_DMA_POLICY)
#define VIRTIO_DMA_POLICY(obj) \
    INTERFACE_CHECK(VirtioDMAPolicy, (obj), TYPE_VIRTIO_DMA_POLICY)

typedef struct VirtioDMAPolicy VirtioDMAPolicy;
typedef struct VirtIODevice VirtIODevice;
typedef struct Error Error;

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
 * @dma_mode: optional; where the device's DMA goes now that the driver
 *     has accepted (@access_platform true) or declined
 *     VIRTIO_F_ACCESS_PLATFORM.  Asked when the device is plugged, on every
 *     change of the guest's feature set (negotiation and reset) and after
 *     migration.  Without it, virtio_dma_policy_default_mode() decides.
 * @check_device: asked when a device is plugged, once its features are
 *     known.  @modern and @legacy say which interfaces its transport has:
 *     a legacy (virtio 0.9) driver cannot negotiate
 *     VIRTIO_F_ACCESS_PLATFORM.
 *     Return false with @errp set to refuse a configuration the machine's
 *     guests cannot use.  Policies can fall back to
 *     virtio_dma_policy_default_check().
 * @map: optional; told of every buffer virtio core maps for @vdev, with its
 *     host address, once it is mapped.  Returning false makes the mapping
 *     fail (the device reports a bogus descriptor): a machine that takes
 *     memory away from the hypervisor side must know what devices hold.
 * @unmap: optional; told when such a buffer is unmapped.
 */
struct VirtioDMAPolicyClass {
    InterfaceClass parent_class;

    bool (*offer_access_platform)(VirtioDMAPolicy *policy,
                                  VirtIODevice *vdev);
    VirtioDMAMode (*dma_mode)(VirtioDMAPolicy *policy, VirtIODevice *vdev,
                              bool access_platform);
    bool (*check_device)(VirtioDMAPolicy *policy, VirtIODevice *vdev,
                         bool modern, bool legacy, Error **errp);
    bool (*map)(VirtioDMAPolicy *policy, VirtIODevice *vdev, void *host,
                hwaddr len);
    void (*unmap)(VirtioDMAPolicy *policy, VirtIODevice *vdev, void *host,
                  hwaddr len);
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

/**
 * virtio_dma_policy_check_device:
 * Whether @vdev may be plugged as configured; asks the machine, or applies
 * virtio_dma_policy_default_check() if it has no policy.  Called by
 * transports when a device is plugged.
 */
bool virtio_dma_policy_check_device(VirtIODevice *vdev, bool modern,
                                    bool legacy, Error **errp);

/**
 * virtio_dma_policy_default_check:
 * QEMU's historical check: a device whose user required
 * VIRTIO_F_ACCESS_PLATFORM ("iommu_platform=on") cannot have a legacy
 * interface, whose drivers could not accept it.
 */
bool virtio_dma_policy_default_check(VirtIODevice *vdev, bool modern,
                                     bool legacy, Error **errp);

/**
 * virtio_dma_policy_map:
 * Tell the machine that virtio core mapped [@host, @host + @len) for
 * @vdev.  Returns false if the machine refuses the mapping, which the
 * caller must then unmap without using it.
 */
bool virtio_dma_policy_map(VirtIODevice *vdev, void *host, hwaddr len);

/**
 * virtio_dma_policy_unmap:
 * Tell the machine that virtio core is unmapping [@host, @host + @len).
 */
void virtio_dma_policy_unmap(VirtIODevice *vdev, void *host, hwaddr len);

const char *virtio_dma_mode_name(VirtioDMAMode mode);

#endif
