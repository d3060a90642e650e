"""Scenario 3: one completion-sensor tick over many tracked tasks, ours beside one
DescribeTasks per task (what a per-task waiter makes; PipesECSClient has no sensor)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.measures import Row
from benchmarks.pipes_side import default_ecs_client
from benchmarks.scenarios import CLUSTER, bench_spec, calls_total, our_resource
from benchmarks.scripted_process import ScriptedEcsProcess
from ecs_pipelines.ecs.launching import launch_many
from ecs_pipelines.ecs.tasks import decide, essential_containers


def launch_tracked(endpoint: ScriptedEcsProcess, total: int) -> list[str]:
    """``total`` tasks, half stopped by the time of the tick, half still running."""
    endpoint.reset()
    resource = our_resource(endpoint.endpoint_url)
    client = resource.task_client()
    half = total // 2
    done = bench_spec(resource, {"BENCH_DURATION": "0.1"})
    running = bench_spec(resource, {"BENCH_DURATION": "3600"})
    return launch_many(client, done, half) + launch_many(client, running, total - half)


def tick_ours(endpoint: ScriptedEcsProcess, arns: Sequence[str]) -> dict[str, Any]:
    """One completion-sensor tick over ``arns``: ``ecs/tracking.py``'s tick when present."""
    try:
        from ecs_pipelines.ecs import tracking
    except ImportError:
        return {**_round_tick(endpoint, arns), "how": "one TaskWatcher-style round"}
    groups = tuple(
        tracking.TaskGroup(cluster=CLUSTER, task_arns=tuple(arns[i : i + 10]), label=str(i))
        for i in range(0, len(arns), 10)
    )
    cursor = tracking.TrackingState(groups=groups).to_cursor()
    client = our_resource(endpoint.endpoint_url).task_client()
    before = calls_total(endpoint.stats())
    started, cpu = time.monotonic(), time.process_time()
    state = tracking.TrackingState.from_cursor(cursor)
    result = tracking.tick(client, state.groups)
    next_cursor = tracking.TrackingState(groups=result.pending).to_cursor()
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    finished = sum(len(c.group.task_arns) for c in result.completions)
    return {
        "wall": wall,
        "cpu": cpu,
        "calls": calls_total(endpoint.stats()) - before,
        "finished": finished,
        "how": (
            f"ecs/tracking.py tick over {len(groups)} groups of 10 (cursor decode + tick + "
            f"encode; cursor {len(cursor)} -> {len(next_cursor)} chars"
            f"{', stopped early' if result.stopped_early else ''})"
        ),
    }


def _round_tick(endpoint: ScriptedEcsProcess, arns: Sequence[str]) -> dict[str, Any]:
    """Describe every tracked task (batches of 100) and decide each one's outcome."""
    resource = our_resource(endpoint.endpoint_url)
    client = resource.task_client()
    before = calls_total(endpoint.stats())
    started, cpu = time.monotonic(), time.process_time()
    described = client.describe(CLUSTER, arns)
    definitions: dict[str, frozenset[str] | None] = {}
    finished = 0
    for task in described.tasks.values():
        td = task["taskDefinitionArn"]
        if td not in definitions:
            definitions[td] = essential_containers(client.task_definition(td))
        finished += decide(task, definitions[td]).outcome.value != "running"
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    return {
        "wall": wall,
        "cpu": cpu,
        "calls": calls_total(endpoint.stats()) - before,
        "finished": finished,
    }


def tick_per_task(endpoint: ScriptedEcsProcess, arns: Sequence[str]) -> dict[str, Any]:
    """The waiter's way: one DescribeTasks per tracked task (10 threads, botocore's pool size)."""
    ecs = default_ecs_client(endpoint.endpoint_url)
    before = calls_total(endpoint.stats())
    started, cpu = time.monotonic(), time.process_time()

    def one(arn: str) -> bool:
        task = ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
        return bool(task["lastStatus"] == "STOPPED")

    with ThreadPoolExecutor(max_workers=10) as pool:
        finished = sum(pool.map(one, arns))
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    return {
        "wall": wall,
        "cpu": cpu,
        "calls": calls_total(endpoint.stats()) - before,
        "finished": finished,
    }


def tick_rows(endpoint: ScriptedEcsProcess, total: int) -> list[Row]:
    arns = launch_tracked(endpoint, total)
    ours = tick_ours(endpoint, arns)
    theirs = tick_per_task(endpoint, arns)
    name = f"3. sensor tick over {total} tracked tasks"
    label = "one DescribeTasks per task (waiter style), 10 threads"
    note = f"ours: {ours['how']}"
    return [
        Row(
            name,
            "tick wall time",
            ours["wall"],
            theirs["wall"],
            unit="s",
            target="< 10 s",
            met=ours["wall"] < 10.0,
            note=note,
            theirs_label=label,
        ),
        Row(name, "API calls per tick", ours["calls"], theirs["calls"], theirs_label=label),
        Row(
            name,
            "CPU of this process per tick",
            ours["cpu"],
            theirs["cpu"],
            unit="s",
            theirs_label=label,
        ),
        Row(
            name,
            "tasks seen finished",
            ours["finished"],
            theirs["finished"],
            theirs_label=label,
            note=f"{total // 2} had stopped",
        ),
    ]
