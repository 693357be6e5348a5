/*
 * sPAPR policy for virtio DMA
 *
 * On pseries every PCI device sits behind a PHB whose DMA windows are
 * translated by TCE tables (and the 64-bit DDW window), so a virtio device
 * can honour VIRTIO_F_ACCESS_PLATFORM like any other PCI device.  The PHB
 * property "virtio-access-platform" (on from pseries-10.1) makes devices
 * offer it by default; a driver that declines it keeps working with guest
 * physical addresses, as before.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci-host/spapr.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-dma-policy.h"
#include "hw/ppc/spapr_virtio_dma.h"
#include "trace.h"

/* The sPAPR PHB that translates @vdev's DMA, or NULL */
static SpaprPhbState *spapr_virtio_phb(VirtIODevice *vdev)
{
    DeviceState *proxy = qdev_get_parent_bus(DEVICE(vdev))->parent;
    PCIDevice *pdev = (PCIDevice *)object_dynamic_cast(OBJECT(proxy),
                                                       TYPE_PCI_DEVICE);

    if (!pdev) {
        return NULL;
    }
    return (SpaprPhbState *)
        object_dynamic_cast(OBJECT(pci_device_root_bus(pdev)->qbus.parent),
                            TYPE_SPAPR_PCI_HOST_BRIDGE);
}

static bool spapr_virtio_offer_access_platform(VirtioDMAPolicy *policy,
                                               VirtIODevice *vdev)
{
    SpaprPhbState *sphb = spapr_virtio_phb(vdev);
    bool offer = sphb && sphb->virtio_access_platform;

    trace_spapr_virtio_offer_access_platform(vdev->name, offer);
    return offer;
}

void spapr_virtio_dma_policy_class_init(ObjectClass *oc)
{
    VirtioDMAPolicyClass *vdpc = VIRTIO_DMA_POLICY_CLASS(oc);

    vdpc->offer_access_platform = spapr_virtio_offer_access_platform;
    /*
     * Where DMA goes follows the driver's choice (the default policy): TCE
     * translated if it accepted ACCESS_PLATFORM, direct otherwise.
     */
}
