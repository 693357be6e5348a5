#
# A private libvirtd for tests, run as root without touching the system's
# libvirt: the daemon runs in its own mount namespace where temporary
# directories are bind-mounted over libvirt's compiled-in paths
# (/etc/libvirt, /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and
# /run), with its own libvirtd.conf and qemu.conf, and listens on sockets
# in a temporary directory that virsh reaches through the URI's ?socket=.
# stop() powers off what is left, ends the daemon and every process in its
# namespace, removes the directory and reports anything left behind.  If
# the test process dies without stop() (SIGKILL, a CI timeout), a watchdog
# does the same: libvirtd gets SIGTERM and the watchdog, which waits for
# the test's end of a pipe to close, kills what is left in the namespace
# (libvirt leaves guests running when it exits) and removes the directory.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import ctypes
import os
import shutil
import shlex
import signal
import subprocess
import tempfile
import time

LIBVIRTD = '/usr/sbin/libvirtd'
VIRSH = '/usr/bin/virsh'

# libvirt's compiled-in directories, and where the private ones live
PRIVATE_DIRS = {'/etc/libvirt': 'etc', '/var/lib/libvirt': 'lib',
                '/var/cache/libvirt': 'cache', '/var/log/libvirt': 'log',
                '/run': 'run'}
# what the system's libvirt owns, checked before and after
SYSTEM_STATE = ('/etc/libvirt', '/var/lib/libvirt', '/var/cache/libvirt',
                '/var/log/libvirt', '/run/libvirt')

# root without cgroups, namespaces, SELinux/AppArmor or file ownership
# changes; QEMU's stderr goes to /var/log/libvirt/qemu/NAME.log (no
# virtlogd); guests still running when the daemon stops are powered off.
QEMU_CONF = '''\
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
auto_shutdown_try_save = "none"
auto_shutdown_try_shutdown = "none"
auto_shutdown_poweroff = "all"
auto_shutdown_restore = 0
'''

PR_SET_PDEATHSIG = 1

# $1: the daemon's mount namespace, $2: its directory
WATCHDOG = '''
while read -r _; do :; done
for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$1" ] && kill -9 "${p#/proc/}"
done
rm -rf "$2"
'''


class VirshError(Exception):
    """A virsh command failed; str() is virsh's error output."""


def _die_with_parent():
    # in the child before exec: libvirtd gets SIGTERM if the test dies
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _mount_ns(pid):
    try:
        return os.readlink(f'/proc/{pid}/ns/mnt')
    except OSError:
        return None


def _snapshot(paths):
    """The set of files and directories below @paths.

    Only what exists, not when it changed: a system libvirtd running
    beside the test may touch its own files at any time.
    """
    state = set()
    for top in paths:
        for root, dirs, files in os.walk(top):
            state.update(os.path.join(root, name) for name in dirs + files)
    return state


class PrivateLibvirtd:
    """libvirtd in a private mount namespace; virsh() talks to it."""

    def __init__(self):
        for tool in (LIBVIRTD, VIRSH, '/usr/bin/unshare'):
            if not os.access(tool, os.X_OK):
                raise RuntimeError(f'{tool} is missing; install libvirt '
                                   'with build-aux/install-deps (make deps)')
        if os.getuid() != 0:
            raise RuntimeError('the private libvirtd runs QEMU as root '
                               'and must be started as root')
        self.dir = None
        self._proc = None
        self._ns = None
        self._watchdog = None

    @property
    def uri(self):
        return f'qemu:///system?socket={self.dir}/sock/libvirt-sock'

    @property
    def log(self):
        return os.path.join(self.dir, 'libvirtd.log')

    def host_path(self, path):
        """Where the daemon's view of @path is seen from outside"""
        for system, private in PRIVATE_DIRS.items():
            if path == system or path.startswith(system + '/'):
                return os.path.join(self.dir, private,
                                    os.path.relpath(path, system))
        return path

    def start(self, timeout=180):
        self._system_state = _snapshot(SYSTEM_STATE)
        self.dir = tempfile.mkdtemp(prefix='pseries-libvirt-')
        for d in list(PRIVATE_DIRS.values()) + ['sock']:
            os.mkdir(os.path.join(self.dir, d))
        etc = os.path.join(self.dir, 'etc')
        with open(os.path.join(etc, 'libvirtd.conf'), 'w') as f:
            f.write(f'unix_sock_dir = "{self.dir}/sock"\n'
                    'auth_unix_ro = "none"\n'
                    'auth_unix_rw = "none"\n'
                    f'log_outputs = "3:file:{self.log}"\n')
        with open(os.path.join(etc, 'qemu.conf'), 'w') as f:
            f.write(QEMU_CONF)

        mounts = ' && '.join(
            f'mount --bind {shlex.quote(os.path.join(self.dir, private))} '
            f'{system}' for system, private in PRIVATE_DIRS.items())
        out = open(os.path.join(self.dir, 'libvirtd.out'), 'w')
        with out:
            self._proc = subprocess.Popen(
                ['unshare', '--mount', '--propagation', 'private', '--',
                 'sh', '-ec', f'{mounts} && exec {LIBVIRTD} '
                 '-f /etc/libvirt/libvirtd.conf'],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                preexec_fn=_die_with_parent)

        # The first connection waits for libvirtd to probe every QEMU
        # binary it finds (~15 s with four of them).
        deadline = time.monotonic() + timeout
        while True:
            if self._watchdog is None:
                self._start_watchdog()
            if self._proc.poll() is not None:
                raise RuntimeError('libvirtd exited with status '
                                   f'{self._proc.returncode}:\n'
                                   + self._output())
            if os.path.exists(os.path.join(self.dir, 'sock', 'libvirt-sock')):
                try:
                    self.virsh('version', timeout=timeout)
                    break
                except (VirshError, subprocess.TimeoutExpired):
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f'libvirtd did not answer within '
                                   f'{timeout} s:\n' + self._output())
            time.sleep(0.2)
        if self._watchdog is None:
            raise RuntimeError('libvirtd does not run in a private mount '
                               'namespace')

    def _start_watchdog(self):
        """Once libvirtd has its own mount namespace, guard it"""
        ns = _mount_ns(self._proc.pid)
        if ns is None or ns == _mount_ns(os.getpid()):
            return
        self._ns = ns
        self._watchdog = subprocess.Popen(
            ['sh', '-c', WATCHDOG, 'watchdog', ns, self.dir],
            stdin=subprocess.PIPE, start_new_session=True)

    def _output(self):
        text = ''
        for name in ('libvirtd.out', 'libvirtd.log'):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def virsh(self, *args, check=True, timeout=300):
        """Run virsh against the private daemon; return its stdout.

        Raises VirshError with virsh's error output when it fails and
        @check is set; otherwise returns (returncode, stdout, stderr).
        """
        r = subprocess.run([VIRSH, '-q', '-c', self.uri, *args],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout)
        if not check:
            return r.returncode, r.stdout, r.stderr
        if r.returncode != 0:
            raise VirshError(f'virsh {" ".join(args)}: '
                             + (r.stderr or r.stdout).strip())
        return r.stdout

    def domain_pid(self, name):
        with open(self.host_path(f'/run/libvirt/qemu/{name}.pid')) as f:
            return int(f.read())

    def _namespace_pids(self):
        pids = []
        for entry in os.listdir('/proc'):
            if entry.isdigit() and _mount_ns(entry) == self._ns:
                pids.append(int(entry))
        return pids

    def stop(self):
        """Stop everything; return a list of what had been left behind."""
        problems = []
        if self._proc is None:
            return problems
        if self._proc.poll() is None:
            rc, out, _ = self.virsh('list', '--all', '--name', check=False)
            for name in out.split() if rc == 0 else []:
                problems.append(f'domain {name} was still defined')
                self.virsh('destroy', name, check=False)
                self.virsh('undefine', '--managed-save', name, check=False)
            self._proc.terminate()
            try:
                self._proc.wait(60)
            except subprocess.TimeoutExpired:
                problems.append('libvirtd did not stop on SIGTERM')
                self._proc.kill()
                self._proc.wait()
        # Guests live in the daemon's mount namespace: anything still in
        # it is one of our QEMUs
        if self._ns is not None:
            for pid in self._namespace_pids():
                problems.append(f'process {pid} was left running')
                os.kill(pid, signal.SIGKILL)
        self._proc = None
        if self._watchdog:
            self._watchdog.stdin.close()
            self._watchdog.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        if os.path.exists(self.dir):
            problems.append(f'{self.dir} could not be removed')
        changed = sorted(_snapshot(SYSTEM_STATE) ^ self._system_state)
        if changed:
            problems.append('files appeared or went in the system libvirt '
                            'directories: ' + ', '.join(changed))
        return problems
