/*
 * Machine policy for where virtio devices send their DMA
 *
 * Devices always honour the platform's DMA translation when the driver
 * accepts VIRTIO_F_ACCESS_PLATFORM; what happens when it does not, and
 * which configurations a machine's guests can use, is the machine's
 * decision.  This file asks the machine (TYPE_VIRTIO_DMA_POLICY) and
 * implements QEMU's historical behaviour for machines without a policy.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-dma-policy.h"

/*
 * The machine's policy and its class, or NULL if it has none.  Asked for
 * every buffer virtio maps: the answer does not change once the machine
 * exists, so look both up once (two threads racing to do it find the
 * same); a checked interface cast per buffer costs as much as the rest
 * of the hook (make bench).
 */
static VirtioDMAPolicyClass *virtio_dma_policy_get(VirtioDMAPolicy **policy)
{
    static VirtioDMAPolicy *machine_policy;
    static VirtioDMAPolicyClass *machine_policy_class;
    static bool looked_up;

    if (!qatomic_load_acquire(&looked_up)) {
        Object *obj = object_dynamic_cast(qdev_get_machine(),
                                          TYPE_VIRTIO_DMA_POLICY);

        if (obj) {
            qatomic_set(&machine_policy, VIRTIO_DMA_POLICY(obj));
            qatomic_set(&machine_policy_class,
                        VIRTIO_DMA_POLICY_GET_CLASS(obj));
        }
        qatomic_store_release(&looked_up, true);
    }
    *policy = qatomic_read(&machine_policy);
    return qatomic_read(&machine_policy_class);
}

const char *virtio_dma_mode_name(VirtioDMAMode mode)
{
    return mode == VIRTIO_DMA_PLATFORM ? "platform" : "direct";
}

VirtioDMAMode virtio_dma_policy_default_mode(VirtIODevice *vdev,
                                             bool access_platform)
{
    if (access_platform || virtio_access_platform_required(vdev)) {
        return VIRTIO_DMA_PLATFORM;
    }
    return VIRTIO_DMA_DIRECT;
}

bool virtio_dma_policy_offer_access_platform(VirtIODevice *vdev)
{
    VirtioDMAPolicy *policy;
    VirtioDMAPolicyClass *vdpc = virtio_dma_policy_get(&policy);

    return vdpc && vdpc->offer_access_platform &&
           vdpc->offer_access_platform(policy, vdev);
}

VirtioDMAMode virtio_dma_policy_mode(VirtIODevice *vdev)
{
    VirtioDMAPolicy *policy;
    VirtioDMAPolicyClass *vdpc = virtio_dma_policy_get(&policy);
    bool access_platform = virtio_vdev_has_feature(vdev,
                                                   VIRTIO_F_IOMMU_PLATFORM);

    if (vdpc && vdpc->dma_mode) {
        return vdpc->dma_mode(policy, vdev, access_platform);
    }
    return virtio_dma_policy_default_mode(vdev, access_platform);
}

bool virtio_dma_policy_default_check(VirtIODevice *vdev, bool modern,
                                     bool legacy, Error **errp)
{
    if (legacy && virtio_access_platform_required(vdev)) {
        error_setg(errp, "VIRTIO_F_IOMMU_PLATFORM was supported by"
                   " neither legacy nor transitional device");
        return false;
    }
    return true;
}

bool virtio_dma_policy_check_device(VirtIODevice *vdev, bool modern,
                                    bool legacy, Error **errp)
{
    VirtioDMAPolicy *policy;
    VirtioDMAPolicyClass *vdpc = virtio_dma_policy_get(&policy);

    if (vdpc && vdpc->check_device) {
        return vdpc->check_device(policy, vdev, modern, legacy, errp);
    }
    return virtio_dma_policy_default_check(vdev, modern, legacy, errp);
}

bool virtio_dma_policy_map(VirtIODevice *vdev, void *host, hwaddr len)
{
    VirtioDMAPolicy *policy;
    VirtioDMAPolicyClass *vdpc = virtio_dma_policy_get(&policy);

    return !vdpc || !vdpc->map || vdpc->map(policy, vdev, host, len);
}

void virtio_dma_policy_unmap(VirtIODevice *vdev, void *host, hwaddr len)
{
    VirtioDMAPolicy *policy;
    VirtioDMAPolicyClass *vdpc = virtio_dma_policy_get(&policy);

    if (vdpc && vdpc->unmap) {
        vdpc->unmap(policy, vdev, host, len);
    }
}

static const TypeInfo virtio_dma_policy_info = {
    .name = TYPE_VIRTIO_DMA_POLICY,
    .parent = TYPE_INTERFACE,
    .class_size = sizeof(VirtioDMAPolicyClass),
};

static void virtio_dma_policy_register_types(void)
{
    type_register_static(&virtio_dma_policy_info);
}

type_init(virtio_dma_policy_register_types)
