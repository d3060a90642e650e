"""Scenario 10: launches while Fargate has no capacity for a while, ours beside dagster-aws's.

The scripted endpoint answers a share of RunTask calls with Fargate's "Capacity is unavailable
at this time..." for a window after the reset (``no_capacity``), then has room again. Both
sides launch the same N single tasks from the same number of threads, each launch naming
itself in ``startedBy`` so that a launch that started two tasks shows as a duplicate.

Ours: ``EcsResource.run_task`` with its defaults: a refusal that passes is retried with a new
token per attempt, full-jitter pauses (0.5 s base, 20 s cap) within capacity_retry_seconds
(300 s). Theirs: dagster-aws's ``run_ecs_task`` (a fresh uuid clientToken per call; no
capacity raises ``RetryableEcsException``) inside Dagster's ``backoff`` with the retries its
``EcsRunLauncher`` gives it (``DEFAULT_RUN_TASK_RETRIES``: 5, delays 0.1 s doubling, no
jitter); a launch still refused after them is an error surfaced to the caller.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dagster._utils.backoff import backoff
from dagster_aws.ecs.launcher import DEFAULT_RUN_TASK_RETRIES
from dagster_aws.ecs.utils import RetryableEcsException, run_ecs_task

from benchmarks.measures import Row
from benchmarks.pipes_side import default_ecs_client
from benchmarks.scenarios import CLUSTER, our_resource
from benchmarks.scripted_process import ScriptedEcsProcess

THREADS = 10
WINDOW = {"rate": 0.3, "seconds": 20.0, "seed": 7}
ENVIRONMENT = {"BENCH_DURATION": "0.5"}


def launch_id(index: int) -> str:
    return f"bench-launch-{index}"


def launch_ours(endpoint: ScriptedEcsProcess, total: int) -> dict[str, Any]:
    endpoint.reset(no_capacity=WINDOW)
    resource = our_resource(endpoint.endpoint_url)

    def one(index: int) -> None:
        resource.run_task(environment=ENVIRONMENT, started_by=launch_id(index))

    return _measure(endpoint, total, one)


def launch_theirs(endpoint: ScriptedEcsProcess, total: int) -> dict[str, Any]:
    endpoint.reset(no_capacity=WINDOW)
    ecs = default_ecs_client(endpoint.endpoint_url)
    overrides = {
        "containerOverrides": [
            {
                "name": "main",
                "environment": [{"name": k, "value": v} for k, v in ENVIRONMENT.items()],
            }
        ]
    }

    def one(index: int) -> None:
        kwargs = {
            "cluster": CLUSTER,
            "taskDefinition": "bench",
            "launchType": "FARGATE",
            "overrides": overrides,
            "startedBy": launch_id(index),
        }
        backoff(
            run_ecs_task,
            retry_on=(RetryableEcsException,),
            args=(ecs, kwargs),
            max_retries=DEFAULT_RUN_TASK_RETRIES,
        )

    return _measure(endpoint, total, one)


def _measure(endpoint: ScriptedEcsProcess, total: int, one: Any) -> dict[str, Any]:
    errors: list[str] = []

    def guarded(index: int) -> None:
        try:
            one(index)
        except Exception as caught:
            errors.append(f"{type(caught).__name__}: {str(caught).splitlines()[0]}")

    started = time.time()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(guarded, range(total)))
    stats = endpoint.stats()
    per_launch = Counter(t["started_by"] for t in endpoint.tasks())
    last = stats["last_run_task"]
    return {
        "launched": len(per_launch),
        "duplicates": sum(n - 1 for n in per_launch.values()),
        "run_task_calls": stats["calls"].get("RunTask", 0),
        "refused": stats["refused"],
        "wall": (last - started) if last else None,
        "errors": len(errors),
        "error": errors[0] if errors else "",
    }


def capacity_rows(endpoint: ScriptedEcsProcess, total: int) -> list[Row]:
    ours = launch_ours(endpoint, total)
    theirs = launch_theirs(endpoint, total)
    name = (
        f"10. {total} launches, {WINDOW['rate']:.0%} of RunTask without capacity for "
        f"{WINDOW['seconds']:g} s"
    )
    label = "dagster-aws run_ecs_task + RetryableEcsException under Dagster's backoff"
    refused = f"no-capacity answers: ours {ours['refused']}, theirs {theirs['refused']}"
    return [
        Row(
            name,
            "tasks launched",
            ours["launched"],
            theirs["launched"],
            target=f"{total}",
            met=ours["launched"] == total,
            theirs_label=label,
        ),
        Row(
            name,
            "duplicate tasks",
            ours["duplicates"],
            theirs["duplicates"],
            target="0",
            met=ours["duplicates"] == 0,
            theirs_label=label,
        ),
        Row(
            name,
            "RunTask calls",
            ours["run_task_calls"],
            theirs["run_task_calls"],
            note=refused,
            theirs_label=label,
        ),
        Row(
            name,
            "wall time to the last launch",
            ours["wall"],
            theirs["wall"],
            unit="s",
            note=f"{THREADS} threads each side; the window ends {WINDOW['seconds']:g} s in",
            theirs_label=label,
        ),
        Row(
            name,
            "launches given up (errors surfaced)",
            ours["errors"],
            theirs["errors"],
            target="0",
            met=ours["errors"] == 0,
            note=theirs["error"] or ours["error"],
            theirs_label=label,
        ),
    ]
