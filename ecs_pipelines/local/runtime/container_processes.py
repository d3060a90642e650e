"""Every container process of the embedded ECS, watched from one selector in one thread.

The mechanics under the runner's ECS lifecycle: start a container under its init process,
read its output as it comes, notice its exit (pidfd, or polling where there is none), and keep
its deadlines: the stopTimeout (then every process of the container is killed), the init
process's answer to that, the last drain of the output pipe. What it all means for the task
is the runner's business, told through two callbacks: output lines, and the container's end.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO

from ecs_pipelines.local.runtime.container_output import OutputLines
from ecs_pipelines.local.runtime.container_plan import ContainerSpec
from ecs_pipelines.local.runtime.init_process import InitProcess
from ecs_pipelines.local.runtime.proc_usage import read_process
from ecs_pipelines.local.runtime.task_state import TaskState

# Without pidfd support (non-Linux), exits are noticed by polling this often.
_FALLBACK_POLL_SECONDS = 0.1
# Upper bound on one select() so a lost wake-up can never stall the supervisor for long.
_MAX_SELECT_SECONDS = 1.0
# After a container's init process exits, give its output pipe this long to drain.
_PIPE_DRAIN_SECONDS = 2.0
# An init process asked to kill its container that is still there after this is SIGKILLed.
INIT_GRACE_SECONDS = 2.0
_READ_SIZE = 65536


@dataclass(eq=False)
class Container:
    """A started container (its init process) and the bookkeeping of its output pipe."""

    task: TaskState
    spec: ContainerSpec
    init: InitProcess
    pidfd: int | None
    output: OutputLines = field(default_factory=OutputLines)
    pipe_open: bool = True
    exited: bool = False
    # When the stopTimeout runs out: every process of the container is killed then.
    kill_at: float | None = None
    # When an init process that was asked to kill its container is itself killed.
    force_at: float | None = None
    drain_until: float | None = None
    # The container's whole CPU time (every process of it), read from its init process as it
    # exited; None where there is no /proc.
    cpu_at_exit: float | None = None

    @property
    def stdout(self) -> IO[bytes]:
        assert self.init.popen.stdout is not None
        return self.init.popen.stdout

    @property
    def ended(self) -> bool:
        """Its init process has exited and every byte of output has been read."""
        return self.exited and not self.pipe_open


class ContainerProcesses:
    """Starts container processes and turns what happens to them into two callbacks."""

    def __init__(
        self,
        *,
        on_output: Callable[[Container, list[str]], None],
        on_ended: Callable[[Container], None],
    ) -> None:
        self._on_output = on_output
        self._on_ended = on_ended
        self._live: list[Container] = []
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._pidfd_ok = hasattr(os, "pidfd_open")

    def wake(self) -> None:
        """Make the current (or next) ``wait`` return at once; safe from any thread."""
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")

    def close(self) -> None:
        self._selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def start(
        self, task: TaskState, spec: ContainerSpec, env: Mapping[str, str], cwd: str | None
    ) -> Container:
        """Start ``spec``'s command under an init process; raises whatever prevents it."""
        init = InitProcess.spawn(spec.argv, env=env, cwd=cwd)
        try:
            assert init.popen.stdout is not None
            os.set_blocking(init.popen.stdout.fileno(), False)
            pidfd: int | None = None
            if self._pidfd_ok:
                try:
                    pidfd = os.pidfd_open(init.pid)
                except OSError:
                    self._pidfd_ok = False
            container = Container(task=task, spec=spec, init=init, pidfd=pidfd)
            self._selector.register(container.stdout.fileno(), selectors.EVENT_READ, container)
            if pidfd is not None:
                self._selector.register(pidfd, selectors.EVENT_READ, container)
        except BaseException:
            self._abandon(init)
            raise
        self._live.append(container)
        return container

    def _abandon(self, init: InitProcess) -> None:
        """Undo a half-made container: nothing of it may outlive the failure."""
        assert init.popen.stdout is not None
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(init.popen.stdout.fileno())
        init.close()  # its init process reads end of file and kills the command
        try:
            init.popen.wait(timeout=INIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            init.force_kill()
            init.popen.wait()
        init.popen.stdout.close()

    def terminate(self, container: Container, kill_at: float) -> None:
        """SIGTERM to the main process now; every process is killed at ``kill_at``."""
        if container.exited:
            return
        container.init.terminate()
        container.kill_at = min(container.kill_at or kill_at, kill_at)

    def wait(self) -> None:
        """Wait for the next event (or a wake-up) and act on everything that is due."""
        for key, _ in self._selector.select(self._timeout()):
            container = key.data
            if container is None:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 4096)
            elif key.fileobj == container.pidfd:
                self._reap(container)
            else:
                self._read_output(container)
        if not self._pidfd_ok:
            for container in list(self._live):
                self._reap(container)
        self._enforce_deadlines()

    def _timeout(self) -> float:
        timeout = _MAX_SELECT_SECONDS if self._pidfd_ok else _FALLBACK_POLL_SECONDS
        now = time.monotonic()
        for container in self._live:
            for deadline in (container.kill_at, container.force_at, container.drain_until):
                if deadline is not None:
                    timeout = min(timeout, max(0.0, deadline - now))
        return timeout

    def _read_output(self, container: Container) -> None:
        try:
            data = os.read(container.stdout.fileno(), _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._on_output(container, container.output.feed(data))
        else:
            self._close_pipe(container)

    def _close_pipe(self, container: Container) -> None:
        self._on_output(container, container.output.feed(b"", final=True))
        self._selector.unregister(container.stdout.fileno())
        container.stdout.close()
        container.pipe_open = False
        container.drain_until = None
        self._maybe_ended(container)

    def _reap(self, container: Container) -> None:
        if container.exited:
            return
        # Read before poll() reaps it: as a zombie its figures hold every process it reaped.
        figures = read_process(container.init.pid)
        if container.init.popen.poll() is None:
            return
        container.cpu_at_exit = None if figures is None else figures.cpu_seconds
        container.exited = True
        container.kill_at = container.force_at = None
        if container.pidfd is not None:
            self._selector.unregister(container.pidfd)
            os.close(container.pidfd)
            container.pidfd = None
        # Its init process killed every process of the container before exiting, so the pipe
        # reaches end of file at once; the drain limit guards against anything else.
        if container.pipe_open:
            container.drain_until = time.monotonic() + _PIPE_DRAIN_SECONDS
        self._maybe_ended(container)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for container in list(self._live):
            if container.kill_at is not None and container.kill_at <= now:
                container.kill_at = None
                container.init.kill_all()
                container.force_at = now + INIT_GRACE_SECONDS
            if container.force_at is not None and container.force_at <= now:
                container.force_at = None
                container.init.force_kill()
            if container.drain_until is not None and container.drain_until <= now:
                self._close_pipe(container)

    def _maybe_ended(self, container: Container) -> None:
        if container.ended and container in self._live:
            self._live.remove(container)
            self._on_ended(container)
