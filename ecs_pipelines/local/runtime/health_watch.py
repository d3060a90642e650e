"""The health checks of running containers: one ``HealthMonitor`` each, while it runs.

A container with a ``healthCheck`` gets its monitor when it starts and loses it when it ends
or its task stops. Each check result reaches ``report`` from the monitor's own thread; the
runner queues it for its supervisor thread, which turns it into the container's health with
``record`` (Docker's retries and start period: ``health_checks.HealthTracker``).
"""

from __future__ import annotations

from collections.abc import Callable

from ecs_pipelines.local.runtime.container_plan import ContainerSpec
from ecs_pipelines.local.runtime.container_start import container_environment
from ecs_pipelines.local.runtime.health_monitor import HealthMonitor
from ecs_pipelines.local.runtime.task_state import TaskState

# (task, container name, passed, check output, seconds since the container started)
HealthReport = Callable[[TaskState, str, bool, str, float], None]


class HealthWatch:
    """(task ARN, container name) -> the monitor running that container's health check."""

    def __init__(self, *, report: HealthReport) -> None:
        self._report = report
        self._monitors: dict[tuple[str, str], HealthMonitor] = {}

    def watch(self, state: TaskState, spec: ContainerSpec) -> None:
        """Start checking a container that just started, when it has a health check."""
        check = spec.health_check
        if check is None:
            return
        name = spec.name

        def report(passed: bool, output: str, elapsed: float) -> None:
            self._report(state, name, passed, output, elapsed)

        monitor = HealthMonitor(
            check, env=container_environment(state, spec), cwd=state.cwd, report=report
        )
        self._monitors[(state.task_arn, name)] = monitor
        monitor.start()

    def record(self, state: TaskState, name: str, passed: bool, elapsed: float) -> str | None:
        """The container's health after a check result; None when it is no longer watched
        (it ended, or its task stopped, after the check ran)."""
        monitor = self._monitors.get((state.task_arn, name))
        if monitor is None or state.stopped:
            return None
        return monitor.tracker.record(passed, elapsed)

    def stop(self, task_arn: str, name: str) -> None:
        """No more checks of this container; a check still running is killed."""
        monitor = self._monitors.pop((task_arn, name), None)
        if monitor is not None:
            monitor.stop()
