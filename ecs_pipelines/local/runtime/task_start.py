"""How a task's containers start: secrets, executables, then dependsOn order.

The start phase of the runner (``runner.TaskRunner`` inherits it): the task goes PENDING; its
``secrets`` are read (one that cannot be read fails the task to start, ResourceInitializationError,
as ECS reports it); a container whose executable cannot be found fails to start; then
``advance`` starts every container whose dependsOn conditions hold (``container_order``), gives
up on those whose conditions can never hold, and is called again whenever a container starts,
exits or changes health. The task is RUNNING once no container waits any more.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ecs_pipelines.ecs.common import TaskStatus
from ecs_pipelines.local.rules import SecretUnavailable
from ecs_pipelines.local.runtime.container_order import GO, WAIT, cyclic_containers, decide
from ecs_pipelines.local.runtime.container_plan import ContainerSpec, LogTarget, TaskLaunch
from ecs_pipelines.local.runtime.container_processes import Container, ContainerProcesses
from ecs_pipelines.local.runtime.container_start import (
    cannot_start,
    container_environment,
    resolve_executable,
    spawn_failure,
)
from ecs_pipelines.local.runtime.health_monitor import HealthMonitor
from ecs_pipelines.local.runtime.task_state import ESSENTIAL_EXITED, FAILED_TO_START, TaskState

_log = logging.getLogger(__name__)

# Container name -> {variable: value} of its task-definition ``secrets``.
SecretsResolver = Callable[[TaskLaunch], dict[str, dict[str, str]]]


class TaskSink(Protocol):
    """Where the runner reports task state and container output (the moto bridge)."""

    def publish(self, task_arn: str, fields: dict[str, Any]) -> None: ...

    def write_logs(self, target: LogTarget, events: list[dict[str, Any]]) -> None: ...


class TaskStart:
    """The start phase; ``TaskRunner`` provides the attributes and the stop half."""

    _sink: TaskSink
    _lock: threading.RLock
    _work_dir: Path
    _secrets: SecretsResolver | None
    _containers: dict[str, list[Container]]
    _monitors: dict[tuple[str, str], HealthMonitor]
    _processes: ContainerProcesses
    _shutting_down: bool

    def _terminate(self, state: TaskState, kill_deadline: float | None = None) -> None:
        raise NotImplementedError

    def _finish(self, state: TaskState) -> None:
        raise NotImplementedError

    def _send(self, command: str, payload: Any) -> None:
        raise NotImplementedError

    def _start_task(self, state: TaskState) -> None:
        """Start the task's containers; whatever goes wrong, the task fails to start."""
        try:
            self._prepare(state)
        except Exception as exc:
            _log.exception("task %s could not be started", state.task_arn)
            self._fail_to_start(state, cannot_start(f"{type(exc).__name__}: {exc}"))

    def _fail_to_start(self, state: TaskState, reason: str) -> None:
        with self._lock:
            for name, container in state.containers.items():
                if container.last_status == TaskStatus.PENDING:
                    state.container_failed_to_start(name, reason)
            state.begin_stop(FAILED_TO_START, reason)
            self._terminate(state)

    def _prepare(self, state: TaskState) -> None:
        with self._lock:
            if state.stopping or self._shutting_down:
                state.begin_stop(FAILED_TO_START, "Task stopped before it started")
                self._finish(state)
                return
            state.mark_pending()
            self._sink.publish(state.task_arn, state.ecs_fields())
        if self._secrets is not None:
            try:
                state.secret_environment = self._secrets(state.launch)
            except SecretUnavailable as exc:
                # The reason names the secret, never a value; nothing else is logged.
                self._fail_to_start(state, str(exc))
                return
        problems = {c.name: resolve_executable(c) for c in state.launch.containers}
        failures = {name: problem for name, problem in problems.items() if problem}
        with self._lock:
            for name, problem in failures.items():
                state.container_failed_to_start(name, problem)
            essential = [
                failures[c.name]
                for c in state.launch.containers
                if c.essential and c.name in failures
            ]
            if essential:
                state.begin_stop(FAILED_TO_START, essential[0])
                self._terminate(state)
                return
        state.cwd = tempfile.mkdtemp(prefix=f"{state.launch.task_id}-", dir=self._work_dir)
        self._advance(state)

    def _advance(self, state: TaskState) -> None:
        """Start what may start now, give up on what never can; repeat while anything moved."""
        graph = {c.name: c.depends_on for c in state.launch.containers}
        cyclic = cyclic_containers(graph)
        while True:
            with self._lock:
                if state.stopping or state.stopped:
                    return
                progress = {name: c.progress for name, c in state.containers.items()}
                waiting = [
                    spec
                    for spec in state.launch.containers
                    if state.containers[spec.name].last_status == TaskStatus.PENDING
                ]
                decisions = {
                    s.name: decide(s.name, s.depends_on, progress, cyclic) for s in waiting
                }
                never = {n: d for n, d in decisions.items() if d not in (GO, WAIT)}
                for name, reason in never.items():
                    state.container_failed_to_start(name, reason)
                if any(s.essential for s in waiting if s.name in never):
                    # An essential container that will never run ends the task as one that
                    # exited would.
                    state.begin_stop(*ESSENTIAL_EXITED)
                    self._terminate(state)
                    return
            ready = [s for s in waiting if decisions[s.name] == GO]
            started, failures = self._spawn(state, ready)
            with self._lock:
                if self._settle(state, started, failures):
                    return
            if not ready and not never:
                return

    def _spawn(
        self, state: TaskState, specs: list[ContainerSpec]
    ) -> tuple[list[Container], dict[str, str]]:
        started: list[Container] = []
        failures: dict[str, str] = {}
        for spec in specs:
            try:
                if spec.log is not None and not state.forgotten:
                    # The awslogs driver creates the stream when the container starts, before
                    # any output: a reader can tell "no output yet" from "no logs at all".
                    self._sink.write_logs(spec.log, [])
                env = container_environment(state, spec)
                started.append(self._processes.start(state, spec, env, state.cwd))
            except Exception as exc:
                failures[spec.name] = spawn_failure(spec, exc)
                if spec.essential:
                    break
        return started, failures

    def _settle(self, state: TaskState, started: list[Container], failures: dict[str, str]) -> bool:
        """Record what started and what failed (under the lock); True when the task ended."""
        self._containers.setdefault(state.task_arn, []).extend(started)
        for container in started:
            state.container_started(container.spec.name)
            self._watch_health(state, container)
        for name, problem in failures.items():
            state.container_failed_to_start(name, problem)
        essential = [
            failures[c.name] for c in state.launch.containers if c.essential and c.name in failures
        ]
        if essential:
            state.begin_stop(FAILED_TO_START, essential[0])
            self._terminate(state)
            return True
        if not self._containers.get(state.task_arn) and state.all_containers_done:
            if not any(c.started_at for c in state.containers.values()):
                reasons = [c.reason for c in state.containers.values() if c.reason]
                state.begin_stop(FAILED_TO_START, (reasons or ["No container"])[0])
            self._finish(state)
            return True
        state.mark_running()
        self._sink.publish(state.task_arn, state.ecs_fields())
        return False

    def _watch_health(self, state: TaskState, container: Container) -> None:
        check = container.spec.health_check
        if check is None:
            return
        name = container.spec.name

        def report(passed: bool, output: str, elapsed: float) -> None:
            self._send("health", (state, name, passed, output, elapsed))

        monitor = HealthMonitor(
            check, env=container_environment(state, container.spec), cwd=state.cwd, report=report
        )
        self._monitors[(state.task_arn, name)] = monitor
        monitor.start()

    def _health_result(
        self, state: TaskState, name: str, passed: bool, output: str, elapsed: float
    ) -> None:
        monitor = self._monitors.get((state.task_arn, name))
        if monitor is None or state.stopped:
            return
        status = monitor.tracker.record(passed, elapsed)
        with self._lock:
            if not state.container_health(name, status, output):
                return
            self._sink.publish(state.task_arn, state.ecs_fields())
        self._advance(state)

    def _stop_health(self, task_arn: str, name: str) -> None:
        monitor = self._monitors.pop((task_arn, name), None)
        if monitor is not None:
            monitor.stop()
