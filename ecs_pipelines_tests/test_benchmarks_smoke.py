"""Smoke test of the benchmark harness: the scripted endpoint end to end with a few tasks.

Structure only; the speed targets live in ``make bench``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from benchmarks import report
from benchmarks.capacity_scenario import launch_ours, launch_theirs
from benchmarks.pipes_side import default_ecs_client
from benchmarks.scenarios import fanout_ours, watch_ours, watch_theirs
from benchmarks.scripted_process import ScriptedEcsProcess
from benchmarks.tick import tick_ours

N = 5


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ScriptedEcsProcess]:
    with ScriptedEcsProcess() as process:
        yield process


def test_scripted_endpoint_speaks_ecs_and_throttles(endpoint: ScriptedEcsProcess) -> None:
    """RunTask/DescribeTasks work through boto3; an empty bucket answers ThrottlingException."""
    endpoint.reset(buckets={"RunTask": (1.0, 0.001)})
    ecs = default_ecs_client(endpoint.endpoint_url)
    first = ecs.run_task(cluster="bench", taskDefinition="bench", count=3, clientToken="t1")
    arns = [t["taskArn"] for t in first["tasks"]]
    assert len(arns) == 3
    described = ecs.describe_tasks(cluster="bench", tasks=[*arns, "nope"])
    assert {t["taskArn"] for t in described["tasks"]} == set(arns)
    assert described["failures"][0]["reason"] == "MISSING"
    with pytest.raises(ClientError) as raised:
        ecs.run_task(cluster="bench", taskDefinition="bench", count=1)
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    stats = endpoint.stats()
    assert stats["throttled"]["RunTask"] >= 1
    assert stats["tasks"] == 3


def test_watch_scenario_runs_both_sides(endpoint: ScriptedEcsProcess) -> None:
    """Scenario 1 with 5 tasks: both sides finish every task and report every metric."""
    ours = watch_ours(endpoint, N, scale=0.1)
    theirs = watch_theirs(endpoint, N, scale=0.1)
    for side in (ours, theirs):
        assert side["errors"] == 0
        assert side["latency_median"] is not None and side["latency_median"] >= 0
        assert side["api_calls_per_task"] > 0
    assert ours["describe_full_round"] == pytest.approx(1 / N)
    # What the tasks used: one read for all of them, after they stopped.
    assert ours["usage_reads_per_task"] == pytest.approx(1 / N)
    assert theirs["describe_whole_run"] == pytest.approx(1.0)


def test_fanout_and_tick_report_calls(endpoint: ScriptedEcsProcess) -> None:
    """Fan-out of 25 identical tasks takes 3 RunTask calls; a tick counts its API calls."""
    fanout = fanout_ours(endpoint, 25, distinct=False, calls_per_second=None)
    assert (fanout["run_task_calls"], fanout["launched"], fanout["errors"]) == (3, 25, 0)
    endpoint.reset()
    ecs = default_ecs_client(endpoint.endpoint_url)
    arns = [
        t["taskArn"]
        for t in ecs.run_task(cluster="bench", taskDefinition="bench", count=10)["tasks"]
    ]
    tick = tick_ours(endpoint, arns)
    assert tick["calls"] == 2  # one DescribeTasks, one DescribeTaskDefinition
    assert report.fmt(0.5, "s") == "0.5 s"


def test_capacity_scenario_launches_every_task_once_on_both_sides(
    endpoint: ScriptedEcsProcess,
) -> None:
    """Scenario 10 with 20 launches: refusals happen, and each side launches every task once."""
    for side in (launch_ours(endpoint, 20), launch_theirs(endpoint, 20)):
        assert (side["launched"], side["duplicates"], side["errors"]) == (20, 0, 0)
        assert side["run_task_calls"] == 20 + side["refused"]
