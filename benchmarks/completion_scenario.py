"""Scenario 9: the completion sensor (tasks launched elsewhere) on task state events.

10,000 tasks run in the cluster; 100 of them end. One tick of ``ecs_task_completion_sensor``
given the endpoint's event queue is timed, with the ListTasks and DescribeTasks it makes,
against one tick of the same sensor polling (no queue), each from its own cursor in the same
state. Both are evaluated as Dagster does (``evaluate_tick`` on a sensor context: cursor in,
run requests and cursor out).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from dagster import SensorDefinition, build_sensor_context, job

from benchmarks.event_scenarios import endpoint_backlog, until_stop_queued
from benchmarks.measures import Row
from benchmarks.scenarios import our_resource
from benchmarks.scripted_process import ScriptedEcsProcess
from ecs_pipelines.ecs.launching import launch_many
from ecs_pipelines.integration.completion_sensor import ecs_task_completion_sensor
from ecs_pipelines.integration.ops import ecs_completion_report_op
from ecs_pipelines.integration.resource import EcsResource

LISTING_CALLS = ("ListTasks", "DescribeTasks")


@job
def report_completions() -> None:
    ecs_completion_report_op()


def _tick(
    endpoint: ScriptedEcsProcess, sensor: SensorDefinition, ecs: EcsResource, cursor: str | None
) -> tuple[str | None, dict[str, Any]]:
    """One evaluation: its cursor, wall time, run requests and ECS calls."""
    before = Counter(endpoint.stats()["calls"])
    started = time.monotonic()
    with build_sensor_context(resources={"ecs": ecs}, cursor=cursor) as context:
        data = sensor.evaluate_tick(context)
    wall = time.monotonic() - started
    calls = Counter(endpoint.stats()["calls"]) - before
    measured = {"wall": wall, "requests": len(data.run_requests or [])}
    measured.update({name: calls[name] for name in LISTING_CALLS})
    return data.cursor, measured


def completion_rows(endpoint: ScriptedEcsProcess, total: int) -> list[Row]:
    endpoint.reset(events=True)
    ecs = our_resource(endpoint.endpoint_url)
    client = ecs.task_client()

    evented = ecs_task_completion_sensor(
        "bench_evented", job=report_completions, task_events_queue_url=endpoint.queue_url
    )
    polled = ecs_task_completion_sensor("bench_polled", job=report_completions)
    evented_cursor, _ = _tick(endpoint, evented, ecs, None)
    polled_cursor, _ = _tick(endpoint, polled, ecs, None)
    spec = ecs.plan_launch(environment={"BENCH_DURATION": "3600"})
    arns = launch_many(client, spec, total)
    ending = arns[:100]  # they end on cue (``finish``), once the ticks have caught up
    while True:  # the evented sensor finds the tasks by their PENDING and RUNNING events
        evented_cursor, _ = _tick(endpoint, evented, ecs, evented_cursor)
        if not endpoint_backlog(endpoint):
            break
    polled_cursor, _ = _tick(endpoint, polled, ecs, polled_cursor)  # lists them: tracked
    endpoint.finish(ending)
    until_stop_queued(endpoint, ending)
    _, ours = _tick(endpoint, evented, ecs, evented_cursor)
    _, theirs = _tick(endpoint, polled, ecs, polled_cursor)
    name = f"9. completion sensor tick, {total} tasks in the cluster, on task state events"
    label = "the same sensor polling (ListTasks + DescribeTasks), same tasks, same run"
    return [
        Row(
            name,
            "tick wall time, 100 tasks ended since the last tick",
            ours["wall"],
            theirs["wall"],
            unit="s",
            target="<= 1 s (100 requested)",
            met=ours["wall"] <= 1.0 and ours["requests"] == len(ending),
            note=f"ours: {ours['requests']} runs requested (theirs {theirs['requests']}); "
            "evaluate_tick with cursor in and out",
            theirs_label=label,
        ),
        Row(
            name,
            "ListTasks + DescribeTasks per tick between sweeps",
            ours["ListTasks"] + ours["DescribeTasks"],
            theirs["ListTasks"] + theirs["DescribeTasks"],
            target="<= 1 (100 ended: 0.01 / task)",
            met=ours["requests"] == len(ending)
            and ours["ListTasks"] == 0
            and ours["DescribeTasks"] <= 1,
            note=f"ours: {ours['ListTasks']} ListTasks, {ours['DescribeTasks']} DescribeTasks "
            f"(the confirmation of the stops events told); theirs: {theirs['ListTasks']} "
            f"ListTasks, {theirs['DescribeTasks']} DescribeTasks",
            theirs_label=label,
        ),
    ]
