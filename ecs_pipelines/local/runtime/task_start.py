"""How a task's containers start: secrets, executables, then dependsOn order.

The runner hands a task to ``TaskStarter.start`` on its supervisor thread: the task goes
PENDING; its ``secrets`` are read (one that cannot be read fails the task to start,
ResourceInitializationError, as ECS reports it); a container whose executable cannot be found
fails to start; then ``advance`` starts every container whose dependsOn conditions hold
(``container_order``), gives up on those whose conditions can never hold, and is called again
whenever a container starts, exits or changes health. The task is RUNNING once no container
waits any more.

The starter records what it decides on the task (under the runner's lock) and says what the
runner must do next (``NextStep``); stopping what runs and finishing the task stay the
runner's.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from ecs_pipelines.ecs.common import TaskStatus
from ecs_pipelines.local.rules import SecretUnavailable
from ecs_pipelines.local.runtime.container_order import GO, WAIT, cyclic_containers, decide
from ecs_pipelines.local.runtime.container_plan import ContainerSpec, TaskLaunch
from ecs_pipelines.local.runtime.container_processes import Container, ContainerProcesses
from ecs_pipelines.local.runtime.container_start import (
    cannot_start,
    container_environment,
    resolve_executable,
    spawn_failure,
)
from ecs_pipelines.local.runtime.health_watch import HealthWatch
from ecs_pipelines.local.runtime.live_containers import LiveContainers
from ecs_pipelines.local.runtime.task_sink import TaskSink
from ecs_pipelines.local.runtime.task_state import ESSENTIAL_EXITED, FAILED_TO_START, TaskState

_log = logging.getLogger(__name__)

# Container name -> {variable: value} of its task-definition ``secrets``.
SecretsResolver = Callable[[TaskLaunch], dict[str, dict[str, str]]]


class NextStep(Enum):
    """What the runner does for a task after a start step."""

    # Nothing: its containers run or wait to start, or it is already being stopped.
    NONE = "none"
    # It must stop (its stop code is set): terminate what runs, finish when nothing does.
    TERMINATE = "terminate"
    # Nothing of it runs and nothing ever will: it is STOPPED now.
    FINISH = "finish"


class TaskStarter:
    """Starts the containers of the runner's tasks, in dependsOn order."""

    def __init__(
        self,
        *,
        sink: TaskSink,
        lock: threading.RLock,
        work_dir: Path,
        processes: ContainerProcesses,
        live: LiveContainers,
        health: HealthWatch,
        secrets: SecretsResolver | None = None,
    ) -> None:
        self._sink = sink
        self._lock = lock
        self._work_dir = work_dir
        self._processes = processes
        self._live = live
        self._health = health
        self._secrets = secrets

    def start(self, state: TaskState, *, shutting_down: bool) -> NextStep:
        """Start the task's containers; whatever goes wrong, the task fails to start."""
        try:
            return self._prepare(state, shutting_down)
        except Exception as exc:
            _log.exception("task %s could not be started", state.task_arn)
            return self._fail_to_start(state, cannot_start(f"{type(exc).__name__}: {exc}"))

    def advance(self, state: TaskState) -> NextStep:
        """Start what may start now, give up on what never can; repeat while anything moved."""
        graph = {c.name: c.depends_on for c in state.launch.containers}
        cyclic = cyclic_containers(graph)
        while True:
            with self._lock:
                if state.stopping or state.stopped:
                    return NextStep.NONE
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
                    return NextStep.TERMINATE
            ready = [s for s in waiting if decisions[s.name] == GO]
            started, failures = self._spawn(state, ready)
            with self._lock:
                step = self._settle(state, started, failures)
            if step is not NextStep.NONE or (not ready and not never):
                return step

    def _fail_to_start(self, state: TaskState, reason: str) -> NextStep:
        with self._lock:
            for name, container in state.containers.items():
                if container.last_status == TaskStatus.PENDING:
                    state.container_failed_to_start(name, reason)
            state.begin_stop(FAILED_TO_START, reason)
        return NextStep.TERMINATE

    def _prepare(self, state: TaskState, shutting_down: bool) -> NextStep:
        with self._lock:
            if state.stopping or shutting_down:
                state.begin_stop(FAILED_TO_START, "Task stopped before it started")
                return NextStep.FINISH
            state.mark_pending()
            self._sink.publish(state.task_arn, state.ecs_fields())
        if state.launch.faults.start_failure is not None:
            # The fault plan's failed image pull or resource initialisation.
            return self._fail_to_start(state, state.launch.faults.start_failure)
        if self._secrets is not None:
            try:
                state.secret_environment = self._secrets(state.launch)
            except SecretUnavailable as exc:
                # The reason names the secret, never a value; nothing else is logged.
                return self._fail_to_start(state, str(exc))
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
                return NextStep.TERMINATE
        state.cwd = tempfile.mkdtemp(prefix=f"{state.launch.task_id}-", dir=self._work_dir)
        return self.advance(state)

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

    def _settle(
        self, state: TaskState, started: list[Container], failures: dict[str, str]
    ) -> NextStep:
        """Record what started and what failed (under the lock); what the runner does next."""
        self._live.add(state.task_arn, started)
        for container in started:
            state.container_started(container.spec.name)
            self._health.watch(state, container.spec)
        for name, problem in failures.items():
            state.container_failed_to_start(name, problem)
        essential = [
            failures[c.name] for c in state.launch.containers if c.essential and c.name in failures
        ]
        if essential:
            state.begin_stop(FAILED_TO_START, essential[0])
            return NextStep.TERMINATE
        if not self._live.of(state.task_arn) and state.all_containers_done:
            if not any(c.started_at for c in state.containers.values()):
                reasons = [c.reason for c in state.containers.values() if c.reason]
                state.begin_stop(FAILED_TO_START, (reasons or ["No container"])[0])
            return NextStep.FINISH
        state.mark_running()
        self._sink.publish(state.task_arn, state.ecs_fields())
        return NextStep.NONE
