#
# Shared by the pseries guest boot tests: a Linux guest with a busybox
# initramfs on a pseries machine (TCG) with virtio-blk, virtio-net and
# virtio-rng PCI devices, driven through its console, with checks that
# disk, network and RNG I/O really work.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import hashlib
import logging
import os
import re
import socket
import subprocess
import threading
import time

from qemu_test import QemuSystemTest
from qemu_test import exec_command, wait_for_console_pattern

VIRTIO_F_VERSION_1 = 32
VIRTIO_F_ACCESS_PLATFORM = 33
# virtio device IDs as shown in /sys/bus/virtio/devices/*/device
VIRTIO_IDS = {0x1: 'net', 0x2: 'blk', 0x3: 'console', 0x4: 'rng'}

# Boot takes ~3 s (VOF, idle 2-core host), ~10 s with the CPUs busy
BOOT_TIMEOUT = 300      # s of console silence before giving up
COMMAND_TIMEOUT = 120   # s per guest shell command
READY = 'PSERIES-DMA-GUEST-READY'   # printed by the initramfs' /init
PANIC = 'Kernel panic - not syncing'

DISK_SIZE = 16 << 20
DATA_OFFSET = 1 << 20   # where the guest writes the pattern on /dev/vda
DATA_SIZE = 1 << 20
GUEST_IP = '10.0.2.15'  # slirp defaults
HOST_IP = '10.0.2.2'


def pseries_machines(qemu_bin):
    """(default, pre_default): the machine type 'pseries' stands for,
    which offers VIRTIO_F_ACCESS_PLATFORM by default (the series adds it:
    pseries-10.1 on QEMU 10.0, pseries-11.0 on 10.2), and the newest one
    before it, which keeps upstream's behaviour"""
    out = subprocess.run([qemu_bin, '-M', 'help'], check=True,
                         capture_output=True, text=True).stdout
    default = re.search(r'^pseries +.*\(alias of (pseries-[0-9.]+)\)', out,
                        re.M).group(1)
    versions = sorted((tuple(map(int, v.split('.'))), f'pseries-{v}')
                      for v in re.findall(r'^pseries-([0-9]+\.[0-9]+) ',
                                          out, re.M))
    names = [name for _, name in versions]
    return default, names[names.index(default) - 1]


def make_slof_disk(test, path, kernel, initrd, cmdline, *options):
    """Write a disk image at @path that SLOF boots as it boots Debian.

    GRUB in a PReP partition loads @kernel and @initrd from an ext2
    partition and boots them with @cmdline; @options are more arguments
    of build-aux/mk-slof-disk (which $PSERIES_DMA_MKDISK names), such as
    '--entry', KEY, TITLE, CMDLINE.
    """
    mkdisk = os.getenv('PSERIES_DMA_MKDISK')
    if not mkdisk or not os.access(mkdisk, os.X_OK):
        test.fail(f'PSERIES_DMA_MKDISK={mkdisk}: not executable; point it '
                  'at build-aux/mk-slof-disk')
    res = subprocess.run([mkdisk, *options, path, kernel, initrd, cmdline],
                         capture_output=True, text=True, check=False)
    test.log.debug('mk-slof-disk: %s%s', res.stdout, res.stderr)
    if res.returncode != 0:
        test.fail(f'mk-slof-disk failed ({res.returncode}):\n{res.stderr}')


class TcpSink:
    """One-shot TCP server on the host loopback recording one line."""

    def __init__(self, timeout):
        self._sock = socket.create_server(('127.0.0.1', 0))
        self._sock.settimeout(timeout)
        self.port = self._sock.getsockname()[1]
        self.data = b''
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        try:
            conn, _ = self._sock.accept()
            with conn:
                conn.settimeout(30)
                while b'\n' not in self.data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    self.data += chunk
        except OSError:
            pass    # timeout or closed: the test sees what arrived

    def close(self):
        self._sock.close()
        self._thread.join(5)


class PseriesGuestTest(QemuSystemTest):
    """Base class: subclasses set the guest and machine, and add tests."""

    timeout = 3 * BOOT_TIMEOUT

    KERNEL_COMMAND_LINE = 'console=hvc0'
    # environment variables naming the guest kernel and initramfs
    KERNEL_ENV = ('PSERIES_DMA_KERNEL', 'PSERIES_DMA_INITRD')
    ASSETS_SCRIPT = 'build-aux/fetch-guest-assets'
    READY = READY
    MEMORY = '1G'

    def setUp(self):
        super().setUp()
        self._console_buf = b''
        self._console_log = logging.getLogger('console')

    # --- guest console ------------------------------------------------------

    def _read_line(self, deadline, eof_ok=False):
        """Next console line (logged); fails on timeout or panic.

        At EOF (QEMU exited) fails, or returns None if @eof_ok.
        """
        sock = self.vm.console_socket
        while b'\n' not in self._console_buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail('timed out waiting for the guest console')
            sock.settimeout(left)
            try:
                data = sock.recv(4096)
            except TimeoutError:
                self.fail('timed out waiting for the guest console')
            if not data:
                if eof_ok:
                    self._console_log.debug(self._console_buf.decode(
                        errors='replace'))
                    return None
                self.fail('guest console closed (did QEMU exit?)')
            self._console_buf += data
        line, self._console_buf = self._console_buf.split(b'\n', 1)
        text = line.decode(errors='replace').rstrip('\r')
        self._console_log.debug(text)
        if PANIC in text:
            self.fail(f'guest kernel panic: {text}')
        return text

    def guest(self, command, timeout=COMMAND_TIMEOUT):
        """Run a shell command in the guest; return its output lines.

        The output is bracketed by markers that the echo of the typed
        command cannot contain (the shell joins @@""BEGIN to @@BEGIN).
        Fails if the command exits non-zero.
        """
        exec_command(self, f'echo @@""BEGIN; {command}; echo @@""END $?')
        deadline = time.monotonic() + timeout
        while '@@BEGIN' not in self._read_line(deadline):
            pass
        out = []
        while True:
            line = self._read_line(deadline)
            m = re.search(r'@@END (\d+)', line)
            if m:
                break
            out.append(line)
        self.assertEqual(m.group(1), '0',
                         f'guest command failed: {command}\n' + '\n'.join(out))
        return out

    def _check_secure_no_denials(self):
        """A secure guest that shares pages and had no access refused"""
        info = self.vm.cmd('query-pef')
        self.log.info('query-pef: %s', info)
        self.assertTrue(info['secure'])
        self.assertGreater(info['shared-pages'], 0)
        self.assertEqual(info['denied-reads'], 0,
                         f'refused reads: {info["last-denials"]}')
        self.assertEqual(info['denied-writes'], 0,
                         f'refused writes: {info["last-denials"]}')
        return info

    def _power_off(self):
        """Power the guest off and wait for QEMU to exit."""
        exec_command(self, 'sync; poweroff -f')
        # Keep reading until QEMU closes the console: closing our end first
        # can make QEMU drop the command before the guest has read it.
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while self._read_line(deadline, eof_ok=True) is not None:
            pass
        self.vm.wait(timeout=COMMAND_TIMEOUT)

    # --- the shared flow ----------------------------------------------------

    def _guest_assets(self):
        paths = []
        for var in self.KERNEL_ENV:
            path = os.getenv(var)
            if not path:
                self.fail(f'{var} is not set; run {self.ASSETS_SCRIPT} '
                          f'and point {"/".join(self.KERNEL_ENV)} at '
                          'the vmlinux and initramfs.cpio.gz it prints')
            if not os.path.isfile(path):
                self.fail(f'{var}={path}: no such file')
            paths.append(path)
        return paths

    def _launch(self, machine, extra_args='', machine_args=(), accel='tcg'):
        """Start QEMU with the guest and its devices, without waiting.

        Returns the time.monotonic() at which QEMU was started.
        """
        kernel, initrd = self._guest_assets()
        self.disk = self.scratch_file('disk.raw')
        with open(self.disk, 'wb') as f:
            f.truncate(DISK_SIZE)

        self.set_machine(machine)
        self.vm.set_console()
        self.vm.add_args('-accel', accel,
                         '-machine', 'x-vof=on',    # faster than SLOF
                         '-m', self.MEMORY, '-nodefaults',
                         *machine_args,
                         '-kernel', kernel, '-initrd', initrd,
                         '-append', f'{self.KERNEL_COMMAND_LINE} {extra_args}',
                         '-drive', f'file={self.disk},format=raw,if=none,'
                                   'id=disk0',
                         '-device', 'virtio-blk-pci,drive=disk0',
                         '-netdev', 'user,id=net0',
                         '-device', 'virtio-net-pci,netdev=net0',
                         '-device', 'virtio-rng-pci')
        start = time.monotonic()
        self.vm.launch()
        return start

    def _boot(self, machine, extra_args='', machine_args=(), accel='tcg'):
        start = self._launch(machine, extra_args, machine_args, accel)
        self.vm.console_socket.settimeout(BOOT_TIMEOUT)
        try:
            wait_for_console_pattern(self, self.READY, PANIC)
        except TimeoutError:
            self.fail(f'guest did not boot within {BOOT_TIMEOUT} s')
        self.log.info('%s: guest ready after %.1f s', machine,
                      time.monotonic() - start)
        # keep kernel messages off the console while the test types
        self.guest('dmesg -n 1')

    def _virtio_features(self, expected=('blk', 'net', 'rng')):
        """{'blk'|'net'|...: (features bit string, driver)}.

        Fails unless exactly the @expected devices are bound to drivers.
        """
        devs = {}
        for line in self.guest('for d in /sys/bus/virtio/devices/*; do '
                               'echo DEV $(cat $d/device) $(cat $d/features) '
                               '$(basename $(readlink $d/driver)); done'):
            m = re.fullmatch(r'DEV 0x([0-9a-f]+) ([01]+) (\S+)', line.strip())
            if m and int(m.group(1), 16) in VIRTIO_IDS:
                devs[VIRTIO_IDS[int(m.group(1), 16)]] = (m.group(2),
                                                         m.group(3))
        self.log.info('virtio features: %s', devs)
        self.assertEqual(sorted(devs), sorted(expected),
                         'not every virtio device is bound to its driver')
        return devs

    def _check_blk(self, token, dev='/dev/vda'):
        """Write a pattern to @dev, read it back; returns the pattern"""
        # Written and read with O_DIRECT so both go through virtio-blk DMA
        pattern = ((token + '\n') * (DATA_SIZE // len(token) + 1)).encode()
        pattern = pattern[:DATA_SIZE]
        bs = 64 << 10
        self.guest(f'yes {token} | head -c {DATA_SIZE} > /tmp/pattern')
        self.guest(f'dd if=/tmp/pattern of={dev} bs={bs} '
                   f'seek={DATA_OFFSET // bs} oflag=direct conv=fsync')
        out = self.guest(f'dd if={dev} of=/tmp/readback bs={bs} '
                         f'skip={DATA_OFFSET // bs} count={DATA_SIZE // bs} '
                         'iflag=direct 2>/dev/null && '
                         'cmp /tmp/pattern /tmp/readback && '
                         'sha256sum /tmp/readback')
        self.assertIn(hashlib.sha256(pattern).hexdigest(), '\n'.join(out),
                      f'guest read back different data from {dev}')
        return pattern

    def _check_disk_image(self, pattern):
        """After power-off: the image holds what _check_blk() wrote"""
        with open(self.disk, 'rb') as f:
            f.seek(DATA_OFFSET)
            self.assertEqual(f.read(DATA_SIZE), pattern,
                             'the disk image does not hold what the guest '
                             'wrote')

    def _check_net(self, token):
        message = f'hello-from-{token}'
        sink = TcpSink(COMMAND_TIMEOUT)
        try:
            self.guest(f'ip link set eth0 up && '
                       f'ip addr add {GUEST_IP}/24 dev eth0 && '
                       f'echo {message} | nc -w 30 {HOST_IP} {sink.port}')
        finally:
            sink.close()
        self.assertEqual(sink.data, (message + '\n').encode(),
                         'host did not receive the guest message over '
                         'virtio-net')

    def _check_rng(self):
        current = self.guest('cat /sys/class/misc/hw_random/rng_current')
        self.assertTrue(current and current[-1].startswith('virtio_rng'),
                        f'hw_random source is not virtio: {current}')
        out = self.guest('head -c 64 /dev/hwrng | od -An -v -tx1')
        data = bytes.fromhex(''.join(out).replace(' ', ''))
        self.assertEqual(len(data), 64, 'short read from /dev/hwrng')
        self.assertGreater(len(set(data)), 1, '/dev/hwrng returned constant '
                           'bytes')
