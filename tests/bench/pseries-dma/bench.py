#!/usr/bin/env python3
#
# make bench: what VIRTIO_F_ACCESS_PLATFORM by default, the emulated
# Ultravisor's gate and bounce buffers cost, side by side with unpatched
# QEMU built from the same source.
#
# Two kinds of scenario, run interleaved for --rounds rounds (every mode
# once per round, in turn, so drift over time hits all modes alike):
#
#  - guest workloads: a real Linux guest under TCG (Debian's kernel, or
#    the secure-guest kernel for the secure rows) with a busybox initramfs
#    plus dmabench (dmabench.c): boot time, virtio-blk O_DIRECT
#    sequential and random I/O, virtio-net bulk TCP to a host peer;
#  - the QEMU side alone: the qtest driver (virtio-dma-test -m perf)
#    issuing virtio-blk requests through direct, TCE and bounce DMA ops;
#    wall time, and the instructions the QEMU process executes per
#    request, counted by callgrind (nearly deterministic, unlike TCG wall
#    time).
#
# Writes OUT/results.csv, OUT/results.md (printed too) and OUT/ratios.png.
# A benchmark, not a test: it asserts that every run did the I/O it
# claims (stamped blocks, byte counts, DMA mode, no refused access), never
# how fast it was.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import csv
import json
import os
import platform
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# printed by /init of both initramfs (PSERIES-DMA-, PSERIES-SVM-)
READY = '-GUEST-READY'
PANIC = 'Kernel panic - not syncing'
# The part of the disk the 1 MiB workloads cycle over (the disk is larger)
SPAN_MIB = 512
GUEST_IP, HOST_IP = '10.0.2.15', '10.0.2.2'
VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM = 32, 33
VIRTIO_IDS = {'0x0001': 'net', '0x0002': 'blk'}

# --- modes ------------------------------------------------------------------
#
# binary: 'ours' or 'baseline'; kernel: 'debian' or 'svm'; access_platform:
# what bit 33 must read in the guest's negotiated features (None: legacy,
# where bit 32 must be clear too).  baseline: the mode each row's ratio is
# taken against (itself for the reference rows).

GUEST_MODES = {
    'unpatched': dict(
        binary='baseline', kernel='debian', machine='pseries',
        append='', access_platform=False, baseline='unpatched',
        what='unpatched QEMU, pseries (its default, 10.0): no '
             'ACCESS_PLATFORM offered, direct DMA'),
    'ours-default': dict(
        binary='ours', kernel='debian', machine='pseries',
        append='', access_platform=True, baseline='unpatched',
        what='ours, pseries (default, 10.1): ACCESS_PLATFORM accepted, '
             'DMA through the TCE/DDW window'),
    'ours-declined': dict(
        binary='ours', kernel='debian', machine='pseries',
        append='virtio_pci.force_legacy=1', access_platform=None,
        baseline='unpatched',
        what='ours, pseries-10.1, the driver declines (legacy virtio-pci '
             'driver, which cannot see bit 33): direct DMA'),
    'ours-10.0': dict(
        binary='ours', kernel='debian', machine='pseries-10.0',
        append='', access_platform=False, baseline='unpatched',
        what='ours, pseries-10.0: not offered, direct DMA'),
    'ours-svm-kernel': dict(
        binary='ours', kernel='svm', machine='pseries',
        append='', access_platform=True, baseline='ours-default',
        what='ours, pseries-10.1, the secure-guest kernel booted '
             'non-secure (the reference for the secure rows)'),
    'secure-nogate': dict(
        binary='ours', kernel='svm', machine='pseries', pef='x-gate=off',
        append='svm=on swiotlb=force', access_platform=True,
        baseline='ours-svm-kernel',
        what='secure guest (swiotlb bounce) with pef-guest x-gate=off: '
             'the bounce cost alone'),
    'secure': dict(
        binary='ours', kernel='svm', machine='pseries', pef='',
        append='svm=on swiotlb=force', access_platform=True,
        baseline='secure-nogate',
        what='secure guest (swiotlb bounce) through the gate: its ratio '
             'is the gate\'s cost'),
}

# The QEMU side alone: virtio-dma-test -m perf cases (virtio-dma-test.c)
QTEST_MODES = {
    'unpatched': dict(binary='baseline', case='direct', baseline='unpatched'),
    'ours-direct': dict(binary='ours', case='direct', baseline='unpatched'),
    'ours-iommu': dict(binary='ours', case='iommu', baseline='unpatched'),
    'ours-bounce-nogate': dict(binary='ours', case='bounce-nogate',
                               baseline='ours-iommu'),
    'ours-bounce': dict(binary='ours', case='bounce',
                        baseline='ours-bounce-nogate'),
}

HIGHER_IS_BETTER = {'MB/s': True, 'IOPS': True, 'req/s': True,
                    's': False, 'Ir/req': False, 'CPU s/GB': False}


def log(msg):
    print(f'bench: {msg}', flush=True)


class BenchError(Exception):
    pass


# --- a guest on the console --------------------------------------------------

class Qmp:
    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise BenchError('cannot connect to QMP')
                time.sleep(0.1)
        self.file = self.sock.makefile('rw')
        self._read()
        self.cmd('qmp_capabilities')

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise BenchError('QMP closed')
            msg = json.loads(line)
            if 'event' not in msg:
                return msg

    def cmd(self, name, **args):
        self.file.write(json.dumps({'execute': name, 'arguments': args}))
        self.file.flush()
        rsp = self._read()
        if 'error' in rsp:
            raise BenchError(f'{name}: {rsp["error"]["desc"]}')
        return rsp['return']

    def close(self):
        self.sock.close()


class Guest:
    """qemu-system-ppc64 with the guest's console on a pipe"""

    def __init__(self, qemu, args, tmp, timeout):
        self.tmp = tmp
        self.timeout = timeout
        qmp = os.path.join(tmp, 'qmp.sock')
        self.stderr = open(os.path.join(tmp, 'qemu.stderr'), 'w+')
        self.buf = b''
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            [qemu, *args, '-display', 'none', '-serial', 'stdio',
             '-qmp', f'unix:{qmp},server=on,wait=off'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr)
        self.qmp = None
        self.boot_seconds = None
        try:
            self.wait_for(READY)
            self.boot_seconds = time.monotonic() - self.start
            self.qmp = Qmp(qmp)
        except BaseException:
            self.kill()
            raise

    def _line(self, deadline):
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError('guest console timed out')
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                self.stderr.seek(0)
                raise BenchError('QEMU exited: ' + self.stderr.read()[-2000:])
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        text = line.decode(errors='replace').rstrip('\r')
        if PANIC in text:
            raise BenchError(f'guest kernel panic: {text}')
        return text

    def wait_for(self, pattern):
        deadline = time.monotonic() + self.timeout
        while pattern not in self._line(deadline):
            pass

    def run(self, command):
        """Run a shell command in the guest, return its output lines"""
        self.proc.stdin.write(
            f'echo @@""BEGIN; {command}; echo @@""END $?\n'.encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + self.timeout
        while '@@BEGIN' not in self._line(deadline):
            pass
        out = []
        while True:
            line = self._line(deadline)
            m = re.search(r'@@END (\d+)', line)
            if m:
                break
            out.append(line)
        if m.group(1) != '0':
            raise BenchError(f'guest command failed: {command}\n' +
                             '\n'.join(out))
        return out

    def cpu_seconds(self):
        """CPU time QEMU used so far, all threads (not the host's steal)"""
        with open(f'/proc/{self.proc.pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def poweroff(self):
        try:
            self.proc.stdin.write(b'poweroff -f\n')
            self.proc.stdin.flush()
            self.proc.wait(60)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def kill(self):
        if self.qmp:
            self.qmp.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


class TcpSink:
    """Counts what one connection sends, then answers with the count"""

    def __init__(self):
        self.sock = socket.create_server(('127.0.0.1', 0))
        self.sock.settimeout(600)
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(600)
                while True:
                    data = conn.recv(1 << 20)
                    if not data:
                        break
                    self.received += len(data)
                conn.sendall(f'{self.received}\n'.encode())
        except OSError:
            pass

    def close(self):
        self.sock.close()
        self.thread.join(10)


# --- guest workloads ---------------------------------------------------------

def guest_workloads(scale):
    """(scenario, metric, unit, dmabench command) in the order they run.

    Every write pass stamps its blocks with a new generation; every read
    checks the generation of the last write over what it reads: the 1 MiB
    passes cycle over SPAN, the 4 KiB passes and the random reads stay in
    what the 4 KiB writes covered.
    """
    big = max(1, int(4096 * scale))
    small = min(max(1, int(48 * scale)), SPAN_MIB)
    count = max(16, int(15000 * scale))
    span = f'{SPAN_MIB}m'
    return [
        ('blk-seq-write-1m', 'throughput', 'MB/s',
         f'seq-write /dev/vda 1m {big}m {span} 1'),
        ('blk-seq-read-1m', 'throughput', 'MB/s',
         f'seq-read /dev/vda 1m {big}m {span} 1'),
        ('blk-seq-write-4k', 'throughput', 'MB/s',
         f'seq-write /dev/vda 4k {small}m {small}m 2'),
        ('blk-seq-read-4k', 'throughput', 'MB/s',
         f'seq-read /dev/vda 4k {small}m {small}m 2'),
        ('blk-rand-read-4k', 'iops', 'IOPS',
         f'rand-read /dev/vda 4k {small}m {count} 2'),
        ('net-bulk', 'throughput', 'MB/s', None),
    ]


def parse_dmabench(lines, what):
    for line in lines:
        m = re.search(r'DMABENCH (\S+) bytes=(\d+) ops=(\d+) ns=(\d+) '
                      r'errors=(\d+)', line)
        if m:
            if int(m.group(5)):
                raise BenchError(f'{what}: {m.group(5)} blocks or bytes '
                                 'were wrong')
            return int(m.group(2)), int(m.group(3)), int(m.group(4))
    raise BenchError(f'{what}: no result from dmabench: {lines}')


def check_dma_mode(g, name, mode):
    """Both devices negotiated what the mode says, and (ours) QEMU agrees"""
    out = g.run('for d in /sys/bus/virtio/devices/*; do '
                'echo DEV $(cat $d/device) $(cat $d/features); done')
    found = {}
    for line in out:
        f = line.split()
        if len(f) == 3 and f[0] == 'DEV' and f[1] in VIRTIO_IDS:
            found[VIRTIO_IDS[f[1]]] = f[2]
    if sorted(found) != ['blk', 'net']:
        raise BenchError(f'{name}: virtio-blk and -net not both bound: '
                         f'{out}')
    want = mode['access_platform']
    for dev, bits in found.items():
        if want is None:
            ok = bits[VIRTIO_F_VERSION_1] == '0' and \
                bits[VIRTIO_F_ACCESS_PLATFORM] == '0'
        else:
            ok = bits[VIRTIO_F_ACCESS_PLATFORM] == ('1' if want else '0')
        if not ok:
            raise BenchError(f'{name}: virtio-{dev} negotiated {bits}, '
                             'not the features of this mode')
        if mode['binary'] == 'ours':
            dma = g.qmp.cmd('qom-get',
                            path=f'/machine/peripheral/v{dev}/virtio-backend',
                            property='dma-mode')
            if dma != ('platform' if want else 'direct'):
                raise BenchError(f'{name}: virtio-{dev} is in DMA mode '
                                 f'{dma}')


def run_guest_round(opts, name, mode, results, tmp):
    kernel, initrd = opts.assets[mode['kernel']]
    disk = os.path.join(tmp, 'disk.raw')
    with open(disk, 'wb') as f:
        f.truncate(opts.disk_mib << 20)
    machine = mode['machine'] + ',x-vof=on'
    args = ['-accel', 'tcg', '-m', opts.memory, '-nodefaults',
            '-kernel', kernel, '-initrd', initrd,
            '-append', f'console=hvc0 {mode["append"]}'.strip(),
            '-drive', f'file={disk},format=raw,if=none,id=d0',
            '-device', 'virtio-blk-pci,drive=d0,id=vblk',
            '-netdev', 'user,id=n0',
            '-device', 'virtio-net-pci,netdev=n0,id=vnet']
    if 'pef' in mode:
        machine += ',confidential-guest-support=pef0'
        args += ['-object', ','.join(filter(None, ['pef-guest,id=pef0',
                                                   mode['pef']]))]
    args += ['-machine', machine]
    qemu = opts.qemu[mode['binary']]

    g = Guest(qemu, args, tmp, opts.timeout)
    try:
        results.add('boot', name, 'time-to-initramfs', 's', g.boot_seconds)
        g.run('dmesg -n 1')
        check_dma_mode(g, name, mode)
        if 'pef' in mode:
            if g.run('cat /sys/devices/system/cpu/svm') != ['1']:
                raise BenchError(f'{name}: the guest is not secure')
        g.run(f'ip link set eth0 up && ip addr add {GUEST_IP}/24 dev eth0')
        for scenario, metric, unit, cmd in guest_workloads(opts.scale):
            cpu = g.cpu_seconds()
            if cmd is None:
                sink = TcpSink()
                try:
                    out = g.run(f'dmabench net-send {HOST_IP} {sink.port} '
                                f'{max(1, int(96 * opts.scale))}m')
                finally:
                    sink.close()
            else:
                out = g.run(f'dmabench {cmd}')
            cpu = g.cpu_seconds() - cpu
            nbytes, ops, ns = parse_dmabench(out, f'{name} {scenario}')
            value = ops / ns * 1e9 if unit == 'IOPS' else nbytes / ns * 1e3
            results.add(scenario, name, metric, unit, value)
            results.add(scenario, name, 'host CPU per GB moved', 'CPU s/GB',
                        cpu / nbytes * 1e9)
        if 'pef' in mode:
            info = g.qmp.cmd('query-pef')
            denied = info['denied-reads'] + info['denied-writes']
            if not info['secure'] or denied:
                raise BenchError(f'{name}: secure={info["secure"]}, '
                                 f'{denied} refused accesses')
            results.bookkeeping = info
        g.poweroff()
    except BaseException:
        g.kill()
        raise


# --- the QEMU side alone -----------------------------------------------------

def run_qtest(opts, qemu, case, requests, wrapper=''):
    env = dict(os.environ,
               QTEST_QEMU_BINARY=f'{wrapper}{qemu}',
               VIRTIO_DMA_BENCH_CASES=case,
               VIRTIO_DMA_BENCH_LEN=str(opts.qtest_len),
               VIRTIO_DMA_BENCH_REQUESTS=str(requests))
    p = subprocess.run([opts.qtest, '-m', 'perf'], env=env, cwd=opts.tmp,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=1800)
    m = re.search(r'VIRTIO-DMA-BENCH case=\S+ ops=(\S+) len=(\d+) '
                  r'requests=(\d+) seconds=([0-9.]+)', p.stdout)
    if p.returncode or not m:
        raise BenchError(f'virtio-dma-test ({case}) failed:\n' +
                         p.stdout[-3000:])
    return float(m.group(4))


# The device's own work for a request: the notify that makes it pop and
# map the request, and the completion that unmaps and pushes it.  Counting
# only these leaves out the qtest protocol (most of a qtest QEMU's
# instructions) and start-up; the block layer's worker thread runs
# outside them and is the same in every mode.
DEVICE_PATH = ('virtio_queue_notify', 'virtio_queue_host_notifier_read',
               'virtio_blk_rw_complete')


def callgrind_total(opts, qemu, case, requests):
    out = os.path.join(opts.tmp, 'callgrind.%p')
    for f in os.listdir(opts.tmp):
        if f.startswith('callgrind.'):
            os.unlink(os.path.join(opts.tmp, f))
    toggles = ' '.join(f'--toggle-collect={f}' for f in DEVICE_PATH)
    run_qtest(opts, qemu, case, requests,
              wrapper=f'valgrind --tool=callgrind --callgrind-out-file={out} '
                      f'{toggles} ')
    total = 0
    for f in os.listdir(opts.tmp):
        if f.startswith('callgrind.'):
            with open(os.path.join(opts.tmp, f)) as fh:
                for line in fh:
                    if line.startswith('totals:'):
                        total += int(line.split()[1])
    if not total:
        raise BenchError(f'callgrind wrote no totals for {case}')
    return total


def run_qtest_round(opts, name, mode, results):
    qemu = opts.qemu[mode['binary']]
    n = opts.qtest_requests
    seconds = run_qtest(opts, qemu, mode['case'], n)
    scen = f'qemu-blk-{opts.qtest_len // 1024}k'
    results.add(scen, name, 'requests', 'req/s', n / seconds)
    results.add(scen, name, 'throughput', 'MB/s',
                n * opts.qtest_len / seconds / 1e6)
    if opts.callgrind and results.count(scen, name) < opts.callgrind_rounds:
        n = opts.callgrind_requests
        ir = callgrind_total(opts, qemu, mode['case'], n) / n
        results.add(scen, name, 'device-path instructions (callgrind)',
                    'Ir/req', ir)


# --- results -----------------------------------------------------------------

class Results:
    def __init__(self):
        self.samples = {}     # (scenario, mode, metric, unit) -> [values]
        self.order = []
        self.bookkeeping = None

    def add(self, scenario, mode, metric, unit, value):
        key = (scenario, mode, metric, unit)
        if key not in self.samples:
            self.samples[key] = []
            self.order.append(key)
        self.samples[key].append(value)
        log(f'  {scenario:18} {mode:18} {value:12.2f} {unit}')

    def count(self, scenario, mode, unit='Ir/req'):
        return sum(len(v) for k, v in self.samples.items()
                   if k[0] == scenario and k[1] == mode and k[3] == unit)

    def rows(self, baselines):
        med = {k: statistics.median(v) for k, v in self.samples.items()}
        rows = []
        for key in self.order:
            scenario, mode, metric, unit = key
            vals = self.samples[key]
            base = baselines[scenario.startswith('qemu-')][mode]
            bkey = (scenario, base, metric, unit)
            ratio = ''
            if bkey in med and med[bkey] and med[key]:
                ratio = med[key] / med[bkey]
                if not HIGHER_IS_BETTER[unit]:
                    ratio = 1 / ratio
            rows.append(dict(scenario=scenario, mode=mode, metric=metric,
                             unit=unit, median=med[key], min=min(vals),
                             max=max(vals), rounds=len(vals),
                             baseline_mode=base, ratio_to_baseline=ratio))
        return rows


COLUMNS = ['scenario', 'mode', 'metric', 'unit', 'median', 'min', 'max',
           'rounds', 'baseline_mode', 'ratio_to_baseline']


def fmt(v):
    if isinstance(v, float):
        return f'{v:.4g}' if abs(v) < 1e4 else f'{v:.0f}'
    return str(v)


def write_csv(path, rows):
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f'{r[k]:.4f}' if k == 'ratio_to_baseline' and
                            r[k] != '' else
                            f'{r[k]:.6g}' if isinstance(r[k], float) else
                            r[k]) for k in COLUMNS})


def goal_lines(rows):
    """The issue's goals, each beside a control: two modes whose DMA paths
    are the same for the metric (ours-10.0 and unpatched: both direct, ours
    only adds hooks that do nothing there; for the qtest, ours-direct and
    unpatched).  When the control is further from 1 than the goal's margin,
    the run cannot tell a miss from noise and says so."""
    by = {(r['scenario'], r['mode'], r['unit']): r for r in rows}
    lines = []

    def ratio_of(key):
        r = by.get(key)
        return None if not r or r['ratio_to_baseline'] == '' else \
            r['ratio_to_baseline']

    def goal(label, key, target, control):
        ratio, ctl = ratio_of(key), ratio_of(control)
        if ratio is None:
            lines.append(f'| {label} | not measured | {target} | | |')
            return
        if ratio >= target:
            verdict = 'met'
        elif ctl is not None and abs(1 - ctl) > 1 - target:
            verdict = 'not resolved: the control is off by ' \
                      f'{abs(1 - ctl) * 100:.0f} %'
        else:
            verdict = 'MISSED'
        ctl_text = '' if ctl is None else f'{ctl:.3f}'
        lines.append(f'| {label} | {ratio:.3f} | {target} | {ctl_text} | '
                     f'{verdict} |')

    for scen in ('blk-seq-read-4k', 'blk-seq-read-1m', 'net-bulk'):
        for unit, what in (('MB/s', ''), ('CPU s/GB', ', host CPU per GB')):
            goal(f'{scen}: ours-default / unpatched{what}',
                 (scen, 'ours-default', unit), 0.98,
                 (scen, 'ours-10.0', unit))
    qemu = next((r['scenario'] for r in rows
                 if r['scenario'].startswith('qemu-')), 'qemu-blk')
    goal('gate, QEMU side (callgrind, all pages shared): bounce / '
         'bounce-nogate', (qemu, 'ours-bounce', 'Ir/req'), 0.95,
         (qemu, 'ours-direct', 'Ir/req'))
    goal('gate, QEMU side (wall time): bounce / bounce-nogate',
         (qemu, 'ours-bounce', 'req/s'), 0.95, (qemu, 'ours-direct', 'req/s'))
    for scen in ('blk-seq-read-4k', 'blk-seq-read-1m', 'net-bulk'):
        goal(f'gate, guest {scen}: secure / secure-nogate',
             (scen, 'secure', 'MB/s'), 0.95, (scen, 'ours-10.0', 'MB/s'))
    return lines


def write_markdown(path, rows, opts, results, elapsed):
    out = ['# make bench: pseries virtio DMA', '',
           f'QEMU {opts.version}; host {platform.node()} '
           f'({os.cpu_count()} CPUs, {platform.machine()}, '
           f'{platform.release()}); {opts.rounds} rounds, interleaved; '
           f'{elapsed / 60:.1f} min.', '',
           '| scenario | mode | metric | unit | median | min | max | '
           'rounds | baseline | ratio |',
           '|---|---|---|---|---:|---:|---:|---:|---|---:|']
    for r in rows:
        ratio = '' if r['ratio_to_baseline'] == '' else \
            f'{r["ratio_to_baseline"]:.3f}'
        out.append(f'| {r["scenario"]} | {r["mode"]} | {r["metric"]} | '
                   f'{r["unit"]} | {fmt(r["median"])} | {fmt(r["min"])} | '
                   f'{fmt(r["max"])} | {r["rounds"]} | {r["baseline_mode"]} '
                   f'| {ratio} |')
    out += ['', 'Ratios are oriented so that greater than 1 is better '
            '(for s, Ir/req and CPU s/GB: baseline / median).', '',
            '## Goals', '',
            'control: the ratio of two modes with the same DMA path '
            '(ours-10.0 / unpatched; QEMU side: ours-direct / unpatched), '
            'what noise alone gives.', '',
            '| what | ratio | goal | control | |',
            '|---|---:|---:|---:|---|']
    out += goal_lines(rows)
    # whole secure cost: bounce and gate together, for each workload
    by = {(r['scenario'], r['mode'], r['unit']): r for r in rows}
    whole = []
    for r in rows:
        if r['mode'] != 'secure' or r['scenario'].startswith('qemu-'):
            continue
        ref = by.get((r['scenario'], 'ours-svm-kernel', r['unit']))
        if ref and ref['median']:
            ratio = r['median'] / ref['median']
            if not HIGHER_IS_BETTER[r['unit']]:
                ratio = 1 / ratio
            whole.append(f'| {r["scenario"]} | {r["unit"]} | {ratio:.3f} |')
    if whole:
        out += ['', '## Whole cost of a secure guest (secure / '
                'ours-svm-kernel: bounce and gate)', '',
                '| scenario | unit | ratio |', '|---|---|---:|'] + whole
    info = results.bookkeeping
    if info:
        pages = info.get('shared-pages', 0)
        out += ['', '## Bookkeeping', '',
                f'One bit per page of {info["page-size"] // 1024} KiB: '
                f'{(1 << 30) // info["page-size"] // 8} bytes per GiB of '
                f'guest RAM ({opts.memory} here: '
                f'{opts.memory_bytes // info["page-size"] // 8} bytes); '
                f'{pages} pages shared at the end of the last secure run.']
    out += ['', '## Modes', '']
    for name, mode in GUEST_MODES.items():
        if name in opts.guest_modes:
            out.append(f'- `{name}`: {mode["what"]}')
    for name, mode in QTEST_MODES.items():
        if name in opts.qtest_modes:
            which = 'unpatched' if mode['binary'] == 'baseline' else 'our'
            out.append(f'- `{name}` (qemu-blk): virtio-dma-test -m perf '
                       f'case {mode["case"]} on {which} QEMU')
    text = '\n'.join(out) + '\n'
    with open(path, 'w') as f:
        f.write(text)
    return text


def write_chart(path, rows, tmp):
    gnuplot = shutil.which('gnuplot')
    if not gnuplot:
        log('gnuplot not found: no chart (sudo make deps installs it)')
        return
    data = os.path.join(tmp, 'ratios.dat')
    n = 0
    with open(data, 'w') as f:
        for r in rows:
            if r['ratio_to_baseline'] == '' or r['mode'] == r['baseline_mode']:
                continue
            label = f'{r["mode"]} / {r["baseline_mode"]}: ' \
                    f'{r["scenario"]} {r["unit"]}'
            f.write(f'{n} {min(r["ratio_to_baseline"], 2):.4f} '
                    f'"{label}"\n')
            n += 1
    script = f'''
set terminal pngcairo size {max(900, 16 * n)},900 font ",9"
set output "{path}"
set title "make bench: ratio to each row's baseline (>1 is better, cut at 2)"
set style fill solid 0.6 border -1
set boxwidth 0.7
set yrange [0:2]
set bmargin 24
set grid ytics
set xtics rotate by 90 right font ",7"
set ylabel "ratio"
set key off
plot "{data}" using 1:2:xtic(3) with boxes lc rgb "#3070b0", \\
     1 with lines lc rgb "#c03030" dt 2, \\
     0.95 with lines lc rgb "#808080" dt 3
'''
    subprocess.run([gnuplot], input=script, text=True, check=True)


# --- main --------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--ours', required=True, help='patched qemu-system-ppc64')
    p.add_argument('--baseline', required=True,
                   help='unpatched qemu-system-ppc64')
    p.add_argument('--qtest', required=True, help='virtio-dma-test')
    p.add_argument('--kernel', required=True, help="Debian's vmlinux")
    p.add_argument('--initrd', required=True)
    p.add_argument('--svm-kernel', required=True,
                   help='the secure-guest vmlinux')
    p.add_argument('--svm-initrd', required=True)
    p.add_argument('--overlay', required=True,
                   help='cpio.gz with /bin/dmabench, appended to both')
    p.add_argument('--out', required=True)
    p.add_argument('--version', default='?', help='QEMU version, for the '
                   'report')
    p.add_argument('--rounds', type=int,
                   default=int(os.getenv('BENCH_ROUNDS', '5')))
    p.add_argument('--scale', type=float,
                   default=float(os.getenv('BENCH_SCALE', '1')),
                   help='multiply the amount of guest I/O')
    p.add_argument('--memory', default='1G')
    p.add_argument('--disk-mib', type=int, default=640)
    p.add_argument('--timeout', type=float, default=600)
    p.add_argument('--modes', default=os.getenv('BENCH_MODES', ''),
                   help='comma-separated subset of the modes')
    p.add_argument('--qtest-requests', type=int, default=2000)
    p.add_argument('--qtest-len', type=int, default=4096)
    p.add_argument('--no-callgrind', dest='callgrind', action='store_false')
    p.add_argument('--callgrind-rounds', type=int, default=3,
                   help='callgrind counts hardly vary: fewer rounds')
    p.add_argument('--callgrind-requests', type=int, default=1000)
    opts = p.parse_args()
    only = set(filter(None, opts.modes.split(',')))
    opts.guest_modes = [m for m in GUEST_MODES if not only or m in only]
    opts.qtest_modes = [m for m in QTEST_MODES
                        if not only or f'qemu:{m}' in only]
    opts.memory_bytes = int(opts.memory[:-1]) << {'M': 20, 'G': 30}[
        opts.memory[-1].upper()]
    if opts.callgrind and not shutil.which('valgrind'):
        log('valgrind not found: no instruction counts')
        opts.callgrind = False
    return opts


def main():
    opts = parse_args()
    os.makedirs(opts.out, exist_ok=True)
    opts.qemu = {'ours': os.path.abspath(opts.ours),
                 'baseline': os.path.abspath(opts.baseline)}
    opts.qtest = os.path.abspath(opts.qtest)
    results = Results()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='pseries-bench-') as tmp:
        opts.tmp = tmp
        opts.assets = {}
        for kind, kernel, initrd in (('debian', opts.kernel, opts.initrd),
                                     ('svm', opts.svm_kernel,
                                      opts.svm_initrd)):
            combined = os.path.join(tmp, f'{kind}-initrd')
            with open(combined, 'wb') as out:
                for part in (initrd, opts.overlay):
                    with open(part, 'rb') as f:
                        shutil.copyfileobj(f, out)
            opts.assets[kind] = (kernel, combined)

        for r in range(1, opts.rounds + 1):
            # a different mode goes first in each round: no mode always
            # runs after the callgrind runs, or first on a cold host
            k = (r - 1) % len(opts.guest_modes) if opts.guest_modes else 0
            for name in opts.guest_modes[k:] + opts.guest_modes[:k]:
                log(f'round {r}/{opts.rounds}: guest, {name}')
                run_guest_round(opts, name, GUEST_MODES[name], results, tmp)
            k = (r - 1) % len(opts.qtest_modes) if opts.qtest_modes else 0
            for name in opts.qtest_modes[k:] + opts.qtest_modes[:k]:
                log(f'round {r}/{opts.rounds}: QEMU side (qtest), {name}')
                run_qtest_round(opts, name, QTEST_MODES[name], results)

        baselines = {False: {m: GUEST_MODES[m]['baseline']
                             for m in GUEST_MODES},
                     True: {m: QTEST_MODES[m]['baseline']
                            for m in QTEST_MODES}}
        rows = results.rows(baselines)
        write_csv(os.path.join(opts.out, 'results.csv'), rows)
        text = write_markdown(os.path.join(opts.out, 'results.md'), rows,
                              opts, results, time.monotonic() - start)
        write_chart(os.path.join(opts.out, 'ratios.png'), rows, tmp)
    print()
    print(text)
    log(f'wrote {opts.out}/results.csv, results.md and ratios.png')


if __name__ == '__main__':
    try:
        main()
    except BenchError as e:
        print(f'bench: error: {e}', file=sys.stderr)
        sys.exit(1)
