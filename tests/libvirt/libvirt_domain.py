#
# A libvirt domain as the pseries guest tests drive it: its console ptys
# (with the socket calls pseries_guest.py uses), QMP through virsh, its
# state and its QEMU command line.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import select
import time
import tty
import xml.etree.ElementTree as ET


class PtyConsole:
    """A domain's pty chardev, with the socket calls pseries_guest uses"""

    def __init__(self, path):
        self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self._fd)
        self._timeout = None

    def settimeout(self, timeout):
        self._timeout = timeout

    def recv(self, size):
        if not select.select([self._fd], [], [], self._timeout)[0]:
            raise TimeoutError
        try:
            return os.read(self._fd, size)
        except OSError:
            return b''      # EIO: QEMU closed the pty (it exited)

    def sendall(self, data):
        while data:
            data = data[os.write(self._fd, data):]

    def close(self):
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class LibvirtDomain:
    """The running domain, standing in for QemuSystemTest.vm"""

    def __init__(self, daemon, name):
        self.daemon = daemon
        self.name = name
        self.console_socket = None

    def virsh(self, command, *args, **kwargs):
        return self.daemon.virsh(command, self.name, *args, **kwargs)

    def ptys(self):
        """{'serial': path, 'virtio': path} of the live console ptys"""
        live = ET.fromstring(self.virsh('dumpxml'))
        ptys = {}
        for con in live.findall('devices/console'):
            ptys[con.find('target').get('type')] = \
                con.find('source').get('path')
        return ptys

    def cmd(self, command):
        """A QMP command through virsh; returns its 'return' value"""
        out = self.virsh('qemu-monitor-command',
                         json.dumps({'execute': command}))
        return json.loads(out)['return']

    def state(self):
        return self.virsh('domstate').strip()

    def wait(self, timeout):
        """Wait until the domain is shut off (on_poweroff=destroy)"""
        deadline = time.monotonic() + timeout
        while self.state() != 'shut off':
            if time.monotonic() > deadline:
                raise TimeoutError(f'{self.name} did not power off')
            time.sleep(0.5)

    def command_line(self):
        with open(f'/proc/{self.daemon.domain_pid(self.name)}/cmdline') as f:
            return f.read().split('\0')[:-1]

    def close(self):
        if self.console_socket:
            self.console_socket.close()
            self.console_socket = None


def devices_on_command_line(args):
    """{driver: [properties]} of the -device options (libvirt uses JSON)"""
    devs = {}
    for opt, val in zip(args, args[1:]):
        if opt == '-device' and val.startswith('{'):
            dev = json.loads(val)
            devs.setdefault(dev['driver'], []).append(dev)
    return devs
