"""The sensor of detached assets: it reports the end of their ECS tasks, so that no Dagster
worker waits on a long task.

``ecs_detached_asset_sensor`` reads the launch records the assets' steps left, tracks the
tasks, and when they end materialises the assets (same metadata as a blocking
materialisation) or fails their ``ecs_task_succeeded`` check with stopCode, reason, exit codes
and the log tail. These events go into the run that launched the tasks
(``completion_store.CompletionRecorder`` says why), so a partition materialised again, by a
rerun or a backfill, is reported again.

Its state lives in the cursor (``ecs.tracking``'s), so a daemon restart neither loses nor
repeats a completion: each event is stored only if it is not stored yet, so a tick that dies
before its cursor is saved stores nothing twice when replayed. What a tick describes, which
launches finished and what its cursor keeps is ``ecs.tracking``'s decision (``TickDecision``,
named groups); Dagster events are in ``sensor_events``. Given its own
``task_events_queue_url``, the sensor reads task ends from their state change events
(``sensor_task_events``). Tasks launched elsewhere: ``completion_sensor``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from dagster import (
    AssetsDefinition,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from ecs_pipelines.ecs.tracking import (
    DEFAULT_BUDGET_SECONDS,
    DEFAULT_SWEEP_SECONDS,
    GroupCompletion,
    TaskGroup,
    TickRules,
    TrackingState,
    run_tick,
)
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.completion_store import CompletionRecorder
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.sensor_events import completion_asset_events, read_launches
from ecs_pipelines.integration.sensor_task_events import (
    say_events,
    sensor_queue,
    settle,
    visibility_seconds,
)
from ecs_pipelines.integration.sensor_ticks import (
    definition_lookup,
    remaining,
    reported_line,
    reported_reason,
    tick_summary,
)
from ecs_pipelines.integration.step_usage import tick_usage
from ecs_pipelines.integration.task_naming import WATCHED_ASSETS_TAG

# Storing what a tick found gets this long past the tick's budget (at least one launch is
# stored per tick); the default budget plus this stays 10 s under Dagster's 60 s limit.
RECORDING_SECONDS = 10.0
SIBLING_STOP_REASON = "Sibling task {task_id} failed"


def _stop_unfinished(
    context: SensorEvaluationContext, ecs: EcsResource, completion: GroupCompletion
) -> None:
    """A failed task fails its launch, as in a blocking step: its siblings are stopped (the
    one best-effort stop: in the group's cluster, never raising)."""
    if not completion.unfinished:
        return
    failed = completion.failed[0].task_id
    report = ecs.stop_tasks(
        completion.unfinished,
        reason=SIBLING_STOP_REASON.format(task_id=failed),
        cluster=completion.group.cluster,
    )
    for problem in report.failed.values():
        context.log.warning(problem)


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
    rules = TickRules(sweep_seconds=task_events_sweep_seconds)

    @sensor(
        name=name or f"{keys[0].to_python_identifier()}_ecs_completion",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description=description
        or "Materialises detached ECS asset(s) when their task ends: "
        + ", ".join(k.to_user_string() for k in keys),
        tags={WATCHED_ASSETS_TAG: " ".join(k.to_user_string() for k in keys)},
        # The assets it materialises: their pages list it among their automations. It
        # requests no run of them; it reports their tasks' ends.
        asset_selection=keys,
    )
    def _detached_sensor(context: SensorEvaluationContext) -> SensorResult:
        started = time.monotonic()
        state = TrackingState.from_cursor(context.cursor)
        ecs: EcsResource = getattr(context.resources, resource_key)
        found, after = read_launches(context.instance, keys, state.after, records_per_tick)
        client = ecs.task_client()
        lookup = definition_lookup(client)
        queue = sensor_queue(ecs, task_events_queue_url)
        ticked = run_tick(
            client,
            rules,
            state,
            budget_seconds=remaining(started, budget_seconds),
            queue=queue,
            visibility_seconds=visibility_seconds(minimum_interval_seconds),
            new=found,
            task_definition=lookup,
        )
        say_events(context, ticked)
        result = ticked.result
        recorder = CompletionRecorder(context.instance, result.completions)
        unrecorded: list[TaskGroup] = []
        reported: list[str] = []
        # What the finished tasks cost and used: one read per cluster for the whole tick.
        succeeded = [c for c in result.completions if c.succeeded]
        try:
            figures = tick_usage(ecs, [(c.group.cluster, c.results) for c in succeeded])
        except Exception as error:  # a report, never a reason to hold the tick back
            context.log.warning(f"What the finished tasks cost and used is not known: {error}")
            figures = [{} for _ in succeeded]
        usage = dict(zip((id(c) for c in succeeded), figures, strict=True))
        for completion in result.completions:
            if reported and not remaining(started, budget_seconds + RECORDING_SECONDS):
                unrecorded.append(completion.group)  # out of time: first in line next tick
                continue
            events = completion_asset_events(
                completion,
                ecs,
                lookup,
                checked,
                # Log tails use what the tick left of the budget, no more.
                fetch_tails=lambda: remaining(started, budget_seconds) > 0,
                usage=usage.get(id(completion)),
            )
            try:
                recorder.record(completion, events)
                reported.append(reported_line(completion))
                context.log.info(f"Reported: {reported[-1]}")
            except Exception as error:  # kept for the next tick; never blocks those behind
                arns = ", ".join(completion.group.task_arns)
                context.log.error(f"Could not store the end of ECS task(s) {arns}: {error}")
                unrecorded.append(completion.group)
            _stop_unfinished(context, ecs, completion)
        context.log.info(
            tick_summary(result, ticked.decision.describing) + f"; {len(reported)} reported"
        )
        kept, delete, release = ticked.next_state(unrecorded=unrecorded, after=after)
        if queue is not None:
            settle(context, queue, delete=delete, release=release)
        cursor = kept.to_cursor()
        if not reported:
            return SensorResult(cursor=cursor, skip_reason="No ECS task finished")
        return SensorResult(cursor=cursor, skip_reason=reported_reason(reported))

    return _detached_sensor
