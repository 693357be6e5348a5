#!/usr/bin/env python3
#
# make check-kernels: the secure-guest kernel built from each Debian Linux
# source (build-aux/fetch-secure-kernel --kernel K), each booted as a secure
# guest on pseries with the emulated Ultravisor (pef-guest under TCG, 2G,
# virtio-blk, virtio-net and virtio-rng) twice: with 'svm=on swiotlb=force'
# and with 'svm=on' alone.  Prints one table row per boot: what the guest
# says about secure mode (/sys/devices/system/cpu/svm), whether a pattern
# written to the virtio-blk disk reads back (in the guest, and in the image
# after power-off), and what the Ultravisor refused (query-pef).
#
# The table reports facts and asserts no policy: a guest whose I/O fails,
# or that never prints its marker, is a row like any other.  Exits 0 when
# every kernel was built and every row ran; 1 otherwise.
#
#   secure_guest_kernels.py [KERNEL...]    (default: 6.1 6.12 newest)
#
# Needs QEMU's functional-test environment, as build-aux/run-tests sets it:
# PYTHONPATH=build/qemu/python:build/qemu/tests/functional,
# QEMU_TEST_QEMU_BINARY and QEMU_BUILD_ROOT; run with build/obj/pyvenv's
# python3.  MATRIX_BOOT_TIMEOUT (s, default 120) bounds the wait for the
# marker, MATRIX_IO_TIMEOUT (s, default 60) each guest command.  Logs,
# console output and each guest's dmesg are kept in
# build/obj/tests/functional/ppc64/<row>/.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import re
import subprocess
import sys
import time
import unittest
import uuid

from pseries_guest import PseriesGuestTest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FETCH = os.path.join(TOP, 'build-aux', 'fetch-secure-kernel')
KERNELS = ('6.1', '6.12', 'newest')
COMMAND_LINES = ('svm=on swiotlb=force', 'svm=on')
SECURE_MACHINE = ('-machine', 'confidential-guest-support=pef0',
                  '-object', 'pef-guest,id=pef0')
# QEMU logs the first 16 refused reads and writes (then each power of two)
QEMU_LOG = ('-d', 'guest_errors')
DENIAL_LOG = re.compile(r'spapr-uv: hypervisor (read|write) of (\d+) bytes at '
                        r'0x([0-9a-f]+) \((\S+)\) refused.*\((\d+) ')
BOOT_TIMEOUT = int(os.getenv('MATRIX_BOOT_TIMEOUT', '120'))
IO_TIMEOUT = int(os.getenv('MATRIX_IO_TIMEOUT', '60'))
# dmesg lines worth a row's notes: swiotlb's verdict, virtio and block errors
DMESG_NOTES = re.compile(r'software IO TLB|swiotlb|[Mm]emory encryption|'
                         r'I/O error|blk_update_request|zero sized|'
                         r'virtio.*(error|fail|broken)|[Ss]ecure mode')
# QEMU's start-up warnings about TCG and the spapr caps: the same every time
QEMU_NOISE = re.compile(r"TCG doesn't support requested feature")


class Kernel:
    """One kernel of the matrix: built (or found current) by
    fetch-secure-kernel."""

    def __init__(self, name):
        self.name = name
        self.vmlinux = self.initrd = self.release = self.source = None
        self.seconds = None
        self.error = None

    def build(self):
        start = time.monotonic()
        print(f'== fetch-secure-kernel --kernel {self.name}', file=sys.stderr,
              flush=True)
        res = subprocess.run([FETCH, '--kernel', self.name],
                             stdout=subprocess.PIPE, text=True, check=False)
        self.seconds = time.monotonic() - start
        if res.returncode != 0:
            self.error = f'fetch-secure-kernel failed (exit {res.returncode})'
            return
        for line in res.stdout.splitlines():
            m = re.match(r'kernel:\s+(\S+) \((\S+)\)', line)
            if m:
                self.vmlinux, self.release = m.groups()
            m = re.match(r'initramfs:\s+(\S+)', line)
            if m:
                self.initrd = m.group(1)
        if not (self.vmlinux and self.initrd):
            self.error = f'cannot parse its output: {res.stdout!r}'
            return
        # "linux-source-X.Y=VERSION gcc=... ..."
        stamp = os.path.join(os.path.dirname(self.vmlinux), '.kernel-stamp')
        with open(stamp, encoding='utf-8') as f:
            self.source = f.read().split()[0].replace('=', ' ')


class Row:
    def __init__(self, kernel, cmdline):
        self.kernel = kernel
        self.cmdline = cmdline
        self.ran = False
        self.marker = None          # seconds to the marker, or None
        self.svm = '-'              # /sys/devices/system/cpu/svm
        self.io = 'no'              # yes: written, read back, in the image
        self.pef = None             # query-pef
        self.notes = []
        self.logdir = None

    def cells(self):
        pef = self.pef or {}
        if self.kernel.error:
            marker = 'not built'
        elif self.marker is None:
            marker = 'no marker'
        else:
            marker = f'{self.marker:.1f} s'
        return [self.kernel.release or self.kernel.name, self.cmdline, marker,
                self.svm,
                {True: 'yes', False: 'no'}.get(pef.get('secure'), '-'),
                self.io,
                str(pef.get('denied-reads', '-')),
                str(pef.get('denied-writes', '-'))]


HEADER = ['kernel', 'cmdline', 'marker', 'svm', 'pef secure', 'I/O verified',
          'denied reads', 'denied writes']


class SecureGuestKernels(PseriesGuestTest):
    """One test method per row, added by main(); a method fails only if
    its row could not be run at all."""

    READY = 'PSERIES-SVM-GUEST-READY'
    MEMORY = '2G'
    row = None

    def _guest_assets(self):
        return self.row.kernel.vmlinux, self.row.kernel.initrd

    def guest(self, command, timeout=IO_TIMEOUT):
        return super().guest(command, timeout)

    def _wait_marker(self, row, start):
        """Read the console to the marker; False if it never came."""
        deadline = start + BOOT_TIMEOUT
        tail = []
        try:
            while True:
                line = self._read_line(deadline)
                if self.READY in line:
                    row.marker = time.monotonic() - start
                    return True
                tail = (tail + [line])[-8:]
        except AssertionError as e:     # timeout, panic, QEMU gone
            row.notes.append(f'no marker within {BOOT_TIMEOUT} s: {e}')
            row.notes += [f'console: {t}' for t in tail if t.strip()]
            return False

    def _dmesg(self, name):
        """The guest's dmesg, kept in the row's log directory."""
        lines = self.guest('dmesg')
        with open(self.log_file(name), 'w', encoding='utf-8') as f:
            f.write('\n'.join(lines) + '\n')
        return lines

    def _in_guest(self, row):
        """svm, dmesg and the disk check in the guest's shell.

        Returns (the pattern on the disk or None, whether the shell still
        answers).
        """
        pattern, step = None, 'dmesg'
        try:
            self.guest('dmesg -n 1')
            row.svm = self.guest('cat /sys/devices/system/cpu/svm')[-1].strip()
            boot = self._dmesg('dmesg-boot.txt')
            row.notes += [f'dmesg: {l}' for l in boot
                          if DMESG_NOTES.search(l)][:6]
            step = 'I/O'
            try:
                pattern = self._check_blk(f'svm-{uuid.uuid4().hex[:12]}')
            except AssertionError as e:
                row.notes.append(f'I/O: {str(e).splitlines()[0]}')
            step = 'dmesg after I/O'
            after = self._dmesg('dmesg.txt')[len(boot):]
            row.notes += [f'dmesg: {l}' for l in after
                          if DMESG_NOTES.search(l)][:6]
        except AssertionError as e:
            row.notes.append(f'shell stopped answering ({step}): '
                             f'{str(e).splitlines()[0]}')
            return pattern, False
        return pattern, True

    def run_row(self, row):
        row.logdir = self.log_file()
        start = self._launch('pseries', row.cmdline,
                             SECURE_MACHINE + QEMU_LOG)
        pattern, shell = None, self._wait_marker(row, start)
        if shell:
            pattern, shell = self._in_guest(row)
        if self.vm.is_running():
            row.pef = self.vm.cmd('query-pef')
        else:
            row.notes.append(f'QEMU exited: status {self.vm.exitcode()}')
        if pattern is not None and shell:
            try:
                self._power_off()
            except AssertionError as e:
                row.notes.append(f'power-off: {e}')
        self.vm.shutdown()
        if pattern is not None:
            try:
                self._check_disk_image(pattern)
                row.io = 'yes'
            except AssertionError as e:
                row.io = 'no'
                row.notes.append(f'image: {str(e).splitlines()[0]}')
        qemu_log = (self.vm.get_log() or '').splitlines()
        first = [{'write': m.group(1) == 'write', 'size': int(m.group(2)),
                  'gpa': int(m.group(3), 16), 'requester': m.group(4)}
                 for m in map(DENIAL_LOG.search, qemu_log)
                 if m and int(m.group(5)) <= 16]
        if row.pef:
            row.notes += summarize_denials('first', first)
            row.notes += summarize_denials('last', row.pef['last-denials'])
        row.notes += [f'qemu: {l}' for l in qemu_log
                      if l.strip() and not QEMU_NOISE.search(l) and
                      not DENIAL_LOG.search(l)][:4]
        with open(self.log_file('row.json'), 'w', encoding='utf-8') as f:
            json.dump({'kernel': row.kernel.release,
                       'source': row.kernel.source, 'cmdline': row.cmdline,
                       'marker': row.marker, 'svm': row.svm, 'io': row.io,
                       'query-pef': row.pef, 'notes': row.notes}, f, indent=1)
        row.ran = True


def summarize_denials(which, denials):
    """Refused accesses (query-pef's last-denials, or the first ones QEMU
    logged) as runs of adjacent accesses"""
    runs = []
    for d in denials:
        kind = ('write' if d['write'] else 'read', d['requester'], d['size'])
        if runs and runs[-1][0] == kind and runs[-1][2] + d['size'] == d['gpa']:
            runs[-1][2] = d['gpa']
            runs[-1][3] += 1
        else:
            runs.append([kind, d['gpa'], d['gpa'], 1])
    return [f'{which} denials: {n} {what}(s) of {size} bytes by {who} at '
            f'0x{lo:x}' + (f'-0x{hi + size - 1:x}' if n > 1 else '')
            for (what, who, size), lo, hi, n in runs]


def row_test(row):
    def test(self):
        self.row = row
        self.run_row(row)
    return test


def print_table(rows):
    cells = [HEADER] + [r.cells() for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    for i, c in enumerate(cells):
        print('  '.join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
        if i == 0:
            print('  '.join('-' * w for w in widths))


def main():
    names = sys.argv[1:] or KERNELS
    kernels = [Kernel(n) for n in names]
    for k in kernels:
        k.build()
    rows, suite = [], unittest.TestSuite()
    for k in kernels:
        for cmdline in COMMAND_LINES:
            row = Row(k, cmdline)
            rows.append(row)
            if k.error:
                continue
            method = 'test_{}_{}'.format(
                re.sub(r'\W', '_', k.name),
                re.sub(r'\W', '_', cmdline.replace('svm=on', 'svm')))
            setattr(SecureGuestKernels, method, row_test(row))
            suite.addTest(SecureGuestKernels(method))
    unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(suite)

    print()
    print('Kernels:')
    for k in kernels:
        what = k.error or f'{k.release} from {k.source}'
        print(f'  {k.name:7} {what} '
              f'(fetch-secure-kernel: {k.seconds:.0f} s)')
    print()
    print_table(rows)
    print()
    for r in rows:
        if (r.notes or not r.ran) and not r.kernel.error:
            print(f'{r.kernel.release} "{r.cmdline}":'
                  + ('' if r.ran else ' DID NOT RUN'))
            for n in r.notes:
                print(f'  {n}')
            if r.logdir:
                print(f'  (logs: {r.logdir})')
    ok = all(not k.error for k in kernels) and all(r.ran for r in rows)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
