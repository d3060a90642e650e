"""dagster-aws's PipesECSClient, as a user runs it for many tasks: one ``run()`` per task, in
N threads of one op, with its defaults (``tasks_stopped`` waiter, Delay 6 s).

``run()`` needs a real op context (it reads the Dagster run), so the threads run inside an op
of a job executed in process. The message reader reads nothing: the scripted endpoint has no
CloudWatch Logs, and reading messages is not what is compared here.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from dagster import job, op
from dagster._core.pipes.client import PipesMessageReader, PipesParams
from dagster._utils.warnings import PreviewWarning
from dagster_aws.pipes import PipesECSClient

QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class NoMessagesReader(PipesMessageReader):
    """A Pipes message reader that reads nothing (no CloudWatch Logs on the scripted endpoint)."""

    @contextmanager
    def read_messages(self, handler: Any) -> Iterator[PipesParams]:
        yield {}

    def no_messages_debug_text(self) -> str:
        return "benchmark: messages are not read"


@dataclass
class PipesRun:
    """Every outcome, and the CPU seconds this process spent while the threads ran."""

    outcomes: list[PipesOutcome]
    cpu_seconds: float
    wall_seconds: float


@dataclass
class PipesOutcome:
    """One ``PipesECSClient.run()``: when it returned, and the error it raised, if any."""

    index: int
    started: float
    finished: float
    error: str | None = None


def default_ecs_client(endpoint_url: str) -> Any:
    """A boto3 ECS client as a PipesECSClient user makes it: botocore's default config."""
    return boto3.client(
        "ecs",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def run_pipes_tasks(
    endpoint_url: str,
    params: Sequence[dict[str, Any]],
    *,
    ecs_client: Any = None,
    on_start: Callable[[], None] | None = None,
    on_end: Callable[[], None] | None = None,
) -> PipesRun:
    """Runs ``PipesECSClient.run(run_task_params=p)`` for every p, each in its own thread."""
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # "connection pool is full" warnings
    warnings.filterwarnings("ignore", category=PreviewWarning)  # expected_writer_count
    client = ecs_client or default_ecs_client(endpoint_url)
    outcomes: list[PipesOutcome] = []
    spent: dict[str, float] = {}

    @op
    def pipes_fan_out(context):  # type: ignore[no-untyped-def]  # dagster reads the hint
        def one(index: int) -> PipesOutcome:
            started = time.time()
            pipes = PipesECSClient(client=client, message_reader=NoMessagesReader())
            try:
                pipes.run(context=context, run_task_params=dict(params[index])).get_results()
            except Exception as error:
                return PipesOutcome(index, started, time.time(), f"{type(error).__name__}: {error}")
            return PipesOutcome(index, started, time.time())

        if on_start:
            on_start()
        cpu, wall = time.process_time(), time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, len(params))) as pool:
            outcomes.extend(pool.map(one, range(len(params))))
        if on_end:
            on_end()
        spent["cpu"] = time.process_time() - cpu
        spent["wall"] = time.monotonic() - wall

    @job
    def pipes_benchmark() -> None:
        pipes_fan_out()

    pipes_benchmark.execute_in_process(run_config=QUIET_RUN_CONFIG, raise_on_error=True)
    return PipesRun(outcomes, spent["cpu"], spent["wall"])


def run_task_params(
    cluster: str, environment: dict[str, str], *, bench_id: int | None = None
) -> dict[str, Any]:
    """RunTask parameters for one task of the benchmark task definition."""
    params: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": "bench",
        "launchType": "FARGATE",
        "overrides": {
            "containerOverrides": [
                {
                    "name": "main",
                    "environment": [{"name": k, "value": v} for k, v in environment.items()],
                }
            ]
        },
    }
    if bench_id is not None:
        params["tags"] = [{"key": "bench-id", "value": str(bench_id)}]
    return params
