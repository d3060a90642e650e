"""What the ECS sensors read from Dagster and what they hand back to it.

In: the launch records detached steps leave (AssetObservations). Out: for a finished detached
launch, a materialisation with the blocking path's metadata or a failing check; for a task
launched elsewhere, a run request. ``sensors.py`` wires these to ``ecs.tracking.tick``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    AssetRecordsFilter,
    DagsterInstance,
    JobDefinition,
    MetadataValue,
    RunRequest,
)

from ecs_pipelines.ecs.client import EcsTaskClient
from ecs_pipelines.ecs.logs import last_lines, log_stream_refs
from ecs_pipelines.ecs.results import EcsTaskResult
from ecs_pipelines.ecs.tracking import GroupCompletion, TaskGroup
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.secrets import Redactor
from ecs_pipelines.integration.task_naming import RUN_ID_TAG

# A sensor without a cursor adopts launch records this recent: ECS forgets a stopped task
# about an hour after it stops, so older launches could mostly only come back lost.
ADOPT_WINDOW_SECONDS = 3600.0
TASK_ARN_RUN_TAG = "ecs-pipelines/task-arn"
OUTCOME_RUN_TAG = "ecs-pipelines/outcome"

AssetEvent = AssetMaterialization | AssetObservation | AssetCheckEvaluation
DefinitionLookup = Callable[[str], Mapping[str, Any] | None]
RunConfigFn = Callable[[EcsTaskResult, str], Mapping[str, Any]]

# Task definition revisions never change: one DescribeTaskDefinition per revision per process.
_DEFINITIONS: dict[str, Mapping[str, Any]] = {}
_DEFINITIONS_KEPT = 1000


def definition_lookup(client: EcsTaskClient) -> DefinitionLookup:
    def lookup(arn: str) -> Mapping[str, Any] | None:
        found = _DEFINITIONS.get(arn)
        if found is None:
            found = client.task_definition(arn)
            if ":" in arn.rsplit("/", 1)[-1] and len(_DEFINITIONS) < _DEFINITIONS_KEPT:
                _DEFINITIONS[arn] = found
        return found

    return lookup


# --- detached launches in ----------------------------------------------------------------


def launch_label(partition: str | None, keys: Sequence[AssetKey]) -> str:
    """A group's label: its partition and asset keys, exactly (task tags are sanitised)."""
    return json.dumps([partition, *[list(k.path) for k in keys]], separators=(",", ":"))


def parse_launch_label(label: str) -> tuple[str | None, list[AssetKey]]:
    partition, *paths = json.loads(label)
    return partition, [AssetKey(path) for path in paths]


def read_launches(
    instance: DagsterInstance, keys: Sequence[AssetKey], after: int | None, limit: int
) -> tuple[list[TaskGroup], int | None]:
    """Detached launches recorded for ``keys`` after storage id ``after``, and the new position.

    A step records one observation per asset key; those naming the same tasks and partition
    become one group. Without a position, launches of the last ADOPT_WINDOW_SECONDS count."""
    since = None if after is not None else time.time() - ADOPT_WINDOW_SECONDS
    records, horizon = [], None
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
    launches: dict[tuple[str, tuple[str, ...], str | None], list[AssetKey]] = {}
    for record in sorted(records, key=lambda r: r.storage_id):
        observation = record.asset_observation
        found = md.launch_record(observation.metadata) if observation else None
        if observation is None or found is None:
            continue
        cluster, arns = found
        launches.setdefault((cluster, tuple(arns), observation.partition), []).append(
            observation.asset_key
        )
    groups = [
        TaskGroup(cluster, arns, launch_label(partition, launch_keys))
        for (cluster, arns, partition), launch_keys in launches.items()
    ]
    positions = [r.storage_id for r in records] + ([after] if after is not None else [])
    return groups, max(positions) if positions else None


# --- detached launches out ---------------------------------------------------------------


def _log_tail(ecs: EcsResource, result: EcsTaskResult, lookup: DefinitionLookup) -> list[str]:
    if result.lost or not result.task_definition_arn:
        return []
    try:
        refs = log_stream_refs(lookup(result.task_definition_arn) or {}, result.task_arn)
        lines = [
            line for ref in refs for line in last_lines(ecs.logs_client(), ref, md.LOG_TAIL_LINES)
        ]
    except Exception:  # the tail illustrates the failure; never lose the report over it
        return []
    # The resource's secret values are known here; secret_environment_from values are not
    # (they live in the launching run worker's environment).
    return Redactor(ecs.secret_environment.values()).lines(lines[-md.LOG_TAIL_LINES :])


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
) -> list[AssetEvent]:
    """Success: per key, a materialisation with the blocking path's metadata and a passing
    check. Failure: per key, a failing ``ecs_task_succeeded`` check (severity ERROR) giving
    stopCode, reason, exit codes and the log tail (read while ``fetch_tails()`` allows: a tick
    with many failures must still end inside Dagster's time limit)."""
    partition, keys = parse_launch_label(completion.group.label)
    cluster = completion.group.cluster
    events: list[AssetEvent] = []
    if completion.succeeded:
        refs = {
            r.task_arn: log_stream_refs(lookup(r.task_definition_arn) or {}, r.task_arn)
            for r in completion.results
            if r.task_definition_arn
        }
        metadata = md.result_metadata(
            completion.results, region=ecs.region, cluster=cluster, log_refs=refs
        )
        tags = completion.results[0].task.get("tags") or []
        run_id = next((t.get("value") for t in tags if t.get("key") == RUN_ID_TAG), None)
        if run_id:
            metadata["launched_by_run"] = MetadataValue.dagster_run(run_id)
        for key in keys:
            events.append(AssetMaterialization(key, partition=partition, metadata=metadata))
            if key in checked:
                events.append(_check(key, partition, metadata))
        return events
    failed = completion.failed
    tails = {r.task_arn: _log_tail(ecs, r, lookup) for r in failed if fetch_tails()}
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


# --- tasks launched elsewhere ------------------------------------------------------------


def default_run_config(result: EcsTaskResult, cluster: str) -> dict[str, Any]:
    """Run config for a job whose ``ecs_completion_report`` op takes the completion."""
    return {"ops": {"ecs_completion_report": {"config": md.completion_config(result, cluster)}}}


def completion_run_request(
    result: EcsTaskResult,
    cluster: str,
    job: JobDefinition | None,
    failure_job: JobDefinition | None,
    run_config_fn: RunConfigFn,
) -> RunRequest | None:
    """A run of ``job`` (succeeded) or ``failure_job`` (failed or lost); None: not wanted."""
    target = job if result.succeeded else failure_job
    if target is None:
        return None
    outcome = "succeeded" if result.succeeded else "lost" if result.lost else "failed"
    return RunRequest(
        run_key=result.task_arn,
        job_name=target.name,
        run_config=dict(run_config_fn(result, cluster)),
        tags={TASK_ARN_RUN_TAG: result.task_arn, OUTCOME_RUN_TAG: outcome},
    )
