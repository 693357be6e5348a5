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
#include "qapi/error.h"
#include "hw/boards.h"
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

/*
 * Refuse what the guest could not use, with the reason, rather than let
 * its driver fail later.  A secure guest (confidential-guest-support)
 * cannot give a device access to its private memory, so its drivers insist
 * on VIRTIO_F_ACCESS_PLATFORM and bounce through shared pages; QEMU's
 * confidential guest defaults already ask for that (iommu_platform=on,
 * disable-legacy=on) and only an explicit override gets here.  Otherwise a
 * legacy interface may stay beside a required ACCESS_PLATFORM where the
 * machine offers it by default: legacy drivers get direct DMA, as they do
 * with the default offer.
 */
static bool spapr_virtio_check_device(VirtioDMAPolicy *policy,
                                      VirtIODevice *vdev, bool modern,
                                      bool legacy, Error **errp)
{
    MachineState *ms = MACHINE(policy);
    DeviceState *proxy = qdev_get_parent_bus(DEVICE(vdev))->parent;
    const char *id = proxy->id ? proxy->id : vdev->name;
    SpaprPhbState *sphb = spapr_virtio_phb(vdev);

    trace_spapr_virtio_check_device(vdev->name, legacy,
                                    virtio_access_platform_required(vdev),
                                    !!ms->cgs);
    if (ms->cgs) {
        if (!virtio_host_has_feature(vdev, VIRTIO_F_IOMMU_PLATFORM)) {
            error_setg(errp, "virtio device '%s' does not offer"
                       " VIRTIO_F_ACCESS_PLATFORM, which a secure guest's"
                       " drivers require", id);
            error_append_hint(errp, "Remove iommu_platform=off (libvirt:"
                              " <driver iommu='off'/>) from the device.\n");
            return false;
        }
        if (legacy) {
            error_setg(errp, "virtio device '%s' has a legacy interface,"
                       " which a secure guest cannot use", id);
            error_append_hint(errp, "Set disable-legacy=on (libvirt: a"
                              " model other than virtio-transitional).\n");
            return false;
        }
        return true;
    }
    if (modern && legacy && sphb && sphb->virtio_access_platform) {
        return true;
    }
    return virtio_dma_policy_default_check(vdev, modern, legacy, errp);
}

/*
 * Where DMA goes follows the driver's choice (QEMU's default policy): TCE
 * translated if it accepted ACCESS_PLATFORM, direct otherwise.  One more
 * case than upstream: a legacy driver of a transitional device that
 * requires the feature (accepted by spapr_virtio_check_device()) cannot
 * accept it, so it gets direct DMA.  A modern driver that declines is
 * refused FEATURES_OK and never gets to DMA.
 */
static VirtioDMAMode spapr_virtio_update_dma_mode(VirtioDMAPolicy *policy,
                                                  VirtIODevice *vdev,
                                                  bool access_platform)
{
    if (!access_platform &&
        !virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        return VIRTIO_DMA_DIRECT;
    }
    return virtio_dma_policy_default_mode(vdev, access_platform);
}

void spapr_virtio_dma_policy_class_init(ObjectClass *oc)
{
    VirtioDMAPolicyClass *vdpc = VIRTIO_DMA_POLICY_CLASS(oc);

    vdpc->offer_access_platform = spapr_virtio_offer_access_platform;
    vdpc->check_device = spapr_virtio_check_device;
    vdpc->update_dma_mode = spapr_virtio_update_dma_mode;
}
