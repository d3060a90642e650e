"""Which containers of each task are live: started, and not yet ended (output drained).

The runner owns the table and lends it to the task starter: the starter adds what it starts,
the runner takes out what ends and drops a task once it is STOPPED. A task is in the table from
its first round of starts to its end, even while none of its containers runs (some may still
wait on dependsOn), so a shutdown finds every task that has begun. Read and changed under the
runner's lock: request threads read it (a container's processes for the metadata endpoint).
"""

from __future__ import annotations

from ecs_pipelines.local.runtime.container_processes import Container


class LiveContainers:
    """Task ARN -> its live containers."""

    def __init__(self) -> None:
        self._by_task: dict[str, list[Container]] = {}

    def __bool__(self) -> bool:
        """True while any task that has begun is not STOPPED yet."""
        return bool(self._by_task)

    def add(self, task_arn: str, started: list[Container]) -> None:
        """Record a round of starts (the task enters the table even when nothing started)."""
        self._by_task.setdefault(task_arn, []).extend(started)

    def remove(self, container: Container) -> list[Container]:
        """Take out a container that ended; returns its task's containers still live."""
        siblings = self._by_task.get(container.task.task_arn, [])
        if container in siblings:
            siblings.remove(container)
        return siblings

    def of(self, task_arn: str) -> list[Container]:
        """The task's live containers."""
        return list(self._by_task.get(task_arn, []))

    def drop(self, task_arn: str) -> None:
        """The task is STOPPED: it leaves the table."""
        self._by_task.pop(task_arn, None)

    def tasks(self) -> list[str]:
        """Every task that has begun and is not STOPPED."""
        return list(self._by_task)
