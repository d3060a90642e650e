"""The sensor of tasks launched elsewhere (EventBridge, other systems, the console).

``ecs_task_completion_sensor`` watches a cluster, filtered by family, startedBy and tags, and
requests a run of a target job for each task that finishes (run_key = task ARN). It returns
its run requests in the SensorResult that advances its cursor (``ecs.tracking``'s), so a
daemon restart neither loses nor repeats a completion. What a tick describes, what it reports
and what its cursor keeps is ``ecs.tracking``'s decision (``TickDecision``, a ``ClusterWatch``);
this sensor turns completions into run requests.

How it finds tasks:

- polling: each tick lists the cluster's RUNNING and STOPPED tasks (ListTasks) and describes
  those it must decide; a tracked task still listed RUNNING is not described;
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
from dataclasses import replace
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

from ecs_pipelines.ecs.common import tags_of
from ecs_pipelines.ecs.tasks import EcsTaskResult
from ecs_pipelines.ecs.tracking import (
    DEFAULT_BUDGET_SECONDS,
    DEFAULT_SWEEP_SECONDS,
    ClusterWatch,
    TickRules,
    TrackingState,
    run_tick,
)
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.redaction import Redaction
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.sensor_task_events import (
    say_events,
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
    rules = TickRules(
        accept=_tags_match(tags) if tags else None,
        include_history=include_stopped_before_start,
        sweep_seconds=task_events_sweep_seconds,
    )

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
        ticked = run_tick(
            client,
            replace(rules, watch=ClusterWatch(where, family, started_by)),
            state,
            budget_seconds=remaining(started, budget_seconds),
            queue=queue,
            visibility_seconds=visibility_seconds(minimum_interval_seconds),
            first=context.cursor is None,
            task_definition=definition_lookup(client),
        )
        say_events(context, ticked)
        requests: list[RunRequest] = []
        secrets = list(ecs.secret_environment.values())
        for completion in ticked.result.completions:
            redaction = Redaction(secrets).with_values(completion.secret_values)
            for task in completion.results:
                request = completion_run_request(
                    task, where, job, failure_job, run_config_fn, redaction
                )
                if request is not None:
                    requests.append(request)
        kept, delete, release = ticked.next_state()
        if queue is not None:
            settle(context, queue, delete=delete, release=release)
        context.log.info(tick_summary(ticked.result, ticked.decision.describing))
        cursor = kept.to_cursor()
        if not requests:
            return SensorResult(cursor=cursor, skip_reason="No ECS task to report")
        return SensorResult(run_requests=requests, cursor=cursor)

    return _completion_sensor
