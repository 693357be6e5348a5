/*
 * sPAPR policy for virtio DMA
 *
 * On pseries every PCI device sits behind a PHB whose DMA windows are
 * translated by TCE tables (and the 64-bit DDW window), so a virtio device
 * can honour VIRTIO_F_ACCESS_PLATFORM like any other PCI device.  The PHB
 * property "virtio-access-platform" (on by default for new machine types)
 * makes devices offer it by default; a driver that declines it keeps
 * working with guest physical addresses, as before.  The checks at plug
 * time follow the machine type: older ones, which predate the default
 * (SpaprMachineClass::pre_virtio_access_platform), keep upstream's.
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
#include "hw/virtio/virtio-pci.h"
#include "qemu/error-report.h"
#include "hw/virtio/virtio-dma-policy.h"
#include "hw/ppc/spapr_virtio_dma.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_uv.h"
#include "trace.h"

/* The transport device @vdev sits on (virtio-pci's proxy, for one) */
static DeviceState *spapr_virtio_proxy(VirtIODevice *vdev)
{
    return qdev_get_parent_bus(DEVICE(vdev))->parent;
}

/* The sPAPR PHB that translates @vdev's DMA, or NULL */
static SpaprPhbState *spapr_virtio_phb(VirtIODevice *vdev)
{
    PCIDevice *pdev = (PCIDevice *)
        object_dynamic_cast(OBJECT(spapr_virtio_proxy(vdev)),
                            TYPE_PCI_DEVICE);

    if (!pdev) {
        return NULL;
    }
    return (SpaprPhbState *)
        object_dynamic_cast(OBJECT(pci_device_root_bus(pdev)->qbus.parent),
                            TYPE_SPAPR_PCI_HOST_BRIDGE);
}

/* Whether the machine type predates the ACCESS_PLATFORM default */
static bool spapr_virtio_pre_default(VirtioDMAPolicy *policy)
{
    return SPAPR_MACHINE_GET_CLASS(policy)->pre_virtio_access_platform;
}

/* The PHB decides (its "virtio-access-platform" property) */
static bool spapr_virtio_offer_access_platform(VirtioDMAPolicy *policy,
                                               VirtIODevice *vdev)
{
    SpaprPhbState *sphb = spapr_virtio_phb(vdev);
    bool offer = sphb && sphb->virtio_access_platform;

    trace_spapr_virtio_offer_access_platform(vdev->name, offer);
    return offer;
}

/* Whether @vdev's transport has both a legacy and a modern interface */
static bool spapr_virtio_transitional(VirtIODevice *vdev)
{
    VirtIOPCIProxy *vpp = (VirtIOPCIProxy *)
        object_dynamic_cast(OBJECT(spapr_virtio_proxy(vdev)), TYPE_VIRTIO_PCI);

    return vpp && virtio_pci_legacy(vpp) && virtio_pci_modern(vpp);
}

/*
 * Whether @vdev may keep a legacy interface although its user required
 * ACCESS_PLATFORM (iommu_platform=on, libvirt's <driver iommu='on'/>):
 * legacy drivers then get direct DMA, as they do when the device offers
 * the feature by default.  Never in a secure guest, and not on machine
 * types that predate the default, which keep upstream's refusal.
 */
static bool spapr_virtio_legacy_direct(VirtioDMAPolicy *policy,
                                       VirtIODevice *vdev)
{
    return !MACHINE(policy)->cgs && !spapr_virtio_pre_default(policy) &&
           virtio_access_platform_required(vdev) &&
           spapr_virtio_transitional(vdev);
}

/*
 * What a secure guest (confidential-guest-support) cannot use: it cannot
 * give a device access to its private memory, so its drivers insist on
 * VIRTIO_F_ACCESS_PLATFORM and bounce through shared pages.  QEMU's
 * confidential guest defaults already ask for that (iommu_platform=on,
 * disable-legacy=on): only an explicit override, or a backend that cannot
 * offer the feature, gets here.
 */
static bool spapr_virtio_check_secure(VirtIODevice *vdev, bool legacy,
                                      Error **errp)
{
    DeviceState *proxy = spapr_virtio_proxy(vdev);
    const char *id = proxy->id ? proxy->id : vdev->name;

    if (!virtio_host_has_feature(vdev, VIRTIO_F_IOMMU_PLATFORM)) {
        error_setg(errp, "virtio device '%s' does not offer"
                   " VIRTIO_F_ACCESS_PLATFORM, which a secure guest's"
                   " drivers require", id);
        if (vdev->iommu_platform == ON_OFF_AUTO_OFF) {
            error_append_hint(errp, "Remove iommu_platform=off (libvirt:"
                              " <driver iommu='off'/>) from the device.\n");
        } else {
            error_append_hint(errp, "Its backend cannot offer it (a vhost"
                              " backend without IOTLB support?).\n");
        }
        return false;
    }
    if (legacy) {
        error_setg(errp, "virtio device '%s' has a legacy interface,"
                   " which a secure guest cannot use", id);
        error_append_hint(errp, "Set disable-legacy=on (libvirt: a model"
                          " other than virtio-transitional).\n");
        return false;
    }
    return true;
}

/*
 * With the emulated Ultravisor, a page a device holds mapped cannot go
 * back to the secure guest (spapr_uv_hold.c).  Virtio core tells us of
 * what it maps for virtqueues; a device that maps guest memory by other
 * means would escape that, so it is refused.
 */
static bool spapr_virtio_check_uv(VirtIODevice *vdev, Error **errp)
{
    DeviceState *proxy = spapr_virtio_proxy(vdev);
    const char *id = proxy->id ? proxy->id : vdev->name;
    const char *type = object_get_typename(OBJECT(vdev));

    if (object_dynamic_cast(OBJECT(vdev), "virtio-gpu-base") ||
        g_str_has_prefix(type, "vhost-")) {
        error_setg(errp, "virtio device '%s' (%s) keeps guest memory mapped"
                   " outside its virtqueues, which the emulated Ultravisor"
                   " cannot take back from it", id, type);
        error_append_hint(errp, "Secure guests under TCG can use virtio"
                          " devices whose backend is in QEMU: virtio-blk,"
                          " -scsi, -net (without vhost), -rng, -serial,"
                          " -balloon, -input.\n");
        return false;
    }
    return true;
}

/*
 * Refuse what the guest could not use, with the reason, rather than let
 * its driver fail later.  A device a secure guest cannot use is an error,
 * except on machine types that predate the default, which upstream QEMU
 * started with such devices: a warning there, so that their command lines
 * and migration streams keep working.
 */
static bool spapr_virtio_check_device(VirtioDMAPolicy *policy,
                                      VirtIODevice *vdev, bool modern,
                                      bool legacy, Error **errp)
{
    MachineState *ms = MACHINE(policy);
    Error *err = NULL;

    trace_spapr_virtio_check_device(vdev->name, legacy,
                                    virtio_access_platform_required(vdev),
                                    !!ms->cgs);
    if (SPAPR_MACHINE(ms)->uv && !spapr_virtio_check_uv(vdev, errp)) {
        return false;
    }
    if (ms->cgs && !spapr_virtio_check_secure(vdev, legacy, &err)) {
        if (!spapr_virtio_pre_default(policy)) {
            error_propagate(errp, err);
            return false;
        }
        warn_report_err(err);
    }
    if (spapr_virtio_legacy_direct(policy, vdev)) {
        return true;
    }
    return virtio_dma_policy_default_check(vdev, modern, legacy, errp);
}

/*
 * Where DMA goes follows the driver's choice (QEMU's default policy): TCE
 * translated if it accepted ACCESS_PLATFORM, direct otherwise.  One more
 * case than upstream: on a transitional device that
 * spapr_virtio_check_device() let keep its legacy interface although the
 * user required the feature, a legacy driver (no VIRTIO_F_VERSION_1)
 * cannot accept it and gets direct DMA.  A driver on the modern interface
 * that leaves out VERSION_1 gets the same, no more than it could have had
 * through the legacy interface.
 */
static VirtioDMAMode spapr_virtio_dma_mode(VirtioDMAPolicy *policy,
                                           VirtIODevice *vdev,
                                           bool access_platform)
{
    if (!access_platform &&
        !virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1) &&
        spapr_virtio_legacy_direct(policy, vdev)) {
        return VIRTIO_DMA_DIRECT;
    }
    return virtio_dma_policy_default_mode(vdev, access_platform);
}

/*
 * Called for every buffer virtio maps: the policy is the machine itself,
 * no need for a checked QOM cast each time
 */
static bool spapr_virtio_map(VirtioDMAPolicy *policy, VirtIODevice *vdev,
                             void *host, hwaddr len)
{
    SpaprUltravisor *uv = ((SpaprMachineState *)policy)->uv;

    return !uv || spapr_uv_hold(uv, host, len);
}

static void spapr_virtio_unmap(VirtioDMAPolicy *policy, VirtIODevice *vdev,
                               void *host, hwaddr len)
{
    SpaprUltravisor *uv = ((SpaprMachineState *)policy)->uv;

    if (uv) {
        spapr_uv_release(uv, host, len);
    }
}

void spapr_virtio_dma_policy_class_init(ObjectClass *oc)
{
    VirtioDMAPolicyClass *vdpc = VIRTIO_DMA_POLICY_CLASS(oc);

    vdpc->offer_access_platform = spapr_virtio_offer_access_platform;
    vdpc->check_device = spapr_virtio_check_device;
    vdpc->dma_mode = spapr_virtio_dma_mode;
    vdpc->map = spapr_virtio_map;
    vdpc->unmap = spapr_virtio_unmap;
}
