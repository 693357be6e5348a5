#!/usr/bin/env python3
#
# Start the example domains of docs/system/ppc/libvirt/ through libvirt
# (Debian's libvirtd 11, run privately by libvirtd.py) on our
# qemu-system-ppc64, and check from inside each guest what the functional
# tests check: feature bit 33 negotiated on every virtio device, and disk,
# network, RNG (and virtio console) I/O.  Also:
#
#  - libvirt probes our QEMU without complaint and takes the series' new
#    machine type (pseries-11.0 on QEMU 10.2, pseries-10.1 on 10.0) as
#    the default machine;
#  - the iommu='on' example fails on stock QEMU 10.0 and on the machine
#    type before the new one;
#  - running default and secure guests survive virsh save / restore;
#  - the secure example runs as a secure guest (svm = 1, query-pef);
#  - bad configurations fail with a clear error through virsh start.
#
# Guests as in the functional tests: PSERIES_DMA_KERNEL/INITRD (Debian)
# and PSERIES_SVM_KERNEL/INITRD (CONFIG_PPC_SVM); QEMU_TEST_QEMU_BINARY
# and QEMU_TEST_QEMU_IMG name the binaries under test.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import re
import subprocess
import sys
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
# this tree's helpers first (QEMU's tests/functional may hold older links)
sys.path[:0] = [HERE, os.path.join(TOP, 'tests', 'functional')]

from qemu_test import QemuSystemTest                       # noqa: E402
from pseries_guest import (PseriesGuestTest, BOOT_TIMEOUT,  # noqa: E402
                           COMMAND_TIMEOUT, DISK_SIZE, READY,
                           VIRTIO_F_ACCESS_PLATFORM, pseries_machines)
from libvirtd import PrivateLibvirtd, VirshError            # noqa: E402
from libvirt_domain import (LibvirtDomain, PtyConsole,      # noqa: E402
                            devices_on_command_line)

EXAMPLES = os.path.join(TOP, 'docs', 'system', 'ppc', 'libvirt')
QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0'
STOCK_QEMU = '/usr/bin/qemu-system-ppc64'     # Debian's, QEMU 10.0
UPSTREAM_ERROR = ('VIRTIO_F_IOMMU_PLATFORM was supported by neither '
                  'legacy nor transitional device')
SVM_READY = 'PSERIES-SVM-GUEST-READY'

ET.register_namespace('qemu', QEMU_NS)


class PseriesLibvirt(PseriesGuestTest):

    daemon = None

    @classmethod
    def setUpClass(cls):
        if os.getuid() != 0:
            raise unittest.SkipTest('the private libvirtd runs QEMU as root: '
                                    'run the libvirt test as root')
        cls.daemon = PrivateLibvirtd()
        try:
            cls.daemon.start()
        except Exception:
            cls.daemon.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        problems = cls.daemon.stop()
        if problems:
            raise AssertionError('the libvirt test left things behind:\n  '
                                 + '\n  '.join(problems))

    def setUp(self):
        super().setUp()
        self.domain = None

    def tearDown(self):
        if self.domain:
            self.domain.close()
            self.daemon.virsh('destroy', self.domain.name, check=False)
            self.daemon.virsh('undefine', '--managed-save',
                              self.domain.name, check=False)
        left = self.daemon.virsh('list', '--all', '--name').split()
        super().tearDown()
        self.assertEqual(left, [], 'domains left behind')

    @property
    def vm(self):
        return self.domain

    def virsh(self, *args, **kwargs):
        try:
            return self.daemon.virsh(*args, **kwargs)
        except VirshError as e:
            self.fail(str(e))

    # --- domains from the examples ------------------------------------------

    def example(self, name, emulator=None, secure=False):
        """docs/system/ppc/libvirt/@name.xml with the placeholders filled in

        Returns the parsed domain; the disk image is created empty.
        """
        self.KERNEL_ENV = (('PSERIES_SVM_KERNEL', 'PSERIES_SVM_INITRD')
                           if secure else
                           ('PSERIES_DMA_KERNEL', 'PSERIES_DMA_INITRD'))
        kernel, initrd = self._guest_assets()
        self.disk = self.scratch_file('disk.raw')
        subprocess.run([os.environ.get('QEMU_TEST_QEMU_IMG', 'qemu-img'),
                        'create', '-q', '-f', 'raw', self.disk,
                        str(DISK_SIZE)], check=True)
        with open(os.path.join(EXAMPLES, name + '.xml')) as f:
            text = f.read()
        for key, value in (('EMULATOR', emulator or self.qemu_bin),
                           ('KERNEL', kernel), ('INITRD', initrd),
                           ('DISK', self.disk)):
            text = text.replace(f'@{key}@', value)
        self.assertNotIn('@', text, f'{name}.xml: unknown placeholder')
        return ET.fromstring(text)

    def define(self, xml):
        path = self.scratch_file('domain.xml')
        ET.ElementTree(xml).write(path)
        self.domain = LibvirtDomain(self.daemon, xml.findtext('name'))
        self.virsh('define', path)

    def start_failing(self, xml, *errors):
        """Define and start @xml, which must fail naming every @errors

        libvirt passes on QEMU's error, except when QEMU exits before
        libvirt reaches its monitor ("failed to connect to monitor
        socket"); the error is then only in the domain's log, which is
        checked too.
        """
        self.define(xml)
        log = self.daemon.host_path(
            f'/var/log/libvirt/qemu/{self.domain.name}.log')
        offset = os.path.getsize(log) if os.path.exists(log) else 0
        rc, _, err = self.daemon.virsh('start', self.domain.name,
                                       check=False)
        self.log.info('virsh start %s: %s', self.domain.name, err.strip())
        self.assertNotEqual(rc, 0, f'{self.domain.name} started')
        with open(log, errors='replace') as f:
            f.seek(offset)
            qemu_log = f.read()
        self.log.debug('%s', qemu_log)
        for text in errors:
            self.assertTrue(text in err or text in qemu_log,
                            f'"{text}" is neither in the error of virsh '
                            f'start nor in the domain log:\n{err}')
        self.assertEqual(self.domain.state(), 'shut off')

    def attach_console(self, pty='serial'):
        """Open the console pty of the paused domain, then let it run"""
        self.domain.close()
        self._console_buf = b''
        self.domain.console_socket = PtyConsole(self.domain.ptys()[pty])
        # QEMU polls a pty without reader once a second and drops output
        # until it sees one: let it notice before the guest runs
        time.sleep(1.5)
        self.virsh('resume', self.domain.name)

    def boot(self, xml, ready=READY):
        """Define and start @xml; wait for the guest's shell"""
        self.define(xml)
        start = time.monotonic()
        self.virsh('start', '--paused', self.domain.name)
        self.attach_console()
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            line = self._read_line(deadline)
            if ready in line:
                break
        self.log.info('%s: ready after %.1f s', self.domain.name,
                      time.monotonic() - start)
        self.guest('dmesg -n 1')
        return line

    def command_line(self):
        args = self.domain.command_line()
        self.log.info('QEMU command line: %s', ' '.join(args))
        return args

    def check_bit33(self, devs):
        got = {name: features[VIRTIO_F_ACCESS_PLATFORM]
               for name, (features, _) in devs.items()}
        self.assertEqual(got, {name: '1' for name in devs},
                         'VIRTIO_F_ACCESS_PLATFORM (bit 33) should be '
                         'negotiated on every device')

    def check_io(self):
        token = f'pseries-libvirt-{uuid.uuid4().hex[:12]}'
        pattern = self._check_blk(token)
        self._check_net(token)
        self._check_rng()
        return pattern

    def save_restore(self):
        """virsh save and restore the running guest, which must answer"""
        image = self.scratch_file('saved.img')
        self.virsh('save', self.domain.name, image)
        self.assertEqual(self.domain.state(), 'shut off')
        # the new QEMU gets a new pty
        self.virsh('restore', '--paused', image)
        self.attach_console()
        self.assertEqual(self.guest('echo restored-$((6 * 7))')[-1].strip(),
                         'restored-42', 'the restored guest does not answer')
        self.check_bit33(self._virtio_features())
        self.guest('ip addr flush dev eth0')    # check_io() adds it again

    def power_off(self, pattern):
        self._power_off()
        self._check_disk_image(pattern)

    # --- tests ---------------------------------------------------------------

    def test_capabilities(self):
        self.virsh('capabilities')
        caps = ET.fromstring(self.virsh(
            'domcapabilities', '--emulatorbin', self.qemu_bin,
            '--arch', 'ppc64', '--virttype', 'qemu'))
        default = pseries_machines(self.qemu_bin)[0]
        self.assertEqual(caps.findtext('machine'), default,
                         f'libvirt does not see {default} as the default')
        caps = ET.fromstring(self.virsh(
            'domcapabilities', '--emulatorbin', self.qemu_bin,
            '--arch', 'ppc64', '--virttype', 'qemu', '--machine', 'pseries'))
        self.assertEqual(caps.findtext('machine'), default)
        # libvirtd logs warnings and errors; those of the probe name the
        # binary or come from the capabilities code (virQEMUCaps*)
        with open(self.daemon.log) as f:
            complaints = [line for line in f
                          if self.qemu_bin in line or ': virQEMUCaps' in line]
        self.assertEqual(complaints, [],
                         'libvirtd complained about our QEMU')

    def test_default(self):
        self.boot(self.example('pseries-default'))
        args = self.command_line()
        self.assertIn(pseries_machines(self.qemu_bin)[0],
                      args[args.index('-machine') + 1])
        self.assertNotIn('iommu_platform', ' '.join(args),
                         'the default example should not need '
                         'iommu_platform')
        self.check_bit33(self._virtio_features())
        self.check_io()

        self.save_restore()
        self.power_off(self.check_io())

    def test_iommu_on(self):
        self.boot(self.example('pseries-iommu'))
        devs = devices_on_command_line(self.command_line())
        for driver in ('virtio-blk-pci', 'virtio-net-pci', 'virtio-rng-pci',
                       'virtio-serial-pci'):
            self.assertIn(driver, devs)
            self.assertTrue(devs[driver][0].get('iommu_platform'),
                            f'{driver}: iommu_platform=on is missing')
        features = self._virtio_features(('blk', 'console', 'net', 'rng'))
        self.check_bit33(features)
        pattern = self.check_io()
        self.check_virtio_console()
        self.power_off(pattern)

    def check_virtio_console(self):
        """The guest writes a line to its virtio console, the host reads it"""
        message = f'virtio-console-{uuid.uuid4().hex[:12]}'
        console = PtyConsole(self.domain.ptys()['virtio'])
        try:
            time.sleep(1.5)         # see attach_console()
            # hvc0 is the spapr-vty; virtio_console's console port is
            # the next hvc
            self.guest(f'echo {message} > /dev/hvc1')
            console.settimeout(COMMAND_TIMEOUT)
            data = b''
            while message.encode() not in data:
                chunk = console.recv(4096)
                self.assertTrue(chunk, 'virtio console closed')
                data += chunk
        finally:
            console.close()

    def test_iommu_on_stock_qemu(self):
        # Debian's QEMU 10.0 (qemu-system-ppc from bookworm-backports)
        if not os.access(STOCK_QEMU, os.X_OK):
            self.skipTest(f'{STOCK_QEMU} (stock QEMU 10.0) is missing; '
                          'make deps installs it')
        version = subprocess.run([STOCK_QEMU, '--version'], check=True,
                                 capture_output=True, text=True).stdout
        if not re.search(r'version 10\.0\.', version):
            self.skipTest(f'{STOCK_QEMU} is not QEMU 10.0: {version}')
        self.start_failing(self.example('pseries-iommu', STOCK_QEMU),
                           UPSTREAM_ERROR)

    def test_iommu_on_pre_default_machine(self):
        xml = self.example('pseries-iommu')
        xml.find('os/type').set('machine', pseries_machines(self.qemu_bin)[1])
        self.start_failing(xml, UPSTREAM_ERROR)

    def test_bad_legacy_only_iommu(self):
        # a legacy-only device cannot offer VIRTIO_F_ACCESS_PLATFORM
        xml = self.example('pseries-iommu')
        override = ET.SubElement(xml, f'{{{QEMU_NS}}}override')
        dev = ET.SubElement(override, f'{{{QEMU_NS}}}device',
                            alias='virtio-disk0')
        frontend = ET.SubElement(dev, f'{{{QEMU_NS}}}frontend')
        ET.SubElement(frontend, f'{{{QEMU_NS}}}property',
                      name='disable-modern', type='bool', value='true')
        self.start_failing(xml, 'virtio-disk0', UPSTREAM_ERROR)

    def test_bad_secure_iommu_off(self):
        # a secure guest's device must go through the Ultravisor's
        # shared pages: iommu='off' (direct DMA) cannot work
        xml = self.example('pseries-secure', secure=True)
        xml.find('devices/disk/driver').set('iommu', 'off')
        self.start_failing(xml, 'virtio-disk0', 'VIRTIO_F_ACCESS_PLATFORM')

    def test_bad_secure_transitional(self):
        # a legacy interface bypasses VIRTIO_F_ACCESS_PLATFORM
        xml = self.example('pseries-secure', secure=True)
        xml.find('devices/rng').set('model', 'virtio-transitional')
        self.start_failing(xml, 'virtio-rng-pci-transitional',
                           'has a legacy interface, which a secure guest '
                           'cannot use')

    def test_bad_secure_memory(self):
        # the emulated Ultravisor has no memory hotplug (any RAM size works)
        xml = self.example('pseries-secure', secure=True)
        ET.SubElement(xml, 'maxMemory', slots='2', unit='GiB').text = '8'
        cpu = ET.SubElement(xml, 'cpu')
        ET.SubElement(ET.SubElement(cpu, 'numa'), 'cell', id='0', cpus='0',
                      memory='2', unit='GiB')
        self.start_failing(xml, 'memory hotplug (maxmem) is not supported '
                           'with the emulated Ultravisor')

    def test_secure(self):
        ready = self.boot(self.example('pseries-secure', secure=True),
                          SVM_READY)
        self.assertIn('svm=1', ready)
        self.assertEqual(self.guest('cat /sys/devices/system/cpu/svm')[-1]
                         .strip(), '1', 'the guest is not secure')
        args = self.command_line()
        self.assertIn('pef-guest,id=pef0', args)
        self.assertIn('confidential-guest-support=pef0', args)
        self.check_bit33(self._virtio_features())
        pattern = self.check_io()
        info = self.domain.cmd('query-pef')
        self.log.info('query-pef: %s', info)
        self.assertTrue(info['secure'])
        self.assertGreater(info['shared-pages'], 0)
        self.assertEqual(info['denied-reads'] + info['denied-writes'], 0,
                         f'refused accesses: {info["last-denials"]}')

        # the secure state and the shared pages travel with a saved guest
        self.save_restore()
        self.assertEqual(self.guest('cat /sys/devices/system/cpu/svm')[-1]
                         .strip(), '1', 'the restored guest is not secure')
        after = self.domain.cmd('query-pef')
        self.assertTrue(after['secure'])
        self.assertEqual(after['shared'], info['shared'],
                         'the shared pages changed across save/restore')
        pattern = self.check_io()
        after = self.domain.cmd('query-pef')
        self.assertEqual(after['denied-reads'] + after['denied-writes'], 0,
                         f'refused accesses: {after["last-denials"]}')
        self.power_off(pattern)


if __name__ == '__main__':
    QemuSystemTest.main()
