"""Where the runtime reports what happens to tasks: the moto bridge (``controller.BridgeSink``).

Every task state change and every line of container output goes through it, under the runner's
lock, so DescribeTasks and GetLogEvents see them in the order they happened.
"""

from __future__ import annotations

from typing import Any, Protocol

from ecs_pipelines.local.runtime.container_plan import LogTarget


class TaskSink(Protocol):
    """Task fields (DescribeTasks' view) and log events (the container's awslogs stream)."""

    def publish(self, task_arn: str, fields: dict[str, Any]) -> None: ...

    def write_logs(self, target: LogTarget, events: list[dict[str, Any]]) -> None: ...
