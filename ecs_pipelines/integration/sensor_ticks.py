"""What every sensor tick shares: the task definition cache, the time budget, the summary."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ecs_pipelines.ecs.common import BoundedMap, is_revision
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.tracking import TickResult
from ecs_pipelines.integration.sensor_events import DefinitionLookup

MAX_DEFINITIONS = 1000  # revisions the sensors of a process keep described
# Task definition revisions never change: one DescribeTaskDefinition per revision per process
# while the revision is kept (each tick has a client, and so a client cache, of its own).
PROCESS_DEFINITIONS: BoundedMap[str, Mapping[str, Any]] = BoundedMap(
    "The sensors' cache of described task definitions", MAX_DEFINITIONS
)


def definition_lookup(
    client: EcsTaskClient,
    cache: BoundedMap[str, Mapping[str, Any]] = PROCESS_DEFINITIONS,
) -> DefinitionLookup:
    """A task definition by ARN, described once per revision while ``cache`` (by default the
    process's) keeps it."""

    def lookup(arn: str) -> Mapping[str, Any] | None:
        found = cache.get(arn)
        if found is None:
            found = client.task_definition(arn)
            if is_revision(arn):
                cache.put(arn, found)
        return found

    return lookup


def tick_summary(result: TickResult, described: int) -> str:
    """The tick's one log line: what it described, what finished, what it cost."""
    text = (
        f"{described} task group(s) to describe; {len(result.completions)} finished; "
        f"{result.describe_calls} DescribeTasks call(s) in {result.elapsed_seconds:.2f} s"
    )
    if result.stopped_early:
        text += f"; stopped at the time budget after {result.visited_groups} group(s)"
    return text


def remaining(started: float, budget_seconds: float) -> float:
    """Seconds left of ``budget_seconds`` counted from ``started`` (``time.monotonic``)."""
    return max(0.0, budget_seconds - (time.monotonic() - started))
