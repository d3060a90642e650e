"""The sensor of tasks launched elsewhere (EventBridge, other systems, the console).

``ecs_task_completion_sensor`` watches a cluster, filtered by family, startedBy and tags, and
requests a run of a target job for each task that finishes (run_key = task ARN). It returns
its run requests in the SensorResult that advances its cursor (``ecs.tracking_cursor``), so a
daemon restart neither loses nor repeats a completion.

How it finds tasks:

- polling: each tick lists the cluster's RUNNING and STOPPED tasks (ListTasks) and describes
  those it must decide (``ecs.tracking.tick``); a tracked task still listed RUNNING is not
  described;
- on task state events (``task_events_queue_url``, a queue for this sensor alone): a tick
  finds new tasks by their events (of the sensor's cluster, in the client's region), and
  learns of their ends from them, with no ListTasks. Events are hints: a task found by its
  events is described once before it is tracked (one ECS does not know there is dropped), and
  an end an event tells is confirmed by DescribeTasks, batched (100 tasks a call), before a
  run is requested; events ignored (another account, region or cluster; not confirmed) are
  counted in the tick's log. A sweep (the first tick, then every
  ``task_events_sweep_seconds``) lists the cluster as a polling tick does: it finds a task
  whose events were lost, and describes a tracked task it no longer lists RUNNING. A tick
  whose queue cannot be read polls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from ecs_pipelines.ecs.common import TaskStatus, tags_of
from ecs_pipelines.ecs.events import stop_hint
from ecs_pipelines.ecs.tasks import EcsTaskClient, EcsTaskResult
from ecs_pipelines.ecs.tracking import (
    DEFAULT_BUDGET_SECONDS,
    DEFAULT_SWEEP_SECONDS,
    EventIntake,
    TaskGroup,
    TrackingState,
    client_region,
    group_matcher,
    listed_by,
    sweep_due,
    take_events,
    task_digest,
    tick,
)
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.redaction import Redaction
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.sensor_task_events import (
    say_ignored,
    say_polled,
    sensor_queue,
    settle,
    visibility_seconds,
)
from ecs_pipelines.integration.sensor_ticks import definition_lookup, remaining, tick_summary

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
    ``run_config_fn`` gets the result with its secrets masked (it may quote or encode what it
    takes, and a quoted secret no longer matches), and its run config passes the redaction
    too (run configs are stored and shown in the UI)."""
    target = job if result.succeeded else failure_job
    if target is None:
        return None
    outcome = "succeeded" if result.succeeded else "lost" if result.lost else "failed"
    return RunRequest(
        run_key=result.task_arn,
        job_name=target.name,
        run_config=redaction.data(dict(run_config_fn(redaction.output(result), cluster))),
        tags={TASK_ARN_RUN_TAG: result.task_arn, OUTCOME_RUN_TAG: outcome},
    )


def _tags_match(wanted: Mapping[str, str]) -> Callable[[Mapping[str, Any]], bool]:
    def accept(task: Mapping[str, Any]) -> bool:
        tags = tags_of(task)
        return all(tags.get(k) == v for k, v in wanted.items())

    return accept


def _listing(
    client: EcsTaskClient, cluster: str, family: str | None, started_by: str | None
) -> tuple[list[str], list[str]]:
    """The ARNs ListTasks gives for the cluster's RUNNING and STOPPED tasks."""
    running, stopped = (
        list(client.list_task_arns(cluster, family=family, started_by=started_by, desired_status=s))
        for s in (TaskStatus.RUNNING, TaskStatus.STOPPED)
    )
    return running, stopped


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
    task_events_sweep_seconds: float = DEFAULT_SWEEP_SECONDS,
) -> SensorDefinition:
    """Requests a run for each ECS task of ``cluster`` (default: the resource's) that finishes:
    ``job`` when it succeeded, ``failure_job`` when it failed or was lost; None skips those.

    ``family`` and ``started_by`` filter ListTasks (and events); ``tags`` are matched on the
    described task. run_key is the task ARN; ``run_config_fn(result, cluster)`` gives the run
    config (default: an ``ecs_completion_report`` op's config: task ARN, exit codes, stop
    code, reason). Tasks already stopped at the sensor's first tick are history, unless
    ``include_stopped_before_start``. ``task_events_queue_url`` (a queue for this sensor
    alone): tasks are found and ended by their state change events, with a ListTasks sweep
    every ``task_events_sweep_seconds`` for events that were lost."""
    if job is None and failure_job is None:
        raise ValueError(f"{name}: give a job, a failure_job, or both")
    if task_events_sweep_seconds <= 0:
        raise ValueError(f"{name}: task_events_sweep_seconds must be > 0")
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
        seen = set(state.seen)
        tracked = {arn for g in state.groups for arn in g.task_arns}
        intake = EventIntake()
        region = client_region(client)
        if queue is not None:
            matches = listed_by(where, family, started_by, region=region)
            intake = take_events(
                queue,
                group_matcher(state.groups, region),
                visibility_seconds=visibility_seconds(minimum_interval_seconds),
                time_left=lambda: remaining(started, budget_seconds / 4),
                adopt=lambda e: task_digest(e.task_arn) not in seen and matches(e),
            )
            say_polled(context, intake)
        now = int(time.time())
        sweep = queue is None or intake.failed is not None or context.cursor is None
        sweep = sweep or sweep_due(state.swept_at, now, task_events_sweep_seconds)
        # Between sweeps, events are all there is: a tracked task is quiet until one ends it.
        running = set(tracked)
        found: list[str] = []
        if sweep:
            listed_running, stopped = _listing(client, where, family, started_by)
            if context.cursor is None and not include_stopped_before_start:
                seen |= {task_digest(arn) for arn in stopped}
            running, found = set(listed_running), stopped + listed_running
        ended = {a for a, t in intake.states.items() if stop_hint(t)}
        if not sweep:
            running |= intake.states.keys()
        running -= ended
        new = [
            TaskGroup(where, (arn,))
            for arn in dict.fromkeys([*found, *intake.states])
            if arn not in tracked and task_digest(arn) not in seen
        ]
        # A task ECS lists and knows to run needs no DescribeTasks (but for its tags); one
        # known only by its events is described before it is tracked (``tick``'s adopted),
        # and an end an event tells is confirmed by DescribeTasks (``tick``'s known).
        adopted = {g.task_arns[0] for g in new} - set(found)
        listed_new = [g for g in new if g.task_arns[0] not in adopted]
        may_be_quiet = state.groups if accept is not None else [*state.groups, *listed_new]
        quiet = [g for g in may_be_quiet if g.task_arns[0] in running]
        quiet_set = set(quiet)
        candidates = [g for g in [*state.groups, *new] if g not in quiet_set]
        result = tick(
            client,
            candidates,
            budget_seconds=remaining(started, budget_seconds),
            task_definition=definition_lookup(client),
            accept=accept,
            grace={g.task_arns[0] for g in listed_new},
            known=intake.states,
            adopted=adopted,
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
        if sweep:
            # Remember a handled task only while ECS still lists it: bounded by ECS's memory.
            seen &= {task_digest(arn) for arn in found}
        handled = {g.task_arns[0] for g in done}
        receipts = [r for arn in handled for r in intake.receipts.get(arn, [])]
        # What the budget did not reach is read again next tick (a task found by its events
        # is tracked only once described).
        again = {g.task_arns[0] for g in result.unvisited}
        pending = [g for g in result.pending if g.task_arns[0] not in again & adopted]
        if queue is not None:
            kept = handled | again
            unkept = [r for a, rs in intake.receipts.items() if a not in kept for r in rs]
            release = [r for a in again for r in intake.receipts.get(a, [])]
            settle(context, queue, delete=[*intake.dropped, *unkept], release=release)
            say_ignored(context, intake, result)
        cursor = TrackingState(
            groups=(*pending, *quiet),
            seen=frozenset(seen),
            receipts=tuple(receipts),
            swept_at=now if sweep and queue is not None else state.swept_at,
        ).to_cursor()
        context.log.info(tick_summary(result, len(candidates)))
        if not requests:
            return SensorResult(cursor=cursor, skip_reason="No ECS task to report")
        return SensorResult(run_requests=requests, cursor=cursor)

    return _completion_sensor
