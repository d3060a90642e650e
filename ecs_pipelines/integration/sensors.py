"""Sensors that report the end of ECS tasks, so that no Dagster worker waits on a long task.

- ``ecs_detached_asset_sensor``: for assets built with ``detached=True``. Reads the launch
  records their steps left, tracks the tasks, and when they end materialises the assets (same
  metadata as a blocking materialisation) or fails their ``ecs_task_succeeded`` check with
  stopCode, reason, exit codes and the log tail. These events go into the run that launched
  the tasks (``sensor_events.CompletionRecorder`` says why), so a partition materialised
  again, by a rerun or a backfill, is reported again.
- ``ecs_task_completion_sensor``: for tasks launched elsewhere (EventBridge, other systems, the
  console). Watches a cluster, filtered by family, startedBy and tags, and requests a run of a
  target job for each task that finishes (run_key = task ARN).

Both keep all their state in the cursor (``ecs.tracking_cursor``), so a daemon restart neither
loses nor repeats a completion: the completion sensor returns its run requests in the
SensorResult that advances the cursor; the detached sensor stores each event only if it is not
stored yet, so a tick that dies before its cursor is saved stores nothing twice when replayed.
Decisions live in ``ecs.tracking.tick``; Dagster events in ``sensor_events``. Given its own
``task_events_queue_url``, a sensor reads task ends from their state change events
(``sensor_task_events``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dagster import (
    AssetsDefinition,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from ecs_pipelines.ecs.client import EcsTaskClient
from ecs_pipelines.ecs.results import EcsTaskResult
from ecs_pipelines.ecs.tracking import (
    DEFAULT_BUDGET_SECONDS,
    GroupCompletion,
    TaskGroup,
    TickResult,
    TrackingState,
    task_digest,
    tick,
)
from ecs_pipelines.ecs.tracking_events import (
    DEFAULT_SWEEP_SECONDS,
    EventIntake,
    take_events,
    tick_with_events,
)
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.completion_store import CompletionRecorder
from ecs_pipelines.integration.redaction import Redaction
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.sensor_events import (
    DefinitionLookup,
    completion_asset_events,
    read_launches,
)
from ecs_pipelines.integration.sensor_task_events import (
    say_polled,
    sensor_queue,
    settle,
    visibility_seconds,
)
from ecs_pipelines.integration.task_naming import WATCHED_ASSETS_TAG

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


def _summary(result: TickResult, described: int) -> str:
    text = (
        f"{described} task group(s) to describe; {len(result.completions)} finished; "
        f"{result.describe_calls} DescribeTasks call(s) in {result.elapsed_seconds:.2f} s"
    )
    if result.stopped_early:
        text += f"; stopped at the time budget after {result.visited_groups} group(s)"
    return text


# Storing what a tick found gets this long past the tick's budget (at least one launch is
# stored per tick); the default budget plus this stays 10 s under Dagster's 60 s limit.
RECORDING_SECONDS = 10.0


def _remaining(started: float, budget_seconds: float) -> float:
    return max(0.0, budget_seconds - (time.monotonic() - started))


def _stop_unfinished(
    context: SensorEvaluationContext, client: EcsTaskClient, completion: GroupCompletion
) -> None:
    """A failed task fails its launch, as in a blocking step: its siblings are stopped."""
    if not completion.unfinished:
        return
    failed = completion.failed[0].task_id
    for arn in completion.unfinished:
        try:
            client.stop(completion.group.cluster, arn, reason=f"Sibling task {failed} failed")
        except Exception as error:  # best effort, as in the blocking path
            context.log.warning(f"Could not stop ECS task {arn}: {error}")


def ecs_detached_asset_sensor(
    assets: AssetsDefinition | Sequence[AssetsDefinition],
    *,
    name: str | None = None,
    resource_key: str = "ecs",
    minimum_interval_seconds: int = 30,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    description: str | None = None,
    records_per_tick: int = 1000,
    task_events_queue_url: str | None = None,
    task_events_sweep_seconds: float = DEFAULT_SWEEP_SECONDS,
) -> SensorDefinition:
    """Completion sensor of detached ECS assets: materialises them when their task succeeds,
    fails their ``ecs_task_succeeded`` check when it fails or is lost.

    ``task_events_queue_url``: a queue of the cluster's task state events for this sensor
    alone (``sensor_task_events``): tasks are then described when first tracked and in a sweep
    every ``task_events_sweep_seconds``, their ends read from the queue."""
    asset_defs = [assets] if isinstance(assets, AssetsDefinition) else list(assets)
    keys = sorted({k for a in asset_defs for k in a.keys}, key=lambda k: k.to_user_string())
    checked = {c.asset_key for a in asset_defs for c in a.check_keys if c.name == md.ECS_TASK_CHECK}

    @sensor(
        name=name or f"{keys[0].to_python_identifier()}_ecs_completion",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description=description
        or "Materialises detached ECS asset(s) when their task ends: "
        + ", ".join(k.to_user_string() for k in keys),
        tags={WATCHED_ASSETS_TAG: " ".join(k.to_user_string() for k in keys)},
    )
    def _detached_sensor(context: SensorEvaluationContext) -> SensorResult:
        started = time.monotonic()
        state = TrackingState.from_cursor(context.cursor)
        ecs: EcsResource = getattr(context.resources, resource_key)
        found, after = read_launches(context.instance, keys, state.after, records_per_tick)
        tracked = set(state.groups)
        new = [g for g in found if g not in tracked]  # a reattached step records twice
        client = ecs.task_client()
        lookup = definition_lookup(client)
        queue = sensor_queue(ecs, task_events_queue_url)
        evented = None
        if queue is None:
            result = tick(
                client,
                [*state.groups, *new],
                budget_seconds=_remaining(started, budget_seconds),
                task_definition=lookup,
                grace={arn for g in new for arn in g.task_arns},
            )
        else:
            evented = tick_with_events(
                client,
                queue,
                state,
                new,
                budget_seconds=_remaining(started, budget_seconds),
                sweep_seconds=task_events_sweep_seconds,
                visibility_seconds=visibility_seconds(minimum_interval_seconds),
                task_definition=lookup,
            )
            say_polled(context, evented.intake)
            result = evented.result
        recorder = CompletionRecorder(context.instance, result.completions)
        unrecorded: list[TaskGroup] = []
        reported = 0
        for completion in result.completions:
            if reported and not _remaining(started, budget_seconds + RECORDING_SECONDS):
                unrecorded.append(completion.group)  # out of time: first in line next tick
                continue
            events = completion_asset_events(
                completion,
                ecs,
                lookup,
                checked,
                # Log tails use what the tick left of the budget, no more.
                fetch_tails=lambda: _remaining(started, budget_seconds) > 0,
            )
            try:
                recorder.record(completion, events)
                reported += 1
            except Exception as error:  # kept for the next tick; never blocks those behind
                arns = ", ".join(completion.group.task_arns)
                context.log.error(f"Could not store the end of ECS task(s) {arns}: {error}")
                unrecorded.append(completion.group)
            _stop_unfinished(context, client, completion)
        context.log.info(_summary(result, len(state.groups) + len(new)) + f"; {reported} reported")
        if queue is None or evented is None:
            cursor = TrackingState(groups=(*unrecorded, *result.pending), after=after).to_cursor()
        else:
            kept, delete, release = evented.next_state(unrecorded=unrecorded, after=after)
            settle(context, queue, delete=delete, release=release)
            cursor = kept.to_cursor()
        if not reported:
            return SensorResult(cursor=cursor, skip_reason=SkipReason("No ECS task finished"))
        return SensorResult(
            cursor=cursor, skip_reason=SkipReason(f"Reported {reported} finished launch(es)")
        )

    return _detached_sensor


# --- tasks launched elsewhere ------------------------------------------------------------

TASK_ARN_RUN_TAG = "ecs-pipelines/task-arn"
OUTCOME_RUN_TAG = "ecs-pipelines/outcome"

RunConfigFn = Callable[[EcsTaskResult, str], Mapping[str, Any]]


def default_run_config(result: EcsTaskResult, cluster: str) -> dict[str, Any]:
    """Run config for a job whose ``ecs_completion_report`` op takes the completion."""
    return {"ops": {"ecs_completion_report": {"config": md.completion_config(result, cluster)}}}


def completion_run_request(
    result: EcsTaskResult,
    cluster: str,
    job: JobDefinition | None,
    failure_job: JobDefinition | None,
    run_config_fn: RunConfigFn,
    redaction: Redaction,
) -> RunRequest | None:
    """A run of ``job`` (succeeded) or ``failure_job`` (failed or lost); None: not wanted.
    Its run config passes the redaction (run configs are stored and shown in the UI)."""
    target = job if result.succeeded else failure_job
    if target is None:
        return None
    outcome = "succeeded" if result.succeeded else "lost" if result.lost else "failed"
    return RunRequest(
        run_key=result.task_arn,
        job_name=target.name,
        run_config=redaction.data(dict(run_config_fn(result, cluster))),
        tags={TASK_ARN_RUN_TAG: result.task_arn, OUTCOME_RUN_TAG: outcome},
    )


def _tags_match(wanted: Mapping[str, str]) -> Callable[[Mapping[str, Any]], bool]:
    def accept(task: Mapping[str, Any]) -> bool:
        tags = {t.get("key"): t.get("value") for t in task.get("tags") or []}
        return all(tags.get(k) == v for k, v in wanted.items())

    return accept


def ecs_task_completion_sensor(
    name: str,
    *,
    cluster: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    tags: Mapping[str, str] | None = None,
    job: JobDefinition | None = None,
    failure_job: JobDefinition | None = None,
    run_config_fn: RunConfigFn = default_run_config,
    include_stopped_before_start: bool = False,
    resource_key: str = "ecs",
    minimum_interval_seconds: int = 30,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    description: str | None = None,
    task_events_queue_url: str | None = None,
) -> SensorDefinition:
    """Requests a run for each ECS task of ``cluster`` (default: the resource's) that finishes:
    ``job`` when it succeeded, ``failure_job`` when it failed or was lost; None skips those.

    ``family`` and ``started_by`` filter ListTasks; ``tags`` are matched on the described task.
    run_key is the task ARN; ``run_config_fn(result, cluster)`` gives the run config (default:
    an ``ecs_completion_report`` op's config: task ARN, exit codes, stop code, reason). Tasks
    already stopped at the sensor's first tick are history, unless
    ``include_stopped_before_start``. ``task_events_queue_url`` (a queue for this sensor
    alone): a task's end is read from its state change event instead of described."""
    if job is None and failure_job is None:
        raise ValueError(f"{name}: give a job, a failure_job, or both")
    jobs = list({j.name: j for j in (job, failure_job) if j is not None}.values())
    accept = _tags_match(tags) if tags else None

    @sensor(
        name=name,
        jobs=jobs,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description=description
        or "Requests a run when an ECS task it watches finishes (run key: the task ARN).",
    )
    def _completion_sensor(context: SensorEvaluationContext) -> SensorResult:
        started = time.monotonic()
        state = TrackingState.from_cursor(context.cursor)
        ecs: EcsResource = getattr(context.resources, resource_key)
        where = cluster or ecs.cluster
        client = ecs.task_client()
        queue = sensor_queue(ecs, task_events_queue_url)
        if queue is not None and state.receipts:
            settle(context, queue, delete=state.receipts)  # the cursor holding them is stored
        running, stopped = (
            list(
                client.list_task_arns(where, family=family, started_by=started_by, desired_status=s)
            )
            for s in ("RUNNING", "STOPPED")
        )
        seen = set(state.seen)
        if context.cursor is None and not include_stopped_before_start:
            seen |= {task_digest(arn) for arn in stopped}
        tracked = {arn for g in state.groups for arn in g.task_arns}
        new = [
            TaskGroup(where, (arn,))
            for arn in dict.fromkeys(stopped + running)
            if arn not in tracked and task_digest(arn) not in seen
        ]
        # A tracked task ListTasks still shows as RUNNING needs no DescribeTasks; a new one
        # needs one only to read its tags.
        running_set = set(running)
        quiet = [g for g in state.groups if g.task_arns[0] in running_set]
        if accept is None:
            quiet += [g for g in new if g.task_arns[0] in running_set]
        intake = EventIntake()
        if queue is not None:
            everything = [*state.groups, *new]
            intake = take_events(
                queue,
                {g.task_arns[0] for g in everything},
                visibility_seconds=visibility_seconds(minimum_interval_seconds),
                time_left=lambda: _remaining(started, budget_seconds / 4),
            )
            say_polled(context, intake)
        ended = {a for a, t in intake.states.items() if t.get("lastStatus") == "STOPPED"}
        # A task whose end an event told needs no DescribeTasks, unless its tags are wanted.
        told = {g for g in [*state.groups, *new] if g.task_arns[0] in ended}
        told -= {g for g in new if accept is not None}
        quiet = [g for g in quiet if g not in told]
        quiet_set = set(quiet)
        candidates = [g for g in [*state.groups, *new] if g not in quiet_set]
        result = tick(
            client,
            candidates,
            budget_seconds=_remaining(started, budget_seconds),
            task_definition=definition_lookup(client),
            accept=accept,
            grace={g.task_arns[0] for g in new},
            known=intake.states,
            describe=[g for g in candidates if g not in told],
        )
        requests: list[RunRequest] = []
        secrets = list(ecs.secret_environment.values())
        for completion in result.completions:
            redaction = Redaction(secrets).with_values(completion.secret_values)
            for task in completion.results:
                request = completion_run_request(
                    task, where, job, failure_job, run_config_fn, redaction
                )
                if request is not None:
                    requests.append(request)
        done = [*(c.group for c in result.completions), *result.ignored]
        seen |= {task_digest(arn) for g in done for arn in g.task_arns}
        # Remember a handled task only while ECS still lists it: bounded by ECS's own memory.
        listed = {task_digest(arn) for arn in running_set.union(stopped)}
        handled = {g.task_arns[0] for g in done}
        receipts = [r for arn in handled for r in intake.receipts.get(arn, [])]
        if queue is not None:
            unkept = [r for a, rs in intake.receipts.items() if a not in handled for r in rs]
            settle(context, queue, delete=[*intake.dropped, *unkept])
        cursor = TrackingState(
            groups=(*result.pending, *quiet),
            seen=frozenset(seen & listed),
            receipts=tuple(receipts),
        ).to_cursor()
        context.log.info(_summary(result, len(candidates) - len(told)))
        if not requests:
            return SensorResult(cursor=cursor, skip_reason=SkipReason("No ECS task to report"))
        return SensorResult(run_requests=requests, cursor=cursor)

    return _completion_sensor
