"""Scenarios 6 to 8: waiting and sensor ticks on task state events, and batched log reads.

Each runs beside its polling counterpart in the same run, on the scripted endpoint with its
simulated EventBridge queue (``scripted_events``) and CloudWatch Logs (``scripted_logs``):

6. waiting for 10,000 tasks: DescribeTasks per task outside the sweep (the confirmations of
   the stops events told, batched), detection latency after the STOPPED event is queued and
   after the task stopped, SQS calls; against the same wait by polling.
7. a detached-sensor tick over 10,000 tracked tasks (groups of 10) in steady state (100 tasks
   ended since the last tick) and catching up with 5,000 ended at once; against a polling
   tick over the same tasks.
8. a step tailing 100 tasks: CloudWatch Logs calls per round, batched (FilterLogEvents per log
   group) against one GetLogEvents tail per stream, every line counted.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter
from typing import Any

from benchmarks.measures import Row, median, percentile
from benchmarks.scenarios import CLUSTER, RoundRecordingClient, our_resource, stop_schedule
from benchmarks.scripted_logs import GROUP, LINE_EVERY, PREFIX
from benchmarks.scripted_process import ScriptedEcsProcess
from ecs_pipelines.ecs.events import TaskEventQueue
from ecs_pipelines.ecs.launching.fanout import launch_each, launch_many
from ecs_pipelines.ecs.tasks import EcsTaskResult
from ecs_pipelines.ecs.tracking import TaskGroup, TrackingState, tick, tick_with_events
from ecs_pipelines.ecs.waiting import TaskWatcher

SQS_CALLS = ("ReceiveMessage", "DeleteMessageBatch", "ChangeMessageVisibilityBatch")


# --- 6: waiting ------------------------------------------------------------------------------


def _launch_staggered(endpoint: ScriptedEcsProcess, n: int, scale: float) -> tuple[Any, list[str]]:
    resource = our_resource(endpoint.endpoint_url)
    client = RoundRecordingClient(resource.ecs_client())
    # Scenario 1's schedule for n tasks, ten tasks (one RunTask) per stop time.
    stops = stop_schedule(n, time.time(), scale=scale)[::10]
    specs = [resource.plan_launch(environment={"BENCH_STOP_AT": repr(s)}, count=10) for s in stops]
    return client, launch_each(client, specs)


def wait_for(endpoint: ScriptedEcsProcess, n: int, *, events: bool, scale: float) -> dict[str, Any]:
    endpoint.reset(events=events)
    client, arns = _launch_staggered(endpoint, n, scale)
    done: dict[str, float] = {}
    stopped: dict[str, float] = {}

    def on_result(result: EcsTaskResult) -> None:
        done[result.task_arn] = time.time()
        if result.stopped_at is not None:
            stopped[result.task_arn] = result.stopped_at.timestamp()

    resource = our_resource(endpoint.endpoint_url)
    queue = TaskEventQueue(resource.sqs_client(), endpoint.queue_url) if events else None
    watcher = TaskWatcher(
        client, CLUSTER, settings=resource.watch_settings(), on_result=on_result, events=queue
    )
    results = watcher.wait(arns)
    stats = endpoint.stats()
    queued = {t["arn"]: t["queued_stop"] for t in endpoint.tasks() if t["queued_stop"]}
    describes = stats["calls"].get("DescribeTasks", 0)
    rounds = watcher.event_rounds
    sweep_calls = rounds.sweep_calls if rounds else 0
    confirm_calls = rounds.confirm_calls if rounds else 0
    after_queue = [done[a] - queued[a] for a in done if a in queued]
    after_stop = [done[a] - stopped[a] for a in done if a in stopped]
    return {
        "describe_per_task": (describes - sweep_calls) / n,
        "sweep_calls": sweep_calls,
        "sweeps": rounds.sweeps if rounds else 0,
        "confirm_calls": confirm_calls,
        "confirmed": rounds.confirmed if rounds else 0,
        "ignored": sum(watcher.ignored_events.values()),
        "after_queue_median": median(after_queue),
        "after_queue_p95": percentile(after_queue, 0.95),
        "after_stop_median": median(after_stop),
        "after_stop_p95": percentile(after_stop, 0.95),
        "sqs_per_task": sum(stats["calls"].get(c, 0) for c in SQS_CALLS) / n,
        "errors": sum(1 for r in results if not r.succeeded),
        "fell_back": watcher.fell_back,
    }


def wait_rows(endpoint: ScriptedEcsProcess, n: int, *, scale: float = 0.4) -> list[Row]:
    ours = wait_for(endpoint, n, events=True, scale=scale)
    polled = wait_for(endpoint, n, events=False, scale=scale)
    name = f"6. watch {n} tasks on task state events"
    label = "ecs_pipelines polling DescribeTasks (scenario 1's loop), same tasks"
    return [
        Row(
            name,
            "DescribeTasks / task, sweeps excluded",
            ours["describe_per_task"],
            polled["describe_per_task"],
            target="<= 0.01 (+ the sweep)",
            met=ours["describe_per_task"] <= 0.01 and ours["fell_back"] is None,
            note=f"ours: {ours['sweeps']} sweep(s), {ours['sweep_calls']} DescribeTasks calls; "
            f"{ours['confirm_calls']} calls confirmed the {ours['confirmed']} stops events told "
            f"({ours['confirmed'] / max(1, ours['confirm_calls']):.0f} a call); "
            f"{ours['ignored']} events ignored",
            theirs_label=label,
        ),
        Row(
            name,
            "detection latency after the event is queued, median",
            ours["after_queue_median"],
            None,
            unit="s",
            target="<= 0.1 s",
            met=(ours["after_queue_median"] or 1.0) <= 0.1,
            note=f"p95 {ours['after_queue_p95']:.3f} s; polling has no queue",
            theirs_label=label,
        ),
        Row(
            name,
            "detection latency after stop, median",
            ours["after_stop_median"],
            polled["after_stop_median"],
            unit="s",
            note=(
                f"p95: ours {ours['after_stop_p95']:.3f} s, polling "
                f"{polled['after_stop_p95']:.3f} s"
            ),
            theirs_label=label,
        ),
        Row(
            name,
            "SQS calls / task",
            ours["sqs_per_task"],
            0,
            note="ReceiveMessage (10 a call), DeleteMessageBatch, ChangeMessageVisibilityBatch",
            theirs_label=label,
        ),
        Row(
            name,
            "errors surfaced to the caller",
            ours["errors"],
            polled["errors"],
            theirs_label=label,
        ),
    ]


# --- 7: a sensor tick ------------------------------------------------------------------------


def _events_tick(
    client: Any, queue: TaskEventQueue, state: TrackingState, new: list[TaskGroup]
) -> tuple[TrackingState, float, int]:
    """One tick as the detached sensor makes it: cursor in, tick, deletes, cursor out; the
    next state, the tick's wall time and how many ended tasks it reported."""
    started = time.monotonic()
    state = TrackingState.from_cursor(state.to_cursor())
    done = tick_with_events(
        client,
        queue,
        state,
        new,
        budget_seconds=40,
        visibility_seconds=120,
        task_definition=lambda _: None,
    )
    kept, delete, _ = done.next_state()
    queue.delete(delete)
    kept = TrackingState.from_cursor(kept.to_cursor())
    ended = sum(len(c.group.task_arns) for c in done.result.completions)
    return kept, time.monotonic() - started, ended


def sensor_rows(endpoint: ScriptedEcsProcess, total: int) -> list[Row]:
    endpoint.reset(events=True)
    resource = our_resource(endpoint.endpoint_url)
    client = resource.task_client()
    queue = TaskEventQueue(resource.sqs_client(), endpoint.queue_url)

    spec = resource.plan_launch(environment={"BENCH_DURATION": "3600"})
    arns = launch_many(client, spec, total)
    # Tasks end on cue (``finish``), once the ticks have caught up, whatever that takes.
    steady, burst = arns[:100], arns[100 : 100 + total // 2]
    groups = [TaskGroup(CLUSTER, tuple(arns[i : i + 10]), str(i)) for i in range(0, total, 10)]
    state, _, _ = _events_tick(client, queue, TrackingState(), groups)  # tracked, swept
    while True:  # keep up with the launches' PENDING and RUNNING events
        state, _, _ = _events_tick(client, queue, state, [])
        if not endpoint_backlog(endpoint):
            break
    endpoint.finish(steady)
    until_stop_queued(endpoint, steady)
    before = client.calls["describe_tasks"]
    state, steady_wall, steady_ended = _events_tick(client, queue, state, [])
    steady_describes = client.calls["describe_tasks"] - before
    endpoint.finish(burst)
    until_stop_queued(endpoint, burst)
    polled = _polling_tick(client, state)
    catch_up, ticks, slowest = 0, 0, 0.0
    while catch_up < len(burst) and ticks < 100:
        state, wall, ended = _events_tick(client, queue, state, [])
        catch_up, ticks, slowest = catch_up + ended, ticks + 1, max(slowest, wall)
    name = f"7. sensor tick over {total} tracked tasks on task state events"
    label = "a polling tick over the same tasks (scenario 3's), run in the same state"
    return [
        Row(
            name,
            "tick wall time, 100 tasks ended since the last tick",
            steady_wall,
            polled["wall"],
            unit="s",
            target="<= 1 s (100 reported)",
            met=steady_wall <= 1.0 and steady_ended == len(steady),
            note=f"ours: {steady_ended} ended tasks reported, {steady_describes} DescribeTasks; "
            "cursor decode + receive + decide + cursor encode + deletes",
            theirs_label=label,
        ),
        Row(
            name,
            "DescribeTasks per steady tick",
            steady_describes,
            polled["calls"],
            target="<= 1 (100 ended: 0.01 / task)",
            met=steady_ended == len(steady) and steady_describes <= 1,
            note="ours: the confirmation of the stops events told, batched",
            theirs_label=label,
        ),
        Row(
            name,
            f"catching up with {len(burst)} ended at once: ticks, slowest tick",
            ticks,
            1,
            note=f"slowest tick {slowest:.2f} s (1,000 messages a tick at most); "
            f"{catch_up} reported; the polling tick took {polled['wall']:.2f} s",
            theirs_label=label,
        ),
    ]


def endpoint_backlog(endpoint: ScriptedEcsProcess) -> int:
    return int(endpoint.stats().get("queue_ready", 0))


def until_stop_queued(endpoint: ScriptedEcsProcess, arns: list[str]) -> None:
    """Waits (polling the endpoint's own table) until every task's STOPPED event is queued."""
    wanted = set(arns)
    while True:
        queued = {t["arn"] for t in endpoint.tasks() if t["queued_stop"]}
        if wanted <= queued:
            return
        time.sleep(0.2)


def _polling_tick(client: Any, state: TrackingState) -> dict[str, Any]:
    before = client.calls["describe_tasks"]
    started = time.monotonic()
    tick(client, state.groups, task_definition=lambda _: None)
    return {"wall": time.monotonic() - started, "calls": client.calls["describe_tasks"] - before}


# --- 8: logs ---------------------------------------------------------------------------------


def log_round_calls(endpoint: ScriptedEcsProcess, n: int, *, batched: bool) -> dict[str, Any]:
    endpoint.reset()
    resource = our_resource(endpoint.endpoint_url, task_definition="bench-logs")
    ecs = resource.ecs_client()
    definition = {
        "family": "bench-logs",
        "containerDefinitions": [
            {
                "name": "main",
                "image": "bench",
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": GROUP,
                        "awslogs-stream-prefix": PREFIX,
                        "awslogs-region": "us-east-1",
                    },
                },
            }
        ],
    }
    ecs.register_task_definition(**definition)
    client = resource.task_client()
    arns = launch_many(client, resource.plan_launch(environment={"BENCH_DURATION": "3"}), n)
    calls: Counter[str] = Counter()
    logs = resource.logs_client()
    logs.meta.events.register(
        "before-parameter-build.logs.*", lambda model, **_: calls.update([model.name])
    )
    lines: Counter[tuple[str, str]] = Counter()

    def on_lines(task: str, _container: str, new: list[str]) -> None:
        lines.update((task, line) for line in new)

    settings = dataclasses.replace(
        resource.watch_settings(), log_batch_from=5 if batched else 10**9
    )
    watcher = TaskWatcher(
        client, CLUSTER, settings=settings, logs_client=logs, on_log_lines=on_lines
    )
    watcher.wait(arns)
    complete = watcher.drain_logs()
    expected = n * (math.floor((3 - 0.1) / LINE_EVERY + 1e-9) + 1)
    return {
        "per_round": sum(calls.values()) / max(1, watcher.rounds),
        "lines": sum(lines.values()),
        "repeated": sum(c - 1 for c in lines.values() if c > 1),
        "expected": expected,
        "complete": complete,
        "throttled": calls.get("ThrottlingException", 0),
    }


def log_rows(endpoint: ScriptedEcsProcess, n: int = 100) -> list[Row]:
    ours = log_round_calls(endpoint, n, batched=True)
    tails = log_round_calls(endpoint, n, batched=False)
    name = f"8. a step tailing {n} tasks' logs"
    label = "one GetLogEvents tail per stream (this project before batching; Pipes' reader too)"
    exact = ours["lines"] == ours["expected"] and not ours["repeated"]
    return [
        Row(
            name,
            "CloudWatch Logs calls per round",
            ours["per_round"],
            tails["per_round"],
            target="1 per log group",
            met=ours["per_round"] <= 1.5,
            theirs_label=label,
            note="ours: FilterLogEvents with up to 100 stream names",
        ),
        Row(
            name,
            "lines delivered (expected, repeated)",
            ours["lines"],
            tails["lines"],
            target=f"{ours['expected']}, 0 repeated",
            met=exact,
            theirs_label=label,
            note=f"ours repeated {ours['repeated']}, theirs repeated {tails['repeated']}",
        ),
    ]
