"""The scenarios: each runs ours and PipesECSClient's on the same tasks, in this run.

Every task lives on the scripted endpoint (``scripted_ecs.py``): the embedded ECS runs a host
process per task, which cannot carry hundreds of concurrent tasks on a laptop, and it has no
token buckets. Call counts come from the endpoint (what reached "AWS"), times and CPU from
this process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.measures import Row, median, percentile
from benchmarks.pipes_side import run_pipes_tasks, run_task_params
from benchmarks.scripted_process import ScriptedEcsProcess
from ecs_pipelines.ecs.launching import LaunchPlan
from ecs_pipelines.ecs.launching.fanout import launch_each, launch_many
from ecs_pipelines.ecs.tasks import EcsTaskResult
from ecs_pipelines.ecs.tasks.client import DescribeResult, EcsTaskClient
from ecs_pipelines.ecs.usage import read_usage
from ecs_pipelines.ecs.waiting import TaskWatcher
from ecs_pipelines.integration.resource import EcsResource

CLUSTER = "bench"
RUN_TASK_BUCKET = (20.0, 20.0)  # the 20 RunTask calls/s token bucket (burst 20)


def our_resource(endpoint_url: str, **fields: Any) -> EcsResource:
    """EcsResource with its defaults (poll interval 1 s), pointed at the endpoint; ``fields``
    replace the bench's settings."""
    settings: dict[str, Any] = {
        "region_name": "us-east-1",
        "endpoint_url": endpoint_url,
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
        "cluster": CLUSTER,
        "task_definition": "bench",
        "container_name": "main",
        "launch_type": "FARGATE",
    }
    return EcsResource(**{**settings, **fields})


class RoundRecordingClient(EcsTaskClient):
    """EcsTaskClient that notes, per describe() (one watcher round), tasks and API calls."""

    def __init__(self, ecs_client: Any) -> None:
        super().__init__(ecs_client)
        self.rounds: list[tuple[int, int]] = []  # (tasks described, DescribeTasks calls)

    def describe(self, cluster: str, task_arns: Sequence[str]) -> DescribeResult:
        before = self.calls["describe_tasks"]
        result = super().describe(cluster, task_arns)
        self.rounds.append((len(task_arns), self.calls["describe_tasks"] - before))
        return result


def stop_schedule(n: int, t0: float, *, scale: float = 1.0) -> list[float]:
    """Staggered stop times: after a lead that covers launching, spread over >= 6 s."""
    lead = (3.0 + 0.006 * n) * scale
    spread = (6.0 + 0.006 * n) * scale
    return [t0 + lead + spread * i / n for i in range(n)]


def calls_total(stats: Mapping[str, Any]) -> int:
    return int(sum(stats["calls"].values()))


# --- scenario 1: watching N concurrent tasks ------------------------------------------------


def watch_ours(endpoint: ScriptedEcsProcess, n: int, *, scale: float = 1.0) -> dict[str, Any]:
    endpoint.reset()
    resource = our_resource(endpoint.endpoint_url)
    client = RoundRecordingClient(resource.ecs_client())
    latencies: list[float] = []

    def on_result(result: EcsTaskResult) -> None:
        if result.stopped_at is not None:
            latencies.append(time.time() - result.stopped_at.timestamp())

    cpu = time.process_time()
    stops = stop_schedule(n, time.time(), scale=scale)
    specs = [resource.plan_launch(environment={"BENCH_STOP_AT": repr(stop)}) for stop in stops]
    arns = launch_each(client, specs)
    watcher = TaskWatcher(
        client,
        CLUSTER,
        settings=resource.watch_settings(),
        on_result=on_result,
    )
    results = watcher.wait(arns)
    # What a step then does once for its tasks: read what they used (Container Insights).
    before = endpoint.stats()["calls"].get("FilterLogEvents", 0)
    ended = [r.stopped_at for r in results if r.stopped_at is not None]
    if ended:
        read_usage(
            resource.logs_client(),
            CLUSTER,
            [r.task_id for r in results],
            start=min(r.started_at or r.stopped_at for r in results if r.stopped_at),
            end=max(ended),
        )
    cpu = time.process_time() - cpu
    stats = endpoint.stats()
    usage_reads = stats["calls"].get("FilterLogEvents", 0) - before
    full = [calls / tasks for tasks, calls in client.rounds if tasks == n]
    return {
        "usage_reads_per_task": usage_reads / n,
        "describe_full_round": full[0] if full else None,
        "describe_whole_run": stats["calls"].get("DescribeTasks", 0) / stats["task_describes"],
        "api_calls_per_task": calls_total(stats) / n,
        "latency_median": median(latencies),
        "latency_p95": percentile(latencies, 0.95),
        "cpu_per_task": cpu / n,
        "errors": sum(1 for r in results if not r.succeeded),
        "rounds": watcher.rounds,
    }


def watch_theirs(endpoint: ScriptedEcsProcess, n: int, *, scale: float = 1.0) -> dict[str, Any]:
    endpoint.reset()
    stops = stop_schedule(n, time.time(), scale=scale)
    params = [
        run_task_params(CLUSTER, {"BENCH_STOP_AT": repr(stop)}, bench_id=i)
        for i, stop in enumerate(stops)
    ]
    run = run_pipes_tasks(endpoint.endpoint_url, params)
    stats = endpoint.stats()
    stop_at = {int(t["tags"]["bench-id"]): t["stop_at"] for t in endpoint.tasks()}
    ok = [o for o in run.outcomes if o.error is None]
    latencies = [o.finished - stop_at[o.index] for o in ok if o.index in stop_at]
    return {
        "describe_full_round": stats["calls"].get("DescribeTasks", 0) / stats["task_describes"],
        "describe_whole_run": stats["calls"].get("DescribeTasks", 0) / stats["task_describes"],
        "api_calls_per_task": calls_total(stats) / n,
        "latency_median": median(latencies),
        "latency_p95": percentile(latencies, 0.95),
        "cpu_per_task": run.cpu_seconds / n,
        "errors": len(run.outcomes) - len(ok),
        "first_error": next((o.error for o in run.outcomes if o.error), None),
    }


def watch_rows(endpoint: ScriptedEcsProcess, sizes: Sequence[int]) -> list[Row]:
    rows: list[Row] = []
    for n in sizes:
        ours = watch_ours(endpoint, n)
        theirs = watch_theirs(endpoint, n)
        name = f"1. watch {n} task{'s' if n > 1 else ''}"
        at_1000 = n >= 1000
        rows += [
            Row(
                name,
                "DescribeTasks / task / round (all N tracked)",
                ours["describe_full_round"],
                theirs["describe_full_round"],
                target="<= 0.01 at 1000" if at_1000 else "",
                met=(ours["describe_full_round"] or 1.0) <= 0.01 if at_1000 else None,
                note="theirs: every waiter call names one task",
            ),
            Row(
                name,
                "DescribeTasks / task-poll (whole run)",
                ours["describe_whole_run"],
                theirs["describe_whole_run"],
                note="ours rises as tasks finish and the last batch is partial",
            ),
            Row(
                name,
                "API calls / task (all APIs)",
                ours["api_calls_per_task"],
                theirs["api_calls_per_task"],
            ),
            Row(
                name,
                "usage reads / task (FilterLogEvents, after the stops)",
                ours["usage_reads_per_task"],
                None,
                target="1 per step",
                met=ours["usage_reads_per_task"] * n == 1,
                note="one Container Insights read for all the step's tasks, none per round; "
                "theirs reports no use",
            ),
            Row(
                name,
                "detection latency, median",
                ours["latency_median"],
                theirs["latency_median"],
                unit="s",
                target="<= 1 s",
                met=ours["latency_median"] is not None and ours["latency_median"] <= 1.0,
            ),
            Row(
                name, "detection latency, p95", ours["latency_p95"], theirs["latency_p95"], unit="s"
            ),
            Row(
                name,
                "CPU of this process / task",
                ours["cpu_per_task"],
                theirs["cpu_per_task"],
                unit="s",
                note="launch + watch; theirs includes the Pipes session per task",
            ),
            Row(
                name,
                "errors surfaced to the caller",
                ours["errors"],
                theirs["errors"],
                note=theirs.get("first_error") or "",
            ),
        ]
    return rows


# --- scenario 2: fan-out ---------------------------------------------------------------------


def bench_spec(resource: EcsResource, env: dict[str, str]) -> LaunchPlan:
    return resource.plan_launch(environment=env)


def fanout_ours(
    endpoint: ScriptedEcsProcess, total: int, *, distinct: bool, calls_per_second: float | None
) -> dict[str, Any]:
    endpoint.reset(buckets={"RunTask": RUN_TASK_BUCKET})
    resource = our_resource(endpoint.endpoint_url)
    client = resource.task_client()
    error: str | None = None
    started = time.monotonic()
    try:
        if distinct:
            specs = [
                bench_spec(resource, {"BENCH_DURATION": "0.5", "N": str(i)}) for i in range(total)
            ]
            arns = launch_each(client, specs, calls_per_second=calls_per_second)
        else:
            spec = bench_spec(resource, {"BENCH_DURATION": "0.5"})
            arns = launch_many(client, spec, total, calls_per_second=calls_per_second)
    except Exception as caught:
        arns, error = [], f"{type(caught).__name__}: {caught}"
    wall = time.monotonic() - started
    stats = endpoint.stats()
    return {
        "run_task_calls": stats["calls"].get("RunTask", 0),
        "throttled": stats["throttled"].get("RunTask", 0),
        "launched": len(arns),
        "wall": wall,
        "errors": 0 if error is None else 1,
        "error": error,
    }


def fanout_theirs(endpoint: ScriptedEcsProcess, total: int, *, distinct: bool) -> dict[str, Any]:
    endpoint.reset(buckets={"RunTask": RUN_TASK_BUCKET})
    params = [
        run_task_params(
            CLUSTER, {"BENCH_DURATION": "0.5", **({"N": str(i)} if distinct else {})}, bench_id=i
        )
        for i in range(total)
    ]
    started = time.time()
    run = run_pipes_tasks(endpoint.endpoint_url, params)
    stats = endpoint.stats()
    errors = [o.error for o in run.outcomes if o.error]
    last = stats["last_run_task"]
    return {
        "run_task_calls": stats["calls"].get("RunTask", 0),
        "throttled": stats["throttled"].get("RunTask", 0),
        "launched": stats["tasks"],
        "wall": (last - started) if last else None,
        "errors": len(errors),
        "error": errors[0] if errors else None,
    }


def fanout_rows(endpoint: ScriptedEcsProcess, total: int) -> list[Row]:
    rows: list[Row] = []
    for distinct in (False, True):
        kind = "distinct" if distinct else "identical"
        name = f"2. fan-out {total} {kind} (RunTask bucket 20/s)"
        paced = fanout_ours(endpoint, total, distinct=distinct, calls_per_second=20.0)
        unpaced = fanout_ours(endpoint, total, distinct=distinct, calls_per_second=None)
        theirs = fanout_theirs(endpoint, total, distinct=distinct)
        ideal = total if distinct else math.ceil(total / 10)
        rows += [
            Row(
                name,
                "RunTask calls (incl. throttled)",
                paced["run_task_calls"],
                theirs["run_task_calls"],
                target="" if distinct else f"<= {ideal}",
                met=None if distinct else paced["run_task_calls"] <= ideal,
                note=f"ours unpaced: {unpaced['run_task_calls']} calls",
            ),
            Row(
                name,
                "RunTask calls throttled",
                paced["throttled"],
                theirs["throttled"],
                note=f"ours unpaced: {unpaced['throttled']} throttled, retried",
            ),
            Row(
                name,
                "tasks launched",
                paced["launched"],
                theirs["launched"],
                note=f"ours unpaced: {unpaced['launched']}",
            ),
            Row(
                name,
                "wall time to last task launched",
                paced["wall"],
                theirs["wall"],
                unit="s",
                note=(
                    f"ours unpaced: {unpaced['wall']:.1f} s; theirs: to the last of the "
                    f"{theirs['launched']} tasks it did launch"
                ),
            ),
            Row(
                name,
                "throttling errors surfaced to the caller",
                paced["errors"] + unpaced["errors"],
                theirs["errors"],
                target="0",
                met=paced["errors"] + unpaced["errors"] == 0,
                note=(theirs["error"] or "") if theirs["errors"] else "",
            ),
        ]
    return rows
