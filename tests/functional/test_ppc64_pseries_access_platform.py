#!/usr/bin/env python3
#
# Boot Debian's stock ppc64el kernel on pseries (TCG) with virtio-blk,
# virtio-net and virtio-rng PCI devices and check, from inside the guest,
# whether VIRTIO_F_ACCESS_PLATFORM (feature bit 33) was negotiated, and
# that disk, network and RNG I/O work in every mode:
#
#  - default machine type: the modern driver accepts bit 33;
#  - virtio_pci.force_legacy=1: the legacy driver cannot see bit 33 and
#    the devices keep working without it;
#  - the machine type before it: bit 33 is not offered (upstream's
#    behaviour).
#
# The guest (kernel + busybox initramfs) comes from
# build-aux/fetch-guest-assets; pass it in PSERIES_DMA_KERNEL and
# PSERIES_DMA_INITRD.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import uuid

from qemu_test import QemuSystemTest
from pseries_guest import (PseriesGuestTest, VIRTIO_F_ACCESS_PLATFORM,
                           VIRTIO_F_VERSION_1, pseries_machines)


class PseriesAccessPlatform(PseriesGuestTest):

    def run_checks(self, machine, extra_args='', legacy=False,
                   access_platform=False):
        """Boot, check feature bits and I/O on all devices, power off.

        @legacy: the guest uses the legacy virtio-pci driver (so it cannot
                 see feature bits >= 32, VERSION_1 included)
        @access_platform: bit 33 is expected to be negotiated
        """
        self._boot(machine, extra_args)
        token = f'pseries-dma-{uuid.uuid4().hex[:12]}'
        devs = self._virtio_features()
        pattern = self._check_blk(token)
        self._check_net(token)
        self._check_rng()
        self.log.debug('guest dmesg:\n%s', '\n'.join(self.guest('dmesg')))

        self._power_off()
        self._check_disk_image(pattern)

        # Feature bits last, so that I/O was checked whatever they are
        for name, (features, driver) in sorted(devs.items()):
            self.assertEqual(features[VIRTIO_F_VERSION_1],
                             '0' if legacy else '1',
                             f'virtio-{name} ({driver}): VERSION_1 '
                             f'negotiation does not match legacy={legacy}')
        # NOTE: with a QEMU *without* the patch set (stock QEMU) this
        # assertion fails in test_default_machine: bit 33 is never offered
        # there.  It must pass with the patch set.
        got = {name: features[VIRTIO_F_ACCESS_PLATFORM]
               for name, (features, _) in devs.items()}
        want = {name: '1' if access_platform else '0' for name in devs}
        state = 'negotiated' if access_platform else 'not negotiated'
        boot = f'-M {machine} {extra_args}'.strip()
        self.assertEqual(got, want,
                         f'{boot}: VIRTIO_F_ACCESS_PLATFORM (bit 33) should '
                         f'be {state} on every device')

    # --- the three boots ----------------------------------------------------
    # (no docstrings: 'unittest -v' would print them instead of the names)

    # pseries (the series' new machine type): bit 33 offered, and
    # accepted by the modern driver
    def test_default_machine(self):
        self.run_checks('pseries', access_platform=True)

    # legacy driver: bit 33 invisible, the devices work in direct mode
    def test_force_legacy(self):
        self.run_checks('pseries', 'virtio_pci.force_legacy=1', legacy=True)

    # the machine type before it keeps the old behaviour: bit 33 not
    # offered
    def test_pre_default_machine(self):
        self.run_checks(pseries_machines(self.qemu_bin)[1])


if __name__ == '__main__':
    QemuSystemTest.main()
