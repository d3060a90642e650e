"""Runs tasks as host processes: one process group per container, one supervisor thread in all.

The supervisor multiplexes every container's output pipe and exit notification (pidfd) with a
selector, so the cost per task is a few file descriptors, not threads. State changes are made
under the shared backend lock and published at once, so DescribeTasks always sees a consistent
task. A container counts as exited only after its output pipe is drained: every log line is
written before the task can show STOPPED.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ecs_pipelines.local.launch import ContainerSpec, LogTarget, TaskLaunch, docker_style_exit_code
from ecs_pipelines.local.task_state import (
    ESSENTIAL_EXITED,
    FAILED_TO_START,
    USER_INITIATED,
    TaskState,
)

_log = logging.getLogger(__name__)

# Without pidfd support (non-Linux), exits are noticed by polling this often.
_FALLBACK_POLL_SECONDS = 0.1
# Upper bound on one select() so a lost wake-up can never stall the supervisor for long.
_MAX_SELECT_SECONDS = 1.0
# After a container's main process exits its group is killed; give the pipe this long to drain.
_PIPE_DRAIN_SECONDS = 2.0
# CloudWatch rejects events over 256 KiB; cut longer lines well below that.
_MAX_EVENT_CHARS = 200_000
_READ_SIZE = 65536


class TaskSink(Protocol):
    """Where the runner reports task state and container output (the moto bridge)."""

    def publish(self, task_arn: str, fields: dict[str, Any]) -> None: ...

    def write_logs(self, target: LogTarget, events: list[dict[str, Any]]) -> None: ...


@dataclass
class _Container:
    """A started container process and the bookkeeping of its output pipe."""

    task: TaskState
    spec: ContainerSpec
    popen: subprocess.Popen[bytes]
    pidfd: int | None
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )
    partial: str = ""
    pipe_open: bool = True
    exited: bool = False
    kill_at: float | None = None
    drain_until: float | None = None

    @property
    def pgid(self) -> int:
        # start_new_session=True makes the container's first process its group leader.
        return self.popen.pid


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _cannot_start(reason: str) -> str:
    return f"CannotStartContainerError: {reason}"


def _resolve_executable(spec: ContainerSpec) -> str | None:
    """Why ``spec`` cannot start (Docker's wording), or None when its executable is found."""
    if not spec.argv:
        return _cannot_start(
            f'container "{spec.name}" has no entryPoint or command; the embedded ECS runs '
            "the container command as a host process and cannot run an image's default command"
        )
    if shutil.which(spec.argv[0], path=spec.environment.get("PATH")) is None:
        return _cannot_start(f'exec: "{spec.argv[0]}": executable file not found in $PATH')
    return None


class TaskRunner:
    """Starts, watches and stops task processes; publishes every state change to a sink."""

    def __init__(
        self,
        *,
        sink: TaskSink,
        lock: threading.RLock,
        work_dir: Path,
        on_task_stopped: Callable[[str], None] | None = None,
    ) -> None:
        self._sink = sink
        self._lock = lock
        self._work_dir = work_dir
        self._on_task_stopped = on_task_stopped
        self._tasks: dict[str, TaskState] = {}
        self._containers: dict[str, list[_Container]] = {}
        self._commands: deque[tuple[str, Any]] = deque()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._pidfd_ok = hasattr(os, "pidfd_open")
        self._shutting_down = False
        self._thread = threading.Thread(target=self._run, name="ecs-task-runner", daemon=True)

    # ---- API used by request threads (callers may already hold the lock) ----

    def start(self) -> None:
        self._thread.start()

    def launch(self, launch: TaskLaunch) -> TaskState:
        """Register a task (PROVISIONING) and queue its start; returns at once."""
        with self._lock:
            state = TaskState(launch)
            self._tasks[launch.task_arn] = state
            self._sink.publish(launch.task_arn, state.ecs_fields())
        self._send("launch", state)
        return state

    def stop(self, task_arn: str, reason: str) -> None:
        """StopTask: desiredStatus STOPPED now; SIGTERM, then SIGKILL after stopTimeout."""
        with self._lock:
            state = self._tasks[task_arn]
            if not state.begin_stop(USER_INITIATED, reason):
                return
            self._sink.publish(task_arn, state.ecs_fields())
        self._send("terminate", state)

    def get(self, task_arn: str) -> TaskState | None:
        with self._lock:
            return self._tasks.get(task_arn)

    def running_task_count(self) -> int:
        with self._lock:
            return sum(1 for state in self._tasks.values() if not state.stopped)

    def shutdown(self, grace_seconds: float = 2.0) -> None:
        """Stop every task (SIGTERM, SIGKILL after ``grace_seconds``) and end the supervisor."""
        if not self._thread.is_alive():
            return
        self._send("shutdown", grace_seconds)
        self._thread.join()

    # ---- supervisor thread ----

    def _send(self, command: str, payload: Any) -> None:
        self._commands.append((command, payload))
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        try:
            while not (self._shutting_down and not self._containers and not self._commands):
                try:
                    self._step()
                except Exception:
                    # One bad event must not leave every other task unsupervised.
                    _log.exception("task runner step failed; continuing")
        finally:
            self._selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)
            shutil.rmtree(self._work_dir, ignore_errors=True)

    def _step(self) -> None:
        for key, _ in self._selector.select(self._select_timeout()):
            kind, container = key.data
            if kind == "wake":
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 4096)
            elif kind == "out":
                self._read_output(container)
            else:
                self._reap(container)
        self._run_commands()
        if not self._pidfd_ok:
            for containers in list(self._containers.values()):
                for container in list(containers):
                    self._reap(container)
        self._enforce_deadlines()

    def _select_timeout(self) -> float:
        timeout = _MAX_SELECT_SECONDS if self._pidfd_ok else _FALLBACK_POLL_SECONDS
        now = time.monotonic()
        for containers in self._containers.values():
            for container in containers:
                for deadline in (container.kill_at, container.drain_until):
                    if deadline is not None:
                        timeout = min(timeout, max(0.0, deadline - now))
        return timeout

    def _run_commands(self) -> None:
        while self._commands:
            command, payload = self._commands.popleft()
            if command == "launch":
                self._start_task(payload)
            elif command == "terminate":
                self._terminate(payload)
            elif command == "shutdown":
                self._shutting_down = True
                deadline = time.monotonic() + float(payload)
                with self._lock:
                    for arn in list(self._containers):
                        state = self._tasks[arn]
                        state.begin_stop(USER_INITIATED, "Embedded ECS shut down")
                        self._terminate(state, kill_deadline=deadline)

    def _start_task(self, state: TaskState) -> None:
        with self._lock:
            if state.stopping or self._shutting_down:
                state.begin_stop(FAILED_TO_START, "Task stopped before it started")
                self._finish(state)
                return
            state.mark_pending()
            self._sink.publish(state.task_arn, state.ecs_fields())
        problems = {c.name: _resolve_executable(c) for c in state.launch.containers}
        fatal = [
            problems[c.name] for c in state.launch.containers if c.essential and problems[c.name]
        ]
        if fatal:
            with self._lock:
                for name, problem in problems.items():
                    if problem:
                        state.container_failed_to_start(name, problem)
                state.begin_stop(FAILED_TO_START, str(fatal[0]))
                self._finish(state)
            return
        state.cwd = tempfile.mkdtemp(prefix=f"{state.launch.task_id}-", dir=self._work_dir)
        started: list[_Container] = []
        failures: dict[str, str] = {name: p for name, p in problems.items() if p}
        for spec in state.launch.containers:
            if spec.name in failures:
                continue
            try:
                started.append(self._spawn(state, spec))
            except OSError as exc:
                failures[spec.name] = _cannot_start(f'exec: "{spec.argv[0]}": {exc.strerror}')
                if spec.essential:
                    break
        with self._lock:
            self._containers[state.task_arn] = started
            for name, problem in failures.items():
                state.container_failed_to_start(name, problem)
            essential_failure = next(
                (
                    failures[c.name]
                    for c in state.launch.containers
                    if c.essential and c.name in failures
                ),
                None,
            )
            if essential_failure:
                state.begin_stop(FAILED_TO_START, essential_failure)
                self._terminate(state)
                return
            if not started:
                # Only non-essential containers, none of which could start.
                state.begin_stop(FAILED_TO_START, next(iter(failures.values()), "No container"))
                self._finish(state)
                return
            # A StopTask that arrived meanwhile is queued behind this launch and handled next.
            state.mark_running()
            self._sink.publish(state.task_arn, state.ecs_fields())

    def _spawn(self, state: TaskState, spec: ContainerSpec) -> _Container:
        popen = subprocess.Popen(
            list(spec.argv),
            cwd=state.cwd,
            env=container_environment(state, spec),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
        assert popen.stdout is not None
        os.set_blocking(popen.stdout.fileno(), False)
        pidfd: int | None = None
        if self._pidfd_ok:
            try:
                pidfd = os.pidfd_open(popen.pid)
            except OSError:
                self._pidfd_ok = False
        container = _Container(task=state, spec=spec, popen=popen, pidfd=pidfd)
        if spec.log is not None:
            # The awslogs driver creates the stream when the container starts, before any
            # output: a reader can tell "no output yet" from "no logs at all".
            self._sink.write_logs(spec.log, [])
        self._selector.register(popen.stdout.fileno(), selectors.EVENT_READ, ("out", container))
        if pidfd is not None:
            self._selector.register(pidfd, selectors.EVENT_READ, ("exit", container))
        return container

    def _terminate(self, state: TaskState, kill_deadline: float | None = None) -> None:
        """SIGTERM every live container of the task; SIGKILL is scheduled per stopTimeout."""
        with self._lock:
            now = time.monotonic()
            for container in self._containers.get(state.task_arn, []):
                if container.exited:
                    continue
                _signal_group(container.pgid, signal.SIGTERM)
                deadline = now + container.spec.stop_timeout
                if kill_deadline is not None:
                    deadline = min(deadline, kill_deadline)
                container.kill_at = min(container.kill_at or deadline, deadline)
            state.mark_stopping()
            self._sink.publish(state.task_arn, state.ecs_fields())
            if not self._containers.get(state.task_arn):
                self._finish(state)

    def _read_output(self, container: _Container) -> None:
        assert container.popen.stdout is not None
        try:
            data = os.read(container.popen.stdout.fileno(), _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._emit(container, container.decoder.decode(data))
            return
        self._close_pipe(container)

    def _close_pipe(self, container: _Container) -> None:
        assert container.popen.stdout is not None
        self._emit(container, container.decoder.decode(b"", final=True), final=True)
        self._selector.unregister(container.popen.stdout.fileno())
        container.popen.stdout.close()
        container.pipe_open = False
        container.drain_until = None
        self._maybe_finalize(container)

    def _emit(self, container: _Container, text: str, final: bool = False) -> None:
        """Turn decoded output into log events: one per line, stamped when read."""
        text = container.partial + text
        lines = text.split("\n")
        container.partial = "" if final else lines.pop()
        if len(container.partial) > _MAX_EVENT_CHARS:
            lines.append(container.partial)
            container.partial = ""
        target = container.spec.log
        if target is None:
            return
        now_ms = int(time.time() * 1000)
        events = [
            {"timestamp": now_ms, "message": piece}
            for line in lines
            for piece in _chunks(line.rstrip("\r"))
        ]
        if events:
            with self._lock:
                self._sink.write_logs(target, events)

    def _reap(self, container: _Container) -> None:
        if container.exited or container.popen.poll() is None:
            return
        container.exited = True
        container.kill_at = None
        if container.pidfd is not None:
            self._selector.unregister(container.pidfd)
            os.close(container.pidfd)
            container.pidfd = None
        # The container is gone once its main process is: take its other processes with it.
        _signal_group(container.pgid, signal.SIGKILL)
        if container.pipe_open:
            container.drain_until = time.monotonic() + _PIPE_DRAIN_SECONDS
        self._maybe_finalize(container)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for containers in list(self._containers.values()):
            for container in list(containers):
                if container.kill_at is not None and container.kill_at <= now:
                    container.kill_at = None
                    _signal_group(container.pgid, signal.SIGKILL)
                if container.drain_until is not None and container.drain_until <= now:
                    self._close_pipe(container)

    def _maybe_finalize(self, container: _Container) -> None:
        if not container.exited or container.pipe_open:
            return
        state = container.task
        exit_code = docker_style_exit_code(container.popen.returncode)
        with self._lock:
            siblings = self._containers.get(state.task_arn, [])
            if container in siblings:
                siblings.remove(container)
            state.container_exited(container.spec.name, exit_code)
            if container.spec.essential and state.begin_stop(*ESSENTIAL_EXITED):
                self._terminate(state)
            elif not siblings and (state.stopping or state.all_containers_done):
                self._finish(state)
            else:
                self._sink.publish(state.task_arn, state.ecs_fields())

    def _finish(self, state: TaskState) -> None:
        with self._lock:
            if state.stopped:
                return
            self._containers.pop(state.task_arn, None)
            state.finish()
            self._sink.publish(state.task_arn, state.ecs_fields())
        if state.cwd:
            shutil.rmtree(state.cwd, ignore_errors=True)
        if self._on_task_stopped is not None:
            self._on_task_stopped(state.task_arn)


def container_environment(state: TaskState, spec: ContainerSpec) -> dict[str, str]:
    """A container's process environment; HOME is the task's own directory unless set."""
    env = {"HOME": state.cwd} if state.cwd else {}
    env.update(spec.environment)
    return env


def _chunks(line: str) -> list[str]:
    if not line:
        return []
    return [line[i : i + _MAX_EVENT_CHARS] for i in range(0, len(line), _MAX_EVENT_CHARS)]


def host_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The base environment of every container: the host PATH with this interpreter first.

    Putting ``sys.executable``'s directory first makes ``python`` in a task mean the server's
    interpreter, which has dagster-pipes installed.
    """
    import sys

    bin_dir = str(Path(sys.executable).parent)
    host_path = os.environ.get("PATH", os.defpath)
    env = {"PATH": os.pathsep.join([bin_dir, *[p for p in host_path.split(os.pathsep) if p]])}
    env.update(extra or {})
    return env
