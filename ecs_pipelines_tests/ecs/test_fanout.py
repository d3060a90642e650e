"""Fan-out launches: RunTask calls of 10, a token per call, pacing, throttling, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from ecs_pipelines import EcsResource
from ecs_pipelines.ecs.common import EcsLaunchError, EcsSpecError
from ecs_pipelines.ecs.launching.fanout import (
    Pacer,
    chunk_counts,
    chunk_token,
    launch_each,
    launch_many,
)
from ecs_pipelines.ecs.launching.settings import ContainerOverride
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines_tests.conftest import ApiCalls
from ecs_pipelines_tests.support.launch_plans import plan_of

CLUSTER = "demo"
PREFIX = "arn:aws:ecs:us-east-1:123456789012:task/demo/"
SPEC = plan_of(cluster=CLUSTER, task_definition="td", client_token="base")


def tasks(first: int, count: int) -> dict[str, Any]:
    return {
        "tasks": [{"taskArn": f"{PREFIX}{n:032x}"} for n in range(first, first + count)],
        "failures": [],
    }


def run_task_params(count: int, token: str) -> dict[str, Any]:
    return {"cluster": CLUSTER, "taskDefinition": "td", "count": count, "clientToken": token}


def test_chunk_counts_split_by_ten() -> None:
    """25 tasks become RunTask counts 10, 10, 5; a total below 1 is refused."""
    assert chunk_counts(25) == [10, 10, 5]
    assert chunk_counts(10) == [10]
    assert chunk_counts(7, 3) == [3, 3, 1]
    with pytest.raises(EcsSpecError, match="total"):
        chunk_counts(0)
    with pytest.raises(EcsSpecError, match="chunk_size"):
        chunk_counts(5, 11)


def test_chunk_tokens_are_stable_distinct_and_within_limit() -> None:
    """Each call's token derives from the base token and index: stable, distinct, <= 64 chars."""
    tokens = [chunk_token("base", i) for i in range(100)]
    assert len(set(tokens)) == 100
    assert tokens == [chunk_token("base", i) for i in range(100)]
    assert all(len(t) <= 64 for t in tokens)
    assert chunk_token("other", 0) != tokens[0]


def test_pacer_spaces_calls_by_the_rate() -> None:
    """At 20 calls/s the pacer sleeps so that call starts are 50 ms apart, no sleep at first."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(20.0, sleep=sleep, clock=lambda: now[0])
    for _ in range(4):
        pacer.wait()
    assert slept == pytest.approx([0.05, 0.05, 0.05])
    Pacer(None, sleep=sleep).wait()
    assert len(slept) == 3
    with pytest.raises(EcsSpecError, match="calls_per_second"):
        Pacer(0.0)


def test_throttled_call_is_retried_with_its_own_token(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """A ThrottlingException on the second call is retried with that call's token; no error."""
    client, stubber = stubbed
    first, second = chunk_token("base", 0), chunk_token("base", 1)
    stubber.add_response("run_task", tasks(0, 10), run_task_params(10, first))
    for _ in range(3):
        params = run_task_params(2, second)
        stubber.add_client_error("run_task", "ThrottlingException", "Rate", 400, None, params)
    stubber.add_response("run_task", tasks(10, 2), run_task_params(2, second))
    arns = launch_many(client, SPEC, 12)
    assert arns == [f"{PREFIX}{n:032x}" for n in range(12)]
    assert client.calls["run_task"] == 5


def test_failed_call_stops_the_tasks_already_started(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """When call 2 reports a final failure, call 1's tasks are stopped and the error counts
    them."""
    client, stubber = stubbed
    stubber.add_response("run_task", tasks(0, 2), run_task_params(2, chunk_token("base", 0)))
    stubber.add_response(
        "run_task",
        {"tasks": [], "failures": [{"arn": "x", "reason": "ATTRIBUTE"}]},
        run_task_params(1, chunk_token("base", 1)),
    )
    for n in range(2):
        stubber.add_response(
            "stop_task",
            {"task": {"taskArn": f"{PREFIX}{n:032x}"}},
            {"cluster": CLUSTER, "task": f"{PREFIX}{n:032x}", "reason": ANY},
        )
    with pytest.raises(EcsLaunchError, match="ATTRIBUTE") as raised:
        launch_many(client, SPEC, 3, chunk_size=2)
    assert "after 2 task(s)" in str(raised.value)
    assert raised.value.task_arns == [f"{PREFIX}{n:032x}" for n in range(2)]


def test_launch_each_makes_one_call_per_spec_with_distinct_tokens(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """Specs with distinct overrides get one RunTask each; a spec's own token is kept."""
    client, stubber = stubbed
    client.token_factory = lambda: "fresh"
    specs = [
        plan_of(
            cluster=CLUSTER,
            task_definition="td",
            container_overrides=(ContainerOverride(name="main", environment={"N": str(n)}),),
            client_token="mine" if n == 1 else None,
        )
        for n in range(3)
    ]
    expected_tokens = [chunk_token("fresh", 0), "mine", chunk_token("fresh", 2)]
    for n, token in enumerate(expected_tokens):
        params = run_task_params(1, token)
        environment = [{"name": "N", "value": str(n)}]
        params["overrides"] = {"containerOverrides": [{"name": "main", "environment": environment}]}
        stubber.add_response("run_task", tasks(n, 1), params)
    assert launch_each(client, specs) == [f"{PREFIX}{n:032x}" for n in range(3)]


def test_bad_spec_is_refused_before_any_call(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """A spec breaking an ECS limit anywhere in the list fails before the first RunTask."""
    client, _ = stubbed
    with pytest.raises(EcsSpecError, match="started_by"):
        # Plans are checked as they are made, so the fan-out never starts.
        specs = [SPEC, plan_of(cluster=CLUSTER, task_definition="td", started_by="bad name!")]
        launch_each(client, specs)


def test_resource_launches_25_tasks_in_3_calls(counted_ecs: tuple[EcsResource, ApiCalls]) -> None:
    """run_tasks(25) on the embedded ECS makes 3 RunTask calls and every task succeeds."""
    ecs, calls = counted_ecs
    launched: list[list[str]] = []
    arns = ecs.run_tasks(25, command=["python", "-c", "pass"], on_launch=launched.append)
    assert calls.counts["RunTask"] == 3
    assert [len(chunk) for chunk in launched] == [10, 10, 5]
    assert len(set(arns)) == 25
    results = ecs.wait_for_tasks(arns, timeout_seconds=120)
    assert all(r.succeeded for r in results), [r.summary() for r in results if not r.succeeded]


def test_resource_fanout_with_same_token_starts_nothing_new(
    counted_ecs: tuple[EcsResource, ApiCalls],
) -> None:
    """Repeating run_tasks with the same client_token returns the same tasks (idempotent calls)."""
    ecs, _ = counted_ecs
    first = ecs.run_tasks(12, command=["python", "-c", "pass"], client_token="fanout-idem-1")
    again = ecs.run_tasks(12, command=["python", "-c", "pass"], client_token="fanout-idem-1")
    assert again == first
    ecs.wait_for_tasks(first, timeout_seconds=120)


def test_resource_refuses_count(ecs: EcsResource) -> None:
    """run_tasks takes a total; passing count is an error before any call."""
    with pytest.raises(EcsSpecError, match="count"):
        ecs.run_tasks(5, count=2)
