"""The init process of one container: what the container's PID 1 (tini, for Docker) does.

On ECS a container is a PID namespace in a cgroup: when its main process exits, or the task is
stopped, every process of the container dies with it, even one that left the session with
``setsid`` or daemonised with a double fork. Host processes have no such boundary, so the
embedded ECS starts each container (and each ECS Exec command) through this script:

    python -I -S container_init.py CONTROL_FD [--session] -- ARGV...

It becomes a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``), so every orphaned descendant
is reparented to it instead of to the host's init; it starts ARGV as the main process; forwards
SIGTERM (and the other termination signals) to the main process only, as ``docker stop`` does;
and when the main process exits it SIGKILLs every remaining descendant and exits with the main
process's status (128 + N when killed by signal N, as Docker reports it).

With ``--session`` (an ECS Exec command, which runs inside a container that outlives it) the
command's exit is reported instead, and what the command left running keeps running until the
task stops, as a process ``docker exec`` started keeps running in its container.

CONTROL_FD is one end of a socket pair whose other end the server holds. The server writes
``K`` to ask for every process to be SIGKILLed (the stopTimeout expired, the task stopped); end
of file means the server is gone (even SIGKILLed), and the processes go with it. The init
process writes lines there: ``E<reason>`` when ARGV cannot be started, ``X<code>`` when a
session's command has exited, ``M<KiB>`` as it exits: the largest resident memory any process
it reaped ever had (a container's memory peak, however short it ran).

Standard library only, and run with ``-I -S``, so it starts in a few milliseconds and never
imports anything from the container's working directory or environment.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import resource
import select
import signal
import sys
import time
from collections.abc import Callable

KILL_REQUEST = b"K"
START_ERROR = b"E"
COMMAND_EXITED = b"X"
PEAK_MEMORY = b"M"
SESSION_FLAG = "--session"
# Signals ``docker kill`` may deliver and tini forwards to the main process.
FORWARDED_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
# Python ignores these at start-up; the main process must get the default disposition back.
_RESET_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGPIPE", None), getattr(signal, "SIGXFSZ", None)) if s
)
_PR_SET_CHILD_SUBREAPER = 36
# How long to keep killing descendants that do not die (e.g. stuck in the kernel).
_KILL_PATIENCE_SECONDS = 5.0


class _Main:
    """The main process as the signal handlers see it (None before it starts, once reaped)."""

    pid: int | None = None
    pending: list[int] = []
    # Its exit code (128 + N when killed by signal N), once reaped.
    code: int | None = None


def become_subreaper() -> bool:
    """Make orphaned descendants this process's children (Linux); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _forward(signum: int, frame: object) -> None:
    # Only a syscall here: no locks, no I/O that could block.
    if _Main.pid is None:
        _Main.pending.append(signum)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(_Main.pid, signum)


def _ignore(signum: int, frame: object) -> None:
    # SIGCHLD needs a handler (not SIG_IGN) so that it reaches the wake-up fd.
    pass


def descendants(root: int) -> list[int]:
    """Live descendants of ``root`` from /proc (Linux); [] where /proc is not available."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] in (b"Z", b"X"):
            continue  # already dead, waiting to be reaped
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    queue = list(children.get(root, []))
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _reap() -> None:
    """Reap every exited child (orphans included); keep the main process's exit code."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == _Main.pid:
            _Main.pid = None
            returncode = os.waitstatus_to_exitcode(status)
            _Main.code = 128 - returncode if returncode < 0 else returncode


def kill_all(main_group: int | None) -> None:
    """SIGKILL every descendant until none is left, reaping as they die.

    ``main_group`` (the main process's group) covers what no /proc scan finds on other
    platforms. Pass it only while the main process is unreaped or was reaped an instant ago:
    its id cannot name another group while any member lives, and with none left, reusing it
    takes a wrap of the pid space.
    """
    if main_group is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(main_group, signal.SIGKILL)
    deadline = time.monotonic() + _KILL_PATIENCE_SECONDS
    while time.monotonic() < deadline:
        alive = descendants(os.getpid())
        if not alive:
            return
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _reap()
        time.sleep(0.005)


def _wait(control: int, wake: int, done: Callable[[], bool]) -> None:
    """Until ``done()``: reap children, and serve kill requests and the server's end of file."""
    watched = [control, wake]
    _reap()
    while not done():
        readable, _, _ = select.select(watched, [], [])
        if wake in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake, 4096)
        if control in readable:
            try:
                data = os.read(control, 64)
            except OSError:
                data = b""
            if not data:
                watched.remove(control)  # the server is gone: end the container
            if not data or KILL_REQUEST in data:
                kill_all(_Main.pid)
        _reap()


def _send(control: int, kind: bytes, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(control, kind + text.encode(errors="replace") + b"\n")


def main(argv: list[str]) -> int:
    session = SESSION_FLAG in argv[2:3]
    rest = argv[3:] if session else argv[2:]
    if len(argv) < 3 or not rest or rest[0] != "--" or len(rest) < 2:
        sys.stderr.write("usage: container_init.py CONTROL_FD [--session] -- ARGV...\n")
        return 2
    control, command = int(argv[1]), rest[1:]
    os.set_inheritable(control, False)
    become_subreaper()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, _ignore)
    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, _forward)
    # The server may block signals in its threads (``local serve`` does); Popen keeps the mask.
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    try:
        # Its own process group, so that the group alone also reaches its plain children.
        main_pid = os.posix_spawnp(
            command[0],
            command,
            dict(os.environ),
            setpgroup=0,
            setsigdef=_RESET_SIGNALS,
            setsigmask=(),
        )
    except (OSError, ValueError) as exc:
        _send(
            control, START_ERROR, (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        )
        # What a shell answers: 127 not found, 126 found but not executable.
        return 127 if isinstance(exc, OSError) and exc.errno == errno.ENOENT else 126
    _Main.pid = main_pid
    for early in _Main.pending:  # signals that came before the main process existed
        _forward(early, None)
    _wait(control, wake_r, lambda: _Main.code is not None)
    code = _Main.code
    assert code is not None
    if session:
        _send(control, COMMAND_EXITED, str(code))
        # Its output ends when what the command left running lets go of it, not with us.
        os.close(1)
        os.close(2)
        _wait(control, wake_r, lambda: not descendants(os.getpid()))
        kill_all(None)
    else:
        # The main process is gone: so is the container, and every process left in it.
        kill_all(main_pid)
    _send(control, PEAK_MEMORY, str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
