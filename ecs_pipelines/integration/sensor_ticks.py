"""What every sensor tick shares: the task definition cache, the time budget, the summary, and
what a tick of the detached sensor says it reported."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.common import BoundedMap, is_revision
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.tracking import GroupCompletion, TickResult
from ecs_pipelines.integration.sensor_events import DefinitionLookup, parse_launch_label

# Launches a tick's reason names one by one (it is a tooltip in the UI); the rest are counted.
MAX_NAMED_LAUNCHES = 5
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


def reported_line(completion: GroupCompletion) -> str:
    """One finished launch as the tick reports it: its assets and partition, its tasks and the
    run that launched it. Only names, ids, stop codes and exit codes: never a reason text, which
    may hold what a secret masks."""
    launch = parse_launch_label(completion.group.label)
    assets = ", ".join(key.to_user_string() for key in launch.keys)
    if launch.partition is not None:
        assets += f" [{launch.partition}]"
    run = f", run {launch.run_id[:8]}" if launch.run_id else ""
    if completion.succeeded:
        tasks = ", ".join(result.task_id for result in completion.results)
        return f"materialized {assets} (task {tasks}{run})"
    failed = completion.failed[0]
    codes = ", ".join(f"{name}={code}" for name, code in sorted(failed.exit_codes.items()))
    stop = failed.stop_code or failed.last_status
    return f"{assets} failed (task {failed.task_id}: {stop}, exit {codes or 'none'}{run})"


def reported_reason(lines: Sequence[str]) -> str:
    """What a tick that reported finished launches shows for itself. Dagster marks a tick that
    requests no run SKIPPED whatever events it reports (``dagster._daemon.sensor``,
    ``_evaluate_sensor``), and the UI shows its reason beside that status."""
    named = "; ".join(lines[:MAX_NAMED_LAUNCHES])
    more = len(lines) - MAX_NAMED_LAUNCHES
    if more > 0:
        named += f"; and {more} more"
    return f"Reported {len(lines)} finished ECS launch(es): {named}"
