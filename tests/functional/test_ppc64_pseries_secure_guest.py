#!/usr/bin/env python3
#
# Boot a Linux kernel built with CONFIG_PPC_SVM as a secure guest on
# pseries with the emulated Ultravisor (pef-guest under TCG):
#
#  - svm=on swiotlb=force: the guest enters secure mode (svm reads 1),
#    bounces its DMA through swiotlb in shared memory, and virtio-blk,
#    virtio-net and virtio-rng work; the Ultravisor refused nothing and
#    the guest shares pages;
#  - svm=on alone: Linux 6.12 then has no swiotlb pool and hands its
#    devices private addresses; the Ultravisor must refuse and count
#    those accesses, and QEMU must keep running;
#  - no svm=on: the same kernel boots as a normal guest.
#
# The guest comes from build-aux/fetch-secure-kernel; pass it in
# PSERIES_SVM_KERNEL and PSERIES_SVM_INITRD.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import time
import uuid

from qemu_test import QemuSystemTest
from pseries_guest import PseriesGuestTest

SECURE_MACHINE = ('-machine', 'confidential-guest-support=pef0',
                  '-object', 'pef-guest,id=pef0')


class PseriesSecureGuest(PseriesGuestTest):

    KERNEL_ENV = ('PSERIES_SVM_KERNEL', 'PSERIES_SVM_INITRD')
    ASSETS_SCRIPT = 'build-aux/fetch-secure-kernel'
    READY = 'PSERIES-SVM-GUEST-READY'
    MEMORY = '2G'

    def pef(self):
        info = self.vm.cmd('query-pef')
        self.log.info('query-pef: %s', info)
        return info

    def _svm(self):
        return self.guest('cat /sys/devices/system/cpu/svm')[-1].strip()

    # svm=on swiotlb=force: a working secure guest
    def test_secure_swiotlb(self):
        self._check_secure_guest()

    # Any RAM size: the Ultravisor's RTAS pages are in RAM below 4 GiB
    def test_secure_1g(self):
        self._check_secure_guest('1G')

    # ... and RAM of two NUMA nodes' memory backends, as libvirt gives it;
    # the Ultravisor's pages are in the second (the test kernel has no
    # CONFIG_NUMA: this checks QEMU's side)
    def test_secure_6g_numa(self):
        self._check_secure_guest('6G', (
            '-object', 'memory-backend-ram,id=m0,size=2G',
            '-object', 'memory-backend-ram,id=m1,size=4G',
            '-numa', 'node,nodeid=0,memdev=m0',
            '-numa', 'node,nodeid=1,memdev=m1'))

    def test_secure_16g(self):
        self._check_secure_guest('16G')

    def _check_secure_guest(self, memory=None, more_args=()):
        if memory:
            self.MEMORY = memory
        self._boot('pseries', 'svm=on swiotlb=force',
                   SECURE_MACHINE + more_args)
        self.assertEqual(self._svm(), '1', 'the guest is not secure')
        reserved = self.pef()['reserved']
        start, end = reserved['start'], reserved['start'] + reserved['size']
        self.assertLessEqual(end, 4 << 30)
        dmesg = '\n'.join(self.guest('dmesg'))
        self.assertIn(f'reserved mem: {start:#018x}..{end - 1:#018x}', dmesg,
                      'the guest did not reserve the Ultravisor\'s pages')
        self.assertIn('system is using DMA bounce buffers', dmesg,
                      'swiotlb is not bouncing the secure guest\'s DMA')
        token = f'pseries-svm-{uuid.uuid4().hex[:12]}'
        pattern = self._check_blk(token)
        self._check_net(token)
        self._check_rng()

        self._check_secure_no_denials()

        self._power_off()
        self._check_disk_image(pattern)

    # svm=on alone: DMA to private pages, refused and counted
    def test_secure_no_swiotlb(self):
        kernel, initrd = self._guest_assets()
        self.disk = self.scratch_file('disk.raw')
        with open(self.disk, 'wb') as f:
            f.truncate(16 << 20)
        self.set_machine('pseries')
        # Nobody reads the console here: send it to a file, not a socket
        # that would fill up and block the guest (and QEMU with it)
        console = self.scratch_file('console.txt')
        self.vm.add_args('-serial', f'file:{console}',
                         '-accel', 'tcg', '-machine', 'x-vof=on',
                         '-m', self.MEMORY, '-nodefaults', *SECURE_MACHINE,
                         '-kernel', kernel, '-initrd', initrd,
                         '-append', 'console=hvc0 svm=on',
                         '-drive', f'file={self.disk},format=raw,if=none,'
                                   'id=disk0',
                         '-device', 'virtio-blk-pci,drive=disk0',
                         '-device', 'virtio-rng-pci')
        self.vm.launch()
        deadline = time.monotonic() + 300
        while True:
            info = self.pef()
            if info['denied-reads'] + info['denied-writes'] > 0:
                break
            self.assertLess(time.monotonic(), deadline,
                            'no refused DMA although the guest has no '
                            'swiotlb pool')
            time.sleep(1)
        self.assertTrue(info['secure'])
        self.assertTrue(info['last-denials'])
        # QEMU survived and the guest still runs
        self.assertEqual(self.vm.cmd('query-status')['status'], 'running')
        self.vm.shutdown()

    # svm=on without pef-guest: UV_ESM fails as it does under KVM and
    # PowerVM (the hypervisor fails the ultracall), and Linux terminates
    # the guest with a message instead of hanging
    def test_svm_without_ultravisor(self):
        kernel, initrd = self._guest_assets()
        self.set_machine('pseries')
        console = self.scratch_file('console.txt')
        self.vm.add_args('-serial', f'file:{console}', '-accel', 'tcg',
                         '-m', self.MEMORY, '-nodefaults',
                         '-kernel', kernel, '-initrd', initrd,
                         '-append', 'console=hvc0 svm=on')
        self.vm.set_qmp_monitor(enabled=True)
        self.vm.launch()
        event = self.vm.event_wait('GUEST_PANICKED', timeout=300)
        self.log.info('event: %s', event)
        self.vm.wait(timeout=60)
        with open(console, encoding='utf-8', errors='replace') as f:
            text = f.read()
        self.assertIn('Returned -2 from switching to secure mode', text)
        self.assertIn('OS terminated: Switch to secure mode failed',
                      self.vm.get_log())

    # without svm=on the same kernel is a normal guest
    def test_not_secure(self):
        self._boot('pseries', '', SECURE_MACHINE)
        self.assertEqual(self._svm(), '0', 'the guest is secure')
        token = f'pseries-svm-{uuid.uuid4().hex[:12]}'
        self._check_blk(token)
        self._check_net(token)
        self.assertFalse(self.pef()['secure'])
        self._power_off()


if __name__ == '__main__':
    QemuSystemTest.main()
