#!/usr/bin/env python3
#
# Boot a secure guest (PEF) from a disk image the way an installed system
# boots, with no -kernel: SLOF loads GRUB from the PReP partition of a
# virtio-blk disk, GRUB loads the CONFIG_PPC_SVM kernel and its initramfs
# from the disk's ext2 partition with "svm=on swiotlb=force" from grub.cfg.
#
#  - with pef-guest, GRUB's default entry boots unattended: the guest is
#    secure (svm reads 1), reads its boot disk and writes and reads a
#    second virtio-blk disk through swiotlb, and the Ultravisor refused
#    nothing;
#  - without pef-guest, there is no Ultravisor and svm=on cannot work
#    (Linux' prom_init goes no further than UV_ESM; see
#    docs/devel/pseries-slof-disk.rst, "Secure guest from a disk"),
#    so the image has a second menu entry without svm=on, selected by
#    pressing "n" in GRUB's menu as a user would; the same image file then
#    boots as a normal guest.
#
# The guest comes from build-aux/fetch-secure-kernel (PSERIES_SVM_KERNEL,
# PSERIES_SVM_INITRD); the disk from build-aux/mk-slof-disk
# (PSERIES_DMA_MKDISK).
#
# SPDX-License-Identifier: GPL-2.0-or-later

import hashlib
import os
import re
import tempfile
import time
import uuid

from qemu.qmp import ExecuteError
from qemu_test import QemuSystemTest
from qemu_test import wait_for_console_pattern
from pseries_guest import (PseriesGuestTest, BOOT_TIMEOUT, DISK_SIZE, PANIC,
                           make_slof_disk)
from test_ppc64_pseries_secure_guest import SECURE_MACHINE

SECURE_CMDLINE = 'console=hvc0 svm=on swiotlb=force'
PLAIN_CMDLINE = 'console=hvc0'
PLAIN_KEY = 'n'
PLAIN_TITLE = ('Debian GNU/Linux, not secure '
               '(key n; for hosts without an Ultravisor)')
# Debian's GRUB_TIMEOUT: time enough to press a key
GRUB_TIMEOUT = 5
SCRATCH_SERIAL = 'scratch'
BOOT_READ = 10 << 20    # label, PReP partition (GRUB) and more


class PseriesSecureDisk(PseriesGuestTest):

    KERNEL_ENV = ('PSERIES_SVM_KERNEL', 'PSERIES_SVM_INITRD')
    ASSETS_SCRIPT = 'build-aux/fetch-secure-kernel'
    READY = 'PSERIES-SVM-GUEST-READY'
    MEMORY = '2G'

    # One image for all tests: what boots secure boots without pef-guest
    image_dir = None
    image = None

    @classmethod
    def tearDownClass(cls):
        if cls.image_dir is not None:
            cls.image_dir.cleanup()
            cls.image_dir = cls.image = None
        super().tearDownClass()

    def _disk_image(self):
        cls = type(self)
        if cls.image is None:
            kernel, initrd = self._guest_assets()
            # pylint: disable-next=consider-using-with
            cls.image_dir = tempfile.TemporaryDirectory(
                prefix='pseries-secure-disk-')
            path = os.path.join(cls.image_dir.name, 'secure-guest.img')
            make_slof_disk(self, path, kernel, initrd, SECURE_CMDLINE,
                           '--timeout', str(GRUB_TIMEOUT),
                           '--entry', PLAIN_KEY, PLAIN_TITLE, PLAIN_CMDLINE)
            cls.image = path
        with open(cls.image, 'rb') as f:
            self.log.info('disk image %s: sha256 %s', cls.image,
                          hashlib.file_digest(f, 'sha256').hexdigest())
        return cls.image

    def _wait(self, pattern, failure=PANIC):
        try:
            wait_for_console_pattern(self, pattern, failure)
        except TimeoutError:
            self.fail(f'no {pattern!r} on the console within '
                      f'{BOOT_TIMEOUT} s of the previous output')

    def _boot_disk(self, machine_args=(), key=None):
        """Boot the disk image through SLOF and GRUB to the guest shell.

        @key: pressed in GRUB's menu; None boots the default entry when
        the menu times out.  A second virtio-blk disk, serial
        SCRATCH_SERIAL, is self.disk, for _check_blk().
        """
        image = self._disk_image()
        self.disk = self.scratch_file('scratch.raw')
        with open(self.disk, 'wb') as f:
            f.truncate(DISK_SIZE)
        self.set_machine('pseries')
        self.require_accelerator('tcg')
        self.vm.set_console()
        self.vm.add_args('-accel', 'tcg', '-m', self.MEMORY, *machine_args,
                         '-drive', f'file={image},format=raw,if=none,'
                                   'id=disk0',
                         '-device', 'virtio-blk-pci,drive=disk0,bootindex=0',
                         '-drive', f'file={self.disk},format=raw,if=none,'
                                   'id=disk1',
                         '-device', 'virtio-blk-pci,drive=disk1,'
                                    f'serial={SCRATCH_SERIAL}')
        start = time.monotonic()
        self.vm.launch()
        self.vm.console_socket.settimeout(BOOT_TIMEOUT)
        self._wait('Welcome to Open Firmware')
        self._wait('Successfully loaded', 'E34')   # E34xx: nothing to boot
        self._wait('executed automatically in')    # GRUB's menu counts down
        if key:
            self.vm.console_socket.sendall(key.encode())
        self._wait('Loading Linux')
        self._wait('Loading initial ramdisk')
        # Without an Ultravisor, svm=on ends here (the hypervisor fails
        # UV_ESM and Linux calls ibm,os-term)
        self._wait(self.READY, PANIC if key is None else
                   'Switching to secure mode')
        self.log.info('guest ready after %.1f s', time.monotonic() - start)
        # keep kernel messages off the console while the test types
        self.guest('dmesg -n 1')

    def _check_disks(self, token):
        """Linux reads the disk it booted from, and writes and reads the
        scratch disk; returns what _check_blk() wrote there."""
        boot = scratch = None
        for line in self.guest('for b in /sys/block/vd*; do echo DISK '
                               '${b##*/} $(cat $b/size) $(cat $b/serial); '
                               'done'):
            m = re.fullmatch(r'DISK (vd[a-z]+) (\d+) ?(\S*)', line.strip())
            if not m:
                continue
            if m.group(3) == SCRATCH_SERIAL:
                scratch = m.group(1)
            elif int(m.group(2)) * 512 == os.path.getsize(self.image):
                boot = m.group(1)
        self.assertTrue(boot and scratch,
                        'the guest does not see both virtio-blk disks')
        with open(self.image, 'rb') as f:
            expected = hashlib.sha256(f.read(BOOT_READ)).hexdigest()
        out = self.guest(f'dd if=/dev/{boot} bs=64k count={BOOT_READ >> 16} '
                         'iflag=direct 2>/dev/null | sha256sum')
        self.assertIn(expected, '\n'.join(out),
                      'the guest reads its boot disk wrong')
        return self._check_blk(token, f'/dev/{scratch}')

    def _cmdline(self):
        return self.guest('cat /proc/cmdline')[-1].split()

    def _svm(self):
        return self.guest('cat /sys/devices/system/cpu/svm')[-1].strip()

    def test_secure_default_entry(self):
        """With pef-guest, GRUB's default entry boots a secure guest"""
        self._boot_disk(SECURE_MACHINE)
        self.assertEqual(self._svm(), '1', 'the guest is not secure')
        cmdline = self._cmdline()
        self.assertIn('BOOT_IMAGE=/boot/vmlinux', cmdline,
                      'the kernel was not booted by GRUB')
        self.assertIn('svm=on', cmdline)
        dmesg = '\n'.join(self.guest('dmesg'))
        self.assertIn('system is using DMA bounce buffers', dmesg,
                      'swiotlb is not bouncing the secure guest\'s DMA')
        pattern = self._check_disks(f'secure-disk-{uuid.uuid4().hex[:12]}')

        self._check_secure_no_denials()

        self._power_off()
        self._check_disk_image(pattern)

    def test_not_secure_entry(self):
        """Without pef-guest, the entry without svm=on boots the image"""
        self._boot_disk(key=PLAIN_KEY)
        self.assertEqual(self._svm(), '0', 'the guest is secure')
        cmdline = self._cmdline()
        self.assertIn('BOOT_IMAGE=/boot/vmlinux', cmdline,
                      'the kernel was not booted by GRUB')
        self.assertNotIn('svm=on', cmdline)
        pattern = self._check_disks(f'plain-disk-{uuid.uuid4().hex[:12]}')
        with self.assertRaises(ExecuteError):
            self.vm.cmd('query-pef')    # there is no Ultravisor
        self._power_off()
        self._check_disk_image(pattern)


if __name__ == '__main__':
    QemuSystemTest.main()
