"""What the detached-asset sensor reads from Dagster and what it writes back.

In: the launch records detached steps leave (AssetObservations). Out: for a finished launch, a
materialisation with the blocking path's metadata or a failing check, stored in the run that
launched it, each event once (``completion_store``). ``detached_sensor`` wires these to
``ecs.tracking.tick``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    AssetRecordsFilter,
    DagsterInstance,
    EventLogRecord,
    MetadataValue,
)

# Private names: Dagster has no public API to add an asset event to an existing run's event
# log, or to read a check's executions for one partition.
from ecs_pipelines.ecs.common import tags_of
from ecs_pipelines.ecs.logs import LOG_TAIL_LINES, last_lines, log_stream_refs
from ecs_pipelines.ecs.tasks import EcsTaskResult
from ecs_pipelines.ecs.tracking import GroupCompletion, TaskGroup
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.redaction import Redaction
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import RUN_ID_TAG

# A sensor without a cursor adopts launch records this recent: ECS forgets a stopped task
# about an hour after it stops, so older launches could mostly only come back lost.
ADOPT_WINDOW_SECONDS = 3600.0

AssetEvent = AssetMaterialization | AssetObservation | AssetCheckEvaluation
DefinitionLookup = Callable[[str], Mapping[str, Any] | None]


# --- detached launches in ----------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    """What a group's label holds: the launch's partition, asset keys and launching run."""

    partition: str | None
    keys: tuple[AssetKey, ...]
    run_id: str | None = None


def launch_label(partition: str | None, keys: Sequence[AssetKey], run_id: str | None) -> str:
    """A group's label: its partition and asset keys, exactly (task tags are sanitised), and
    the run whose step launched it."""
    paths = [list(k.path) for k in keys]
    return json.dumps({"p": partition, "k": paths, "r": run_id}, separators=(",", ":"))


def parse_launch_label(label: str) -> Launch:
    data = json.loads(label)
    if isinstance(data, list):  # a label written before labels named the run
        partition, *paths = data
        return Launch(partition, tuple(AssetKey(path) for path in paths))
    return Launch(data["p"], tuple(AssetKey(path) for path in data["k"]), data.get("r"))


def read_launches(
    instance: DagsterInstance, keys: Sequence[AssetKey], after: int | None, limit: int
) -> tuple[list[TaskGroup], int | None]:
    """Detached launches recorded for ``keys`` after storage id ``after``, and the new position.

    A step records one observation per asset key; those naming the same tasks, partition and
    run become one group. Without a position, launches of the last ADOPT_WINDOW_SECONDS count."""
    since = None if after is not None else time.time() - ADOPT_WINDOW_SECONDS
    records: list[EventLogRecord] = []
    horizon: int | None = None
    for key in keys:
        page = instance.fetch_observations(
            AssetRecordsFilter(asset_key=key, after_storage_id=after, after_timestamp=since),
            limit=limit,
            ascending=True,
        )
        records.extend(page.records)
        if page.has_more and page.records:
            # This key has more to read: nothing past its last record counts as read yet.
            last = page.records[-1].storage_id
            horizon = last if horizon is None else min(horizon, last)
    if horizon is not None:
        records = [r for r in records if r.storage_id <= horizon]
    launches: dict[tuple[str, tuple[str, ...], str | None, str | None], list[AssetKey]] = {}
    for record in sorted(records, key=lambda r: r.storage_id):
        observation = record.asset_observation
        found = md.launch_record(observation.metadata) if observation else None
        if observation is None or found is None:
            continue
        cluster, arns = found
        launch = (cluster, tuple(arns), observation.partition, record.run_id or None)
        launches.setdefault(launch, []).append(observation.asset_key)
    groups = [
        TaskGroup(cluster, arns, launch_label(partition, launch_keys, run_id))
        for (cluster, arns, partition, run_id), launch_keys in launches.items()
    ]
    positions = [r.storage_id for r in records] + ([after] if after is not None else [])
    return groups, max(positions) if positions else None


# --- detached launches out ---------------------------------------------------------------


def _log_tail(
    ecs: EcsResource, result: EcsTaskResult, lookup: DefinitionLookup, redaction: Redaction
) -> list[str]:
    if result.lost or not result.task_definition_arn:
        return []
    try:
        refs = log_stream_refs(lookup(result.task_definition_arn) or {}, result.task_arn)
        lines = [
            line for ref in refs for line in last_lines(ecs.logs_client(), ref, LOG_TAIL_LINES)
        ]
    except Exception:  # the tail illustrates the failure; never lose the report over it
        return []
    return redaction.lines(lines[-LOG_TAIL_LINES:])


def _check(
    key: AssetKey,
    partition: str | None,
    metadata: Mapping[str, Any],
    description: str | None = None,
) -> AssetCheckEvaluation:
    return AssetCheckEvaluation(
        asset_key=key,
        check_name=md.ECS_TASK_CHECK,
        passed=description is None,
        metadata=dict(metadata),
        severity=AssetCheckSeverity.ERROR,
        description=description,
        partition=partition,
    )


def completion_asset_events(
    completion: GroupCompletion,
    ecs: EcsResource,
    lookup: DefinitionLookup,
    checked: set[AssetKey],
    fetch_tails: Callable[[], bool] = lambda: True,
    usage: Mapping[str, Any] | None = None,
) -> list[AssetEvent]:
    """Success: per key, a materialisation with the blocking path's metadata and a passing
    check. Failure: per key, a failing ``ecs_task_succeeded`` check (severity ERROR) giving
    stopCode, reason, exit codes and the log tail (read while ``fetch_tails()`` allows: a tick
    with many failures must still end inside Dagster's time limit).

    Every event passes the redaction: the resource's secrets and the tasks' own secret
    variables (named by their launch, the values read from their overrides). ``usage``: what
    the tasks cost and used (``step_usage.tick_usage``), added to a materialisation."""
    redaction = Redaction(list(ecs.secret_environment.values())).with_values(
        completion.secret_values
    )
    return [
        redaction.dagster_object(event)
        for event in _completion_events(
            completion, ecs, lookup, checked, fetch_tails, redaction, usage or {}
        )
    ]


def _completion_events(
    completion: GroupCompletion,
    ecs: EcsResource,
    lookup: DefinitionLookup,
    checked: set[AssetKey],
    fetch_tails: Callable[[], bool],
    redaction: Redaction,
    usage: Mapping[str, Any],
) -> list[AssetEvent]:
    launch = parse_launch_label(completion.group.label)
    partition, keys = launch.partition, launch.keys
    cluster = completion.group.cluster
    events: list[AssetEvent] = []
    if completion.succeeded:
        refs = {
            r.task_arn: log_stream_refs(lookup(r.task_definition_arn) or {}, r.task_arn)
            for r in completion.results
            if r.task_definition_arn
        }
        metadata = md.result_metadata(
            completion.results, links=ecs.links(), cluster=cluster, log_refs=refs
        )
        metadata.update(usage)
        run_id = launching_run_id(completion)
        if run_id:
            metadata["launched_by_run"] = MetadataValue.dagster_run(run_id)
        for key in keys:
            events.append(AssetMaterialization(key, partition=partition, metadata=metadata))
            if key in checked:
                events.append(_check(key, partition, metadata))
        return events
    failed = redaction.output(completion.failed)  # masked before the text is made of them
    tails = {r.task_arn: _log_tail(ecs, r, lookup, redaction) for r in failed if fetch_tails()}
    description = md.failure_description(failed, tails)
    if len(tails) < len(failed):
        description += "\n\n(Log tail not read: the sensor tick ran out of time.)"
    if completion.unfinished:
        description += f"\n\nStopped sibling task(s): {', '.join(completion.unfinished)}"
    metadata = md.failure_metadata(failed, tails)
    for key in keys:
        if key in checked:
            events.append(_check(key, partition, metadata, description))
        else:  # no check to fail: still leave the failure on the asset, never drop it
            events.append(AssetObservation(key, partition=partition, metadata=metadata))
    return events


def launching_run_id(completion: GroupCompletion) -> str | None:
    """The run whose step launched the group: its launch record's, else its tasks' tag."""
    run_id = parse_launch_label(completion.group.label).run_id
    if run_id:
        return run_id
    return tags_of(completion.results[0].task).get(RUN_ID_TAG) or None
