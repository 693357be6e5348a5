#!/usr/bin/env python3
#
# Stress a secure guest (svm=on swiotlb=force, pef-guest: the emulated
# Ultravisor under TCG) with 4 vCPUs under MTTCG.  For a bounded time
# (PSERIES_STRESS_SECONDS, default 60 s) the guest runs four loops at once:
#
#  - blk: writes a per-iteration pattern to /dev/vda (O_DIRECT, one of 8
#    slots of 1 MiB), reads it back and compares;
#  - net: sends 64 KiB of random data over virtio-net to a host peer that
#    echoes it back, and compares checksums;
#  - con: prints numbered, checksummed lines on the console (hvc0), which
#    the test checks for order and content;
#  - shr: unbinds and rebinds the virtio-rng device, in turn from the
#    virtio_rng driver and from the virtio-pci driver, so that the guest
#    frees and allocates its DMA-coherent vring, which a secure guest
#    unshares (UV_UNSHARE_PAGE) and shares (UV_SHARE_PAGE) again, then
#    reads /dev/hwrng through the new ring.
#
# Meanwhile the test samples query-pef and traces the ultracalls.  At the
# end QEMU must be running, every loop must have made progress without a
# single mismatch, pages must have been unshared and shared again with no
# net leak, the Ultravisor must have refused nothing, and the disk image
# must hold what the guest wrote last.
#
# The guest comes from build-aux/fetch-secure-kernel; pass it in
# PSERIES_SVM_KERNEL and PSERIES_SVM_INITRD.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import base64
import hashlib
import os
import re
import socket
import threading
import time
import uuid

from qemu_test import QemuSystemTest
from qemu_test import exec_command
from pseries_guest import (PseriesGuestTest, COMMAND_TIMEOUT, GUEST_IP,
                           HOST_IP)
from test_ppc64_pseries_secure_guest import SECURE_MACHINE

DEFAULT_SECONDS = 60
SMP = 4
POLL_INTERVAL = 0.25    # s between query-pef samples
LOOPS = ('blk', 'net', 'con', 'shr')
SLOT_SIZE = 1 << 20     # the blk loop writes iteration i to slot i % 8 + 1
SLOTS = 8
NET_SIZE = 64 << 10
UV_SHARE_PAGE = 0xF130
UV_UNSHARE_PAGE = 0xF134

# Run in the guest as: sh stress.sh SECONDS TOKEN HOST PORT RNG-DEVICE
# Each loop prints 'STRESS <loop> <i> ...' per iteration, 'STRESS-FAIL
# <loop> <i> ...' for a mismatch, and 'STRESS-DONE <loop> <iterations>
# <failures>' at the end.
GUEST_SCRIPT = r'''
end=$(($(date +%s) + $1)) tok=$2 host=$3 port=$4 rng=$5
running() { [ "$(date +%s)" -lt "$end" ]; }

blk() {
    i=0 e=0
    while running; do
        i=$((i + 1)) s=$((i % 8 + 1))
        yes "$tok-blk-$i" | head -c 1048576 > /tmp/blk.w
        if dd if=/tmp/blk.w of=/dev/vda bs=65536 seek=$((s * 16)) \
                oflag=direct conv=fsync 2>/dev/null &&
           dd if=/dev/vda of=/tmp/blk.r bs=65536 skip=$((s * 16)) \
                count=16 iflag=direct 2>/dev/null &&
           cmp -s /tmp/blk.w /tmp/blk.r; then
            echo "STRESS blk $i ok"
        else
            e=$((e + 1))
            echo "STRESS-FAIL blk $i"
        fi
    done
    echo "STRESS-DONE blk $i $e"
}

net() {
    i=0 e=0
    while running; do
        i=$((i + 1))
        head -c 65536 /dev/urandom > /tmp/net.w
        want=$(md5sum < /tmp/net.w)
        got=$({ echo "$tok-net-$i 65536"; cat /tmp/net.w; } |
              nc -w 30 "$host" "$port" | md5sum)
        if [ "$got" = "$want" ]; then
            echo "STRESS net $i ok"
        else
            e=$((e + 1))
            echo "STRESS-FAIL net $i"
        fi
    done
    echo "STRESS-DONE net $i $e"
}

con() {
    i=0
    while running; do
        i=$((i + 1))
        echo "STRESS con $i $(echo "$tok-con-$i" | md5sum | cut -c1-32)"
    done
    echo "STRESS-DONE con $i 0"
}

shr() {
    i=0 e=0 vd=/sys/bus/virtio/drivers/virtio_rng
    pd=/sys/bus/pci/drivers/virtio-pci
    pci=$(readlink -f /sys/bus/virtio/devices/$rng/..)
    zero=$(printf '%064d' 0)
    while running; do
        i=$((i + 1))
        if [ $((i % 2)) = 1 ]; then
            how=virtio d=$vd dev=$rng
        else
            how=pci d=$pd dev=${pci##*/}
        fi
        echo "$dev" > $d/unbind
        if [ -e /sys/bus/virtio/devices/$rng/driver ]; then
            e=$((e + 1))
            echo "STRESS-FAIL shr $i $how: still bound"
        fi
        usleep 50000
        echo "$dev" > $d/bind
        for v in "$pci"/virtio*; do
            rng=${v##*/}
        done
        h=$(timeout 10 head -c 32 /dev/hwrng | od -An -v -tx1 | tr -d ' \n')
        if [ -e /sys/bus/virtio/devices/$rng/driver ] && [ ${#h} -eq 64 ] &&
           [ "$h" != "$zero" ]; then
            echo "STRESS shr $i ok $how"
        else
            e=$((e + 1))
            echo "STRESS-FAIL shr $i $how: rng=$h"
        fi
    done
    echo "STRESS-DONE shr $i $e"
}

blk &
net &
con &
shr &
wait
'''


class EchoPeer:
    """TCP server on the host loopback for the guest's net loop.

    Each connection sends a line '<tag> <size>' and <size> bytes, which
    are echoed back as they arrive; then the server closes it.
    """

    def __init__(self):
        self._sock = socket.create_server(('127.0.0.1', 0))
        self._sock.settimeout(1)
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        self.bytes = 0
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            with conn:
                try:
                    self._echo(conn)
                except (OSError, ValueError, IndexError) as e:
                    self.errors.append(f'connection {self.connections}: '
                                       f'{e}')

    def _echo(self, conn):
        conn.settimeout(60)
        self.connections += 1
        head = b''
        while b'\n' not in head:
            chunk = conn.recv(256)
            if not chunk:
                raise ValueError(f'no header: {head!r}')
            head += chunk
        line, data = head.split(b'\n', 1)
        size = int(line.split()[1])
        left = size
        while True:
            if data:
                conn.sendall(data)
                left -= len(data)
                self.bytes += len(data)
            if left <= 0:
                break
            data = conn.recv(min(65536, left))
            if not data:
                raise ValueError(f'{line!r}: {left} bytes missing')
        if left < 0:
            raise ValueError(f'{line!r}: {-left} bytes too many')

    def close(self):
        self._stop.set()
        self._sock.close()
        self._thread.join(5)


class PseriesSecureStress(PseriesGuestTest):

    KERNEL_ENV = ('PSERIES_SVM_KERNEL', 'PSERIES_SVM_INITRD')
    ASSETS_SCRIPT = 'build-aux/fetch-secure-kernel'
    READY = 'PSERIES-SVM-GUEST-READY'
    MEMORY = '2G'

    def _stress_seconds(self):
        value = os.getenv('PSERIES_STRESS_SECONDS', str(DEFAULT_SECONDS))
        try:
            seconds = int(value)
        except ValueError:
            seconds = 0
        if seconds <= 0:
            self.fail(f'PSERIES_STRESS_SECONDS={value}: not a positive '
                      'number of seconds')
        return seconds

    def _boot_mttcg(self):
        """_boot() with SMP vCPUs under MTTCG and the ultracalls traced."""
        self.trace = self.scratch_file('trace.log')
        self._boot('pseries', 'svm=on swiotlb=force',
                   SECURE_MACHINE + ('-smp', str(SMP),
                                     '-trace', 'spapr_uv_ultracall',
                                     '-D', self.trace),
                   accel='tcg,thread=multi')

    def _ultracalls(self, offset=0):
        """({opcode: count of successful calls}, [failed calls]) in the
        trace from byte @offset on, and the offset of its end."""
        counts, failed = {}, []
        with open(self.trace, 'rb') as f:
            f.seek(offset)
            data = f.read()
        text = data[:data.rfind(b'\n') + 1].decode(errors='replace')
        for line in text.splitlines():
            m = re.search(r'spapr_uv_ultracall opcode 0x([0-9a-f]+) .* '
                          r'ret (-?\d+)', line)
            if not m:
                continue
            opcode, ret = int(m.group(1), 16), int(m.group(2))
            if ret == 0:
                counts[opcode] = counts.get(opcode, 0) + 1
            else:
                failed.append(line.strip())
        return counts, failed, offset + len(text.encode())

    def _send_script(self, script, path):
        """Copy @script to @path in the guest, through the console."""
        data = base64.b64encode(script.encode()).decode()
        self.guest(f'rm -f {path}.b64')
        for i in range(0, len(data), 512):
            self.guest(f'echo {data[i:i + 512]} >> {path}.b64')
        out = self.guest(f'base64 -d {path}.b64 > {path} && md5sum < {path}')
        self.assertIn(hashlib.md5(script.encode()).hexdigest(),
                      '\n'.join(out), 'the stress script got mangled')

    def _next_line(self, wait):
        """A console line, or None if none comes within @wait seconds."""
        sock = self.vm.console_socket
        end = time.monotonic() + wait
        while b'\n' not in self._console_buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            try:
                data = sock.recv(4096)
            except TimeoutError:
                return None
            if not data:
                self.fail('guest console closed (did QEMU exit?)')
            self._console_buf += data
        return self._read_line(end + 1)

    def _run_stress(self, command, timeout, token):
        """Run @command, which prints the loops' lines; sample query-pef
        while it runs.  Returns (per-loop results, query-pef samples)."""
        progress = {loop: 0 for loop in LOOPS}
        self.rebinds = {}
        done, failures, samples = {}, [], []
        exec_command(self, f'echo @@""BEGIN; {command}; echo @@""END $?')
        deadline = time.monotonic() + timeout
        next_poll = 0
        started = False
        while True:
            now = time.monotonic()
            if now >= next_poll:
                info = self.vm.cmd('query-pef')
                samples.append((info['shared-pages'], info['denied-reads'],
                                info['denied-writes']))
                next_poll = now + POLL_INTERVAL
            if now >= deadline:
                self.fail(f'the stress loops did not end within {timeout} s')
            line = self._next_line(POLL_INTERVAL)
            if line is None:
                continue
            if not started:
                started = '@@BEGIN' in line
                continue
            m = re.search(r'@@END (\d+)', line)
            if m:
                self.assertEqual(m.group(1), '0', 'the stress script failed')
                break
            m = re.search(r'STRESS(-FAIL|-DONE)? (\w+) (\d+) ?(.*)', line)
            if not m or m.group(2) not in LOOPS:
                continue
            kind, loop, i, rest = m.groups()
            i = int(i)
            if kind == '-FAIL':
                failures.append(line)
            elif kind == '-DONE':
                done[loop] = (i, int(rest.split()[0]))
            elif loop == 'con':
                # every console line arrives, in order, intact
                want = hashlib.md5(f'{token}-con-{i}\n'.encode()).hexdigest()
                if i != progress[loop] + 1 or rest.strip() != want:
                    failures.append(f'console line {progress[loop] + 1} '
                                    f'expected, got: {line}')
                progress[loop] = i
            else:
                progress[loop] += 1
                if loop == 'shr':
                    how = rest.split()[-1]
                    self.rebinds[how] = self.rebinds.get(how, 0) + 1
        return progress, done, failures, samples

    def _check_slots(self, token, iterations):
        """After power-off: slot i % 8 + 1 holds the pattern of the last
        iteration i that wrote it."""
        with open(self.disk, 'rb') as f:
            for i in range(max(1, iterations - SLOTS + 1), iterations + 1):
                line = f'{token}-blk-{i}\n'
                want = (line * (SLOT_SIZE // len(line) + 1))[:SLOT_SIZE]
                f.seek((i % SLOTS + 1) * SLOT_SIZE)
                self.assertEqual(f.read(SLOT_SIZE), want.encode(),
                                 f'disk slot {i % SLOTS + 1} does not hold '
                                 f'blk iteration {i}')

    def test_stress(self):
        seconds = self._stress_seconds()
        self._boot_mttcg()
        self.assertEqual(self.guest('cat /sys/devices/system/cpu/svm')[-1]
                         .strip(), '1', 'the guest is not secure')
        self.assertEqual(self.guest('nproc')[-1].strip(), str(SMP))
        threads = {c['thread-id'] for c in self.vm.cmd('query-cpus-fast')}
        self.assertEqual(len(threads), SMP,
                         'the vCPUs do not run in their own threads (MTTCG)')

        rng = [line.split()[1] for line in self.guest(
            'for d in /sys/bus/virtio/devices/*; do '
            '[ $(cat $d/device) = 0x0004 ] && echo RNG ${d##*/}; done; true')
            if line.startswith('RNG ')]
        self.assertEqual(len(rng), 1, 'no virtio-rng device in the guest')
        self.guest(f'ip link set eth0 up && '
                   f'ip addr add {GUEST_IP}/24 dev eth0')
        self._send_script(GUEST_SCRIPT, '/tmp/stress.sh')

        token = f'stress-{uuid.uuid4().hex[:12]}'
        peer = EchoPeer()
        before = self.vm.cmd('query-pef')
        _, _, offset = self._ultracalls()
        start = time.monotonic()
        command = (f'sh /tmp/stress.sh {seconds} {token} {HOST_IP} '
                   f'{peer.port} {rng[0]}')
        try:
            progress, done, failures, samples = self._run_stress(
                command, seconds + COMMAND_TIMEOUT, token)
        finally:
            peer.close()
        elapsed = time.monotonic() - start
        after = self.vm.cmd('query-pef')
        calls, failed_calls, _ = self._ultracalls(offset)
        shares = calls.get(UV_SHARE_PAGE, 0)
        unshares = calls.get(UV_UNSHARE_PAGE, 0)
        shared = [s[0] for s in samples]
        changes = sum(a != b for a, b in zip(shared, shared[1:]))
        self.log.info('stress: %.1f s; iterations %s; done %s; rng '
                      'rebinds %s; net peer: '
                      '%d connections, %d bytes echoed; query-pef: %d '
                      'samples, shared-pages %d..%d, %d changes (%d '
                      'before, %d after); '
                      'ultracalls: %d UV_SHARE_PAGE, %d UV_UNSHARE_PAGE, '
                      'failed: %s; denied reads %d, writes %d',
                      elapsed, progress, done, self.rebinds,
                      peer.connections, peer.bytes,
                      len(samples), min(shared), max(shared), changes,
                      before['shared-pages'], after['shared-pages'],
                      shares, unshares, failed_calls,
                      after['denied-reads'], after['denied-writes'])

        # QEMU alive, the guest secure, nothing refused
        self.assertEqual(self.vm.cmd('query-status')['status'], 'running')
        self.assertTrue(after['secure'])
        self.assertEqual(after['denied-reads'], 0,
                         f'refused reads: {after["last-denials"]}')
        self.assertEqual(after['denied-writes'], 0,
                         f'refused writes: {after["last-denials"]}')

        # every loop made progress, with no mismatch
        self.assertEqual(failures, [], 'the guest loops reported errors')
        self.assertEqual(peer.errors, [], 'the host peer saw bad transfers')
        for loop in LOOPS:
            self.assertIn(loop, done, f'loop {loop} did not finish')
            iterations, errors = done[loop]
            self.assertEqual(errors, 0, f'loop {loop}: {errors} errors')
            self.assertEqual(progress[loop], iterations,
                             f'loop {loop}: {iterations} iterations, '
                             f'{progress[loop]} reported on the console')
            self.assertGreaterEqual(iterations, 2,
                                    f'loop {loop} made no progress')
        self.assertEqual(peer.connections, done['net'][0])
        self.assertGreater(self.rebinds.get('pci', 0), 0,
                           'virtio-pci was never rebound')

        # pages were unshared and shared again, once per rebind at least,
        # and the guest ends with as many shared pages as it began with
        self.assertEqual(failed_calls, [], 'failed ultracalls')
        self.assertGreaterEqual(unshares, done['shr'][0])
        self.assertGreaterEqual(shares, done['shr'][0])
        self.assertGreater(max(shared), min(shared),
                           'query-pef never saw shared-pages change')
        self.assertEqual(after['shared-pages'], before['shared-pages'],
                         'shared pages leaked or lost')

        # the devices still work; then the disk image holds the last writes
        self._check_rng()
        self._power_off()
        self._check_slots(token, done['blk'][0])


if __name__ == '__main__':
    QemuSystemTest.main()
