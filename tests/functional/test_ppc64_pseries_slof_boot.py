#!/usr/bin/env python3
#
# Boot Debian's ppc64el kernel on the pseries machine the way an installed
# Debian system boots: SLOF (the firmware) loads GRUB from the PReP
# partition of a virtio disk, GRUB loads the kernel and initramfs from an
# ext2 partition of the same disk.  Then check that a virtio-serial console
# (virtconsole) carries the guest's console, both as the kernel's console
# next to the spapr-vty and as SLOF's own console when there is no vty.
#
# These are the paths that stopped upstream's 2020 attempt to offer
# VIRTIO_F_ACCESS_PLATFORM on pseries by default: SLOF drives virtio-blk,
# virtio-scsi and virtio-serial itself before Linux does.
#
# The guest comes from outside the QEMU tree; the Makefile sets:
#   PSERIES_DMA_KERNEL  Debian's vmlinux (build-aux/fetch-guest-assets)
#   PSERIES_DMA_INITRD  the busybox initramfs (same script); its /init
#                       prints PSERIES-DMA-GUEST-READY and runs a shell on
#                       /dev/console
#   PSERIES_DMA_MKDISK  build-aux/mk-slof-disk, which writes the disk image
# Optional: PSERIES_DMA_BOOT_TIMEOUT, seconds allowed for one test
# (default 600).
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import signal
import socket
import threading

from qemu_test import QemuSystemTest
from qemu_test import wait_for_console_pattern
from pseries_guest import make_slof_disk


class GuestConsole:
    """The guest end of a chardev socket, for wait_for_console_pattern

    wait_for_console_pattern(test, ..., vm=obj) only uses
    obj.console_socket.recv(1) (None meaning EOF), so this is enough.
    A thread reads the socket in large chunks: a virtconsole drops what
    its chardev cannot take at once (QEMU does not throttle console
    ports), and qemu.machine's ConsoleSocket, reading byte by byte, loses
    SLOF's bursts that way.  Everything read is also written to @logfile.
    """

    def __init__(self, path, logfile):
        self.console_socket = self
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(path)
        self._buf = bytearray()
        self._eof = False
        self._cond = threading.Condition()
        # pylint: disable-next=consider-using-with
        self._log = open(logfile, 'wb')
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    def _reader(self):
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b''
            with self._cond:
                if data:
                    self._buf += data
                    self._log.write(data)
                    self._log.flush()
                else:
                    self._eof = True
                self._cond.notify_all()
            if not data:
                return

    def recv(self, bufsize=1):
        with self._cond:
            while not self._buf and not self._eof:
                self._cond.wait(1)
            if not self._buf:
                return None
            data = bytes(self._buf[:bufsize])
            del self._buf[:bufsize]
            return data

    def sendall(self, data):
        self._sock.sendall(data)

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._thread.join(10)
        self._sock.close()
        self._log.close()


class PseriesSlofBoot(QemuSystemTest):

    # meson's per-test limit; run standalone, the alarm below applies
    timeout = 1200

    PANIC = 'Kernel panic - not syncing'
    READY = 'PSERIES-DMA-GUEST-READY'
    ENV = ('PSERIES_DMA_KERNEL', 'PSERIES_DMA_INITRD', 'PSERIES_DMA_MKDISK')

    def setUp(self):
        super().setUp()
        self._waiting_for = None
        self._consoles = []
        self._alarm_set = False
        missing = [v for v in self.ENV if not os.environ.get(v)]
        if missing:
            self.fail('%s not set: run this test through the project '
                      "Makefile ('make check-functional'), or set them to "
                      "the guest kernel, its initramfs and build-aux/"
                      'mk-slof-disk (see docs/devel/pseries-slof-disk.rst)'
                      % ', '.join(missing))
        self.kernel = os.environ['PSERIES_DMA_KERNEL']
        self.initrd = os.environ['PSERIES_DMA_INITRD']
        self.mkdisk = os.environ['PSERIES_DMA_MKDISK']
        for var, path in (('PSERIES_DMA_KERNEL', self.kernel),
                          ('PSERIES_DMA_INITRD', self.initrd)):
            if not os.path.isfile(path):
                self.fail(f'{var}={path}: no such file '
                          "(run 'make guest-assets')")
        if not os.access(self.mkdisk, os.X_OK):
            self.fail(f'PSERIES_DMA_MKDISK={self.mkdisk}: not executable')

        self.set_machine('pseries')
        self.require_accelerator('tcg')

        limit = int(os.environ.get('PSERIES_DMA_BOOT_TIMEOUT', '600'))
        self._limit = limit
        signal.signal(signal.SIGALRM, self._timed_out)
        signal.alarm(limit)
        self._alarm_set = True

    def tearDown(self):
        if self._alarm_set:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        self.log_access_platform()
        for console in self._consoles:
            console.close()
        if self.socketdir is not None:
            # The base class would rmtree() it and drop the object, which
            # then warns (ResourceWarning) when garbage-collected
            sockdir, self.socketdir = self.socketdir, None
            sockdir.cleanup()
        super().tearDown()

    def _timed_out(self, signum, frame):
        self.fail(f'no {self._waiting_for!r} within {self._limit} s of '
                  f'the test start (see {self.console_log_name})')

    # --- helpers ----------------------------------------------------------

    def log_access_platform(self):
        """Log, per virtio device, whether VIRTIO_F_ACCESS_PLATFORM (bit 33,
        QEMU's iommu_platform) is offered and negotiated now (by Linux,
        or by SLOF if the guest never got further)."""
        vm = self._vms.get('default')
        if vm is None or not vm.is_running():
            return
        try:
            for dev in vm.cmd('x-query-virtio'):
                st = vm.cmd('x-query-virtio-status', path=dev['path'])

                def bit33(feats):
                    return any(f.startswith('VIRTIO_F_IOMMU_PLATFORM')
                               for f in feats.get('transports', []))
                self.log.info('%s (%s): ACCESS_PLATFORM offered=%s '
                              'negotiated=%s status=%s', dev['name'],
                              dev['path'], bit33(st['host-features']),
                              bit33(st['guest-features']), st['status'])
        except Exception as e:      # pylint: disable=broad-except
            self.log.info('cannot query virtio features: %s', e)

    def make_disk(self, cmdline, name='disk.img'):
        """Build a SLOF-bootable disk (GRUB in PReP) that boots the guest
        kernel with @cmdline; returns its path."""
        path = self.scratch_file(name)
        make_slof_disk(self, path, self.kernel, self.initrd, cmdline)
        return path

    def launch_slof(self, cmdline, devices, vty=True, virtconsole=False):
        """Build a disk for @cmdline and boot it through SLOF.

        @devices: QEMU arguments adding the boot disk; the drive is
        'disk0' and must get bootindex=0.
        @vty: QEMUMachine's console on the spapr-vty (SLOF's console when
        present); without it the machine runs with -nodefaults.
        @virtconsole: add virtio-serial-pci with a virtconsole whose
        chardev is a socket; returns a GuestConsole connected to it.
        """
        disk = self.make_disk(cmdline)
        self.sectors = os.path.getsize(disk) // 512
        vm = self.vm
        vm.add_args('-accel', 'tcg', '-m', '1G', '-smp', '1')
        if vty:
            vm.set_console()
        else:
            vm.add_args('-nodefaults')
        vm.add_args('-drive', f'file={disk},format=raw,if=none,id=disk0')
        vm.add_args(*devices)
        vc = None
        if virtconsole:
            sock = os.path.join(self.socket_dir().name, 'vc0.sock')
            vm.add_args('-device', 'virtio-serial-pci,id=vser0',
                        '-chardev',
                        f'socket,id=vc0,path={sock},server=on,wait=off',
                        '-device', 'virtconsole,chardev=vc0,id=vcon0')
            # Paused until the test listens, so no byte is lost
            vm.add_args('-S')
        vm.launch()
        if virtconsole:
            vc = GuestConsole(sock, self.log_file('virtconsole.log'))
            self._consoles.append(vc)
            vm.cmd('cont')
        return vc

    def wait(self, pattern, failure=None, console=None):
        """Wait for @pattern on @console (default: QEMUMachine's)"""
        where = 'the virtconsole' if console else 'the console'
        self._waiting_for = f'{pattern} on {where}'
        wait_for_console_pattern(self, pattern, failure, vm=console)

    def drain_vm_console(self):
        """Keep reading the spapr-vty once the test waits elsewhere

        The spapr-vty writes with qemu_chr_fe_write_all(), holding the
        BQL: if nobody reads its socket and the guest keeps printing
        there (hvc0 stays a console next to console=hvc1), the vCPU and
        the main loop stop once the socket buffer is full.
        """
        sock = self.vm.console_socket

        def drain():
            while True:
                try:
                    if not sock.recv(65536):
                        return
                except OSError:
                    return

        threading.Thread(target=drain, daemon=True).start()

    def run_in_guest(self, command, expect, console=None):
        """Type @command on a guest shell and wait for @expect"""
        sock = (console or self.vm).console_socket
        sock.sendall((command + '\r').encode())
        self.wait(expect, self.PANIC, console)

    def wait_slof_grub(self, console=None):
        """SLOF loads GRUB from the disk and GRUB starts the kernel"""
        self.wait('Welcome to Open Firmware', console=console)
        self.wait('Successfully loaded', 'E34', console)   # E34xx: no boot
        self.wait('GNU GRUB', console=console)
        self.wait('Loading Linux', console=console)
        self.wait('Loading initial ramdisk', console=console)

    def wait_userspace(self, console=None):
        self.wait('Run /init as init process', self.PANIC, console)
        self.wait(self.READY, self.PANIC, console)
        self.run_in_guest('echo SHELL-$((6*7))', 'SHELL-42', console)

    # --- tests ------------------------------------------------------------

    def test_slof_grub_virtio_blk(self):
        """SLOF boots GRUB, kernel and initramfs from a virtio-blk disk"""
        self.launch_slof('console=hvc0',
                         ['-device',
                          'virtio-blk-pci,id=vblk0,drive=disk0,bootindex=0'])
        self.wait_slof_grub()
        self.wait_userspace()
        # Linux drives the same disk afterwards (initramfs loads virtio_blk)
        self.run_in_guest('cat /sys/block/vda/size', str(self.sectors))

    def test_slof_grub_virtio_scsi(self):
        """SLOF boots GRUB, kernel and initramfs from virtio-scsi scsi-hd"""
        self.launch_slof('console=hvc0',
                         ['-device', 'virtio-scsi-pci,id=scsi0',
                          '-device', 'scsi-hd,drive=disk0,bus=scsi0.0,'
                          'channel=0,scsi-id=0,lun=0,bootindex=0'])
        self.wait_slof_grub()
        self.wait_userspace()

    def test_virtconsole_linux_console(self):
        """The guest's console on a virtconsole next to the spapr-vty

        The spapr-vty is hvc0 (SLOF and GRUB print there), the
        virtconsole is hvc1: with console=hvc1 the kernel hands its
        console, /dev/console and so init's output and shell to it.
        """
        vc = self.launch_slof('console=hvc1',
                              ['-device', 'virtio-blk-pci,id=vblk0,'
                               'drive=disk0,bootindex=0'],
                              virtconsole=True)
        self.wait_slof_grub()
        self.wait('console [hvc1] enabled', self.PANIC)
        self.drain_vm_console()
        # Boot messages printed after the switch, then init's
        self.wait('Run /init as init process', self.PANIC, vc)
        self.wait(self.READY, self.PANIC, vc)
        self.run_in_guest('cat /sys/class/tty/console/active', 'hvc1', vc)
        self.run_in_guest('echo VIRTCONSOLE-$((6*7))', 'VIRTCONSOLE-42', vc)

    def test_virtconsole_slof_console(self):
        """Without a spapr-vty, SLOF and GRUB use the virtconsole too

        SLOF drives virtio-serial itself as its console, with
        ACCESS_PLATFORM accepted (its rings and buffers are TCE-mapped),
        and carries GRUB's and Linux prom_init's output.

        Not checked: what follows prom_init closing stdin.  SLOF 20230918
        (Debian's qemu-system-data) then stops responding when its
        virtio-serial console was set up with ACCESS_PLATFORM; with the
        feature off, Linux boots and takes the console over as hvc0.  See
        docs/system/ppc/pseries-access-platform.rst, "Known problems".
        """
        vc = self.launch_slof('console=hvc0',
                              ['-device', 'virtio-blk-pci,id=vblk0,'
                               'drive=disk0,bootindex=0'],
                              vty=False, virtconsole=True)
        self.wait_slof_grub(vc)
        mode = self.vm.cmd('qom-get',
                           path='/machine/peripheral/vser0/virtio-backend',
                           property='dma-mode')
        self.assertEqual(mode, 'platform')
        self.wait('Preparing to boot Linux', self.PANIC, vc)
        self.wait('Device tree struct', self.PANIC, vc)

if __name__ == '__main__':
    QemuSystemTest.main()
