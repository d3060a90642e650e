"""A resumed run worker finds the tasks its predecessor launched for the same step attempt.

A step's clientToken makes a replayed RunTask return the tasks of a launch that succeeded at
its first call. A launch that took more calls (a wait for capacity, a fallback to other
capacity, a relaunch after an interruption) started its tasks under tokens derived from
attempts a resumed worker cannot know, so replaying the first token would start the work
again. The run log knows better: every launch is an engine event naming the task, the step
and the step attempt, and a relaunch names the task it replaced. Before it launches, a step
reads its own launch events; when an earlier worker launched this step attempt's tasks, the
step waits for those (the last task of each line of relaunches) instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagster import DagsterEventType, DagsterInstance, MetadataValue

STEP_ATTEMPT_KEY = "ecs/step_attempt"
REPLACES_KEY = "ecs/replaces"


def launch_event_metadata(attempt: int, replaces: str | None) -> dict[str, Any]:
    """What a launch event adds so that a resumed worker can find the task again."""
    metadata: dict[str, Any] = {STEP_ATTEMPT_KEY: MetadataValue.int(attempt)}
    if replaces:
        metadata[REPLACES_KEY] = MetadataValue.text(replaces)
    return metadata


def standing_tasks(launches: Iterable[tuple[str, str | None]]) -> list[str]:
    """Pure: from (task launched, task it replaced) in log order, the tasks no later launch
    replaced, each once, in the order they were first launched."""
    launched: dict[str, None] = {}
    replaced: set[str] = set()
    for arn, replaces in launches:
        launched.setdefault(arn)
        if replaces:
            replaced.add(replaces)
    return [arn for arn in launched if arn not in replaced]


def launched_before(
    instance: DagsterInstance, run_id: str, step_key: str, attempt: int
) -> list[str]:
    """The tasks earlier workers of this run launched for step ``step_key``'s attempt
    ``attempt`` and that still stand (none: the step has not launched yet)."""

    def value(metadata: Any, key: str) -> Any:
        item = metadata.get(key)
        return getattr(item, "value", item)

    launches = []
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        if event is None or event.step_key != step_key or event.engine_event_data is None:
            continue
        metadata = event.engine_event_data.metadata or {}
        arn = value(metadata, "task_arn")
        if value(metadata, STEP_ATTEMPT_KEY) != attempt or not isinstance(arn, str):
            continue
        launches.append((arn, value(metadata, REPLACES_KEY)))
    return standing_tasks(launches)
