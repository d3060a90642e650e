"""Runs tasks as host processes: the ECS lifecycle of each task, one supervisor thread in all.

Each container runs under its own init process (``container_init.py``), which is to the
container what PID 1 is in Docker: StopTask's SIGTERM reaches the main process only, and when
the main process exits, or the stopTimeout runs out, every process of the container dies, even
one that left the session. Any failure to create a container's process fails the task to start
(``TaskFailedToStart``, ``CannotStartContainerError``), as ECS reports it.

The processes themselves are ``container_processes``' business; this module decides what their
output and their ends mean for the task. State changes are made under the shared backend lock
and published at once, so DescribeTasks always sees a consistent task. A container counts as
exited only after its output pipe is drained: every log line is written before the task can
show STOPPED.

How a task's containers start (secrets, executables, dependsOn order) is ``task_start``'s
``TaskStarter``, which the runner owns and calls from its supervisor thread: when a task is
launched, and again whenever a container ends or changes health; it tells the runner whether
the task must now be terminated or finished. Health checks run under ``health_watch``.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecs_pipelines.local.rules import SPOT_INTERRUPTION, SPOT_STOPPED_REASON
from ecs_pipelines.local.runtime.container_init import descendants
from ecs_pipelines.local.runtime.container_output import log_events
from ecs_pipelines.local.runtime.container_plan import TaskLaunch, docker_style_exit_code
from ecs_pipelines.local.runtime.container_processes import Container, ContainerProcesses
from ecs_pipelines.local.runtime.container_start import spawn_failure
from ecs_pipelines.local.runtime.health_watch import HealthWatch
from ecs_pipelines.local.runtime.live_containers import LiveContainers
from ecs_pipelines.local.runtime.task_sink import TaskSink
from ecs_pipelines.local.runtime.task_start import NextStep, SecretsResolver, TaskStarter
from ecs_pipelines.local.runtime.task_state import (
    ESSENTIAL_EXITED,
    FAILED_TO_START,
    USER_INITIATED,
    ContainerState,
    TaskState,
)
from ecs_pipelines.local.runtime.usage_meter import UsageMeter

_log = logging.getLogger(__name__)

__all__ = ["TaskRunner"]


class TaskRunner:
    """Starts, watches and stops task processes; publishes every state change to a sink."""

    def __init__(
        self,
        *,
        sink: TaskSink,
        lock: threading.RLock,
        work_dir: Path,
        on_task_stopped: Callable[[str], None] | None = None,
        secrets: SecretsResolver | None = None,
    ) -> None:
        self._sink = sink
        self._lock = lock
        self._work_dir = work_dir
        self._on_task_stopped = on_task_stopped
        self._tasks: dict[str, TaskState] = {}
        # Each container's task by its runtime id, for the credentials endpoint, which must
        # answer while long API calls hold the backend lock, as the ECS agent does (botocore's
        # container provider gives it 2 s, 3 times, not configurable). Written under the
        # lock; read without it: a dict lookup is atomic, and a container never changes task.
        self._by_runtime_id: dict[str, tuple[TaskState, ContainerState]] = {}
        self._live = LiveContainers()
        self._commands: deque[tuple[str, Any]] = deque()
        self._processes = ContainerProcesses(on_output=self._emit, on_ended=self._container_ended)
        self._health = HealthWatch(report=lambda *result: self._send("health", result))
        self._starter = TaskStarter(
            sink=sink,
            lock=lock,
            work_dir=work_dir,
            processes=self._processes,
            live=self._live,
            health=self._health,
            secrets=secrets,
        )
        self._usage = UsageMeter(sink=sink, lock=lock, live=self._measured_roots)
        self._shutting_down = False
        self._thread = threading.Thread(target=self._run, name="ecs-task-runner", daemon=True)

    # ---- API used by request threads (callers may already hold the lock) ----

    def start(self) -> None:
        self._thread.start()
        self._usage.start()

    def launch(self, launch: TaskLaunch) -> TaskState:
        """Register a task (PROVISIONING) and queue its start; returns at once."""
        with self._lock:
            state = TaskState(launch)
            self._tasks[launch.task_arn] = state
            for container in state.containers.values():
                self._by_runtime_id[container.spec.runtime_id] = (state, container)
            self._sink.publish(launch.task_arn, state.ecs_fields())
        self._send("launch", state)
        faults = launch.faults
        if faults.reclaim_after_seconds is not None:
            # The fault plan's Spot reclaim: a timer, so that the supervisor never waits on it.
            timer = threading.Timer(
                faults.reclaim_after_seconds,
                self.reclaim,
                (launch.task_arn, faults.reclaim_warning_seconds),
            )
            timer.daemon = True
            timer.start()
        return state

    def reclaim(self, task_arn: str, warning_seconds: float) -> None:
        """A Spot interruption: SIGTERM now, SIGKILL once ``warning_seconds`` have passed
        (ECS warns two minutes ahead; the plan shortens it); stopCode SpotInterruption."""
        with self._lock:
            state = self._tasks.get(task_arn)
            if state is None or not state.begin_stop(SPOT_INTERRUPTION, SPOT_STOPPED_REASON):
                return
            self._sink.publish(task_arn, state.ecs_fields())
        self._send("reclaim", (state, time.monotonic() + warning_seconds))

    def stop(self, task_arn: str, reason: str) -> None:
        """StopTask: desiredStatus STOPPED now; SIGTERM, then SIGKILL after stopTimeout."""
        with self._lock:
            state = self._tasks[task_arn]
            if not state.begin_stop(USER_INITIATED, reason):
                return
            self._sink.publish(task_arn, state.ecs_fields())
        self._send("terminate", state)

    def forget_all(self) -> None:
        """Every task stops now (SIGKILL, no stopTimeout) and is forgotten: nothing of it is
        published or logged any more (moto's reset, which forgets every resource)."""
        with self._lock:
            states = list(self._tasks.values())
            self._tasks.clear()
            self._by_runtime_id.clear()
            for state in states:
                state.forgotten = True
                state.begin_stop(USER_INITIATED, "The embedded ECS was reset")
        self._send("forget", states)

    def get(self, task_arn: str) -> TaskState | None:
        with self._lock:
            return self._tasks.get(task_arn)

    @property
    def lock(self) -> threading.RLock:
        """The lock under which task state changes (the backend lock)."""
        return self._lock

    def find_container(self, runtime_id: str) -> tuple[TaskState, ContainerState] | None:
        """The task and container whose runtime id (Docker id) is ``runtime_id``; never waits
        on the backend lock (what it returns changes under that lock: read it there)."""
        return self._by_runtime_id.get(runtime_id)

    def container_pids(self, task_arn: str, name: str) -> list[int]:
        """The processes of a running container: its init process and every descendant."""
        with self._lock:
            running = [c for c in self._live.of(task_arn) if c.spec.name == name]
        pids = []
        for container in running:
            if not container.exited:
                pids += [container.init.pid, *descendants(container.init.pid)]
        return pids

    def _measured_roots(self) -> dict[str, tuple[TaskState, dict[str, int]]]:
        """Each running task of a cluster with Container Insights on, and the init process of
        each of its live containers (called under the lock)."""
        roots: dict[str, tuple[TaskState, dict[str, int]]] = {}
        for arn in self._live.tasks():
            state = self._tasks.get(arn)
            if state is not None and state.launch.container_insights:
                pids = {c.spec.name: c.init.pid for c in self._live.of(arn) if not c.exited}
                roots[arn] = (state, pids)
        return roots

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
        self._processes.wake()

    def _run(self) -> None:
        try:
            while not (self._shutting_down and not self._live and not self._commands):
                try:
                    self._processes.wait()
                    self._run_commands()
                except Exception:
                    # One bad event must not leave every other task unsupervised.
                    _log.exception("task runner step failed; continuing")
        finally:
            self._usage.close()
            self._processes.close()
            shutil.rmtree(self._work_dir, ignore_errors=True)

    def _run_commands(self) -> None:
        while self._commands:
            command, payload = self._commands.popleft()
            if command == "launch":
                step = self._starter.start(payload, shutting_down=self._shutting_down)
                self._carry_out(payload, step)
            elif command == "terminate":
                self._terminate(payload)
            elif command == "reclaim":
                self._terminate(*payload)
            elif command == "forget":
                now = time.monotonic()
                for state in payload:
                    self._terminate(state, kill_deadline=now)
            elif command == "health":
                self._health_result(*payload)
            elif command == "shutdown":
                self._shutting_down = True
                deadline = time.monotonic() + float(payload)
                with self._lock:
                    for arn in self._live.tasks():
                        state = self._tasks[arn]
                        state.begin_stop(USER_INITIATED, "Embedded ECS shut down")
                        self._terminate(state, kill_deadline=deadline)

    def _terminate(self, state: TaskState, kill_deadline: float | None = None) -> None:
        """SIGTERM every live container's main process; SIGKILL is scheduled per stopTimeout."""
        with self._lock:
            now = time.monotonic()
            for container in self._live.of(state.task_arn):
                deadline = now + container.spec.stop_timeout
                if kill_deadline is not None:
                    deadline = min(deadline, kill_deadline)
                self._processes.terminate(container, deadline)
            state.mark_stopping()
            self._sink.publish(state.task_arn, state.ecs_fields())
            if not self._live.of(state.task_arn):
                self._finish(state)

    def _emit(self, container: Container, lines: list[str]) -> None:
        """Write completed output lines to the container's log stream, stamped when read."""
        target = container.spec.log
        if target is None or container.task.forgotten:
            return
        events = log_events(lines, int(time.time() * 1000))
        if events:
            with self._lock:
                self._sink.write_logs(target, events)

    def _container_ended(self, container: Container) -> None:
        """A container's processes are gone and its output read: record it, stop the task
        when it was essential, finish the task when it was the last."""
        state, spec = container.task, container.spec
        start_error = container.init.start_error()
        container.init.close()
        self._health.stop(state.task_arn, spec.name)
        with self._lock:
            siblings = self._live.remove(container)
            self._usage.container_exited(
                state, container.cpu_at_exit, container.init.peak_memory_bytes
            )
            if start_error is not None:
                # The init process could not execute the command (see container_init.py).
                reason = spawn_failure(spec, start_error)
                state.container_failed_to_start(spec.name, reason)
                stop_request = (FAILED_TO_START, reason)
            else:
                exit_code = docker_style_exit_code(container.init.popen.returncode)
                state.container_exited(spec.name, exit_code)
                stop_request = ESSENTIAL_EXITED
            if spec.essential and state.begin_stop(*stop_request):
                self._terminate(state)
            elif not siblings and (state.stopping or state.all_containers_done):
                self._finish(state)
            else:
                self._sink.publish(state.task_arn, state.ecs_fields())
        # A container that ended may be what another one waits for (dependsOn).
        self._carry_out(state, self._starter.advance(state))

    def _finish(self, state: TaskState) -> None:
        with self._lock:
            if state.stopped:
                return
            self._live.drop(state.task_arn)
            for name in state.containers:
                self._health.stop(state.task_arn, name)
            # Its last performance event is written before it shows STOPPED.
            self._usage.task_finished(state)
            state.finish()
            self._sink.publish(state.task_arn, state.ecs_fields())
        if state.cwd:
            shutil.rmtree(state.cwd, ignore_errors=True)
        if self._on_task_stopped is not None:
            self._on_task_stopped(state.task_arn)

    def _carry_out(self, state: TaskState, step: NextStep) -> None:
        """What the starter said the task needs now."""
        if step is NextStep.TERMINATE:
            self._terminate(state)
        elif step is NextStep.FINISH:
            self._finish(state)

    def _health_result(
        self, state: TaskState, name: str, passed: bool, output: str, elapsed: float
    ) -> None:
        status = self._health.record(state, name, passed, elapsed)
        if status is None:
            return
        with self._lock:
            if not state.container_health(name, status, output):
                return
            self._sink.publish(state.task_arn, state.ecs_fields())
        # A container that became healthy may be what another one waits for (dependsOn).
        self._carry_out(state, self._starter.advance(state))
