"""ECS client shapes the embedded ECS cannot produce: RunTask failures, throttling, MISSING."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from ecs_pipelines.ecs.common import EcsLaunchError
from ecs_pipelines.ecs.launching import launch
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines_tests.support.launch_plans import plan_of

CLUSTER = "demo"
PREFIX = "arn:aws:ecs:us-east-1:123456789012:task/demo/"


def task(n: int, status: str = "RUNNING") -> dict[str, Any]:
    return {"taskArn": f"{PREFIX}{n:032x}", "lastStatus": status}


def throttled(stubber: Stubber, operation: str) -> None:
    stubber.add_client_error(operation, "ThrottlingException", "Rate exceeded", 400)


def test_launch_raises_with_runtask_failures(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """RunTask failures, once no budget is left to wait, become EcsLaunchError naming the
    reason and keeping the failures."""
    client, stubber = stubbed
    failure = {"arn": "arn:aws:ecs:us-east-1:1:container-instance/x", "reason": "RESOURCE:MEMORY"}
    stubber.add_response("run_task", {"tasks": [], "failures": [failure]}, None)
    with pytest.raises(EcsLaunchError, match="RESOURCE:MEMORY") as raised:
        launch(client, plan_of(cluster=CLUSTER, task_definition="td", capacity_retry_seconds=0))
    assert raised.value.failures == [failure]


def test_partial_launch_stops_the_tasks_that_started(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """When RunTask starts 1 of 2 tasks, that task is stopped before the error is raised."""
    client, stubber = stubbed
    started = task(1)
    stubber.add_response(
        "run_task",
        {"tasks": [started], "failures": [{"reason": "AGENT", "arn": "ci"}]},
        None,
    )
    stubber.add_response(
        "stop_task",
        {"task": {**started, "desiredStatus": "STOPPED"}},
        {"cluster": CLUSTER, "task": started["taskArn"], "reason": ANY},
    )
    with pytest.raises(EcsLaunchError) as raised:
        launch(
            client,
            plan_of(cluster=CLUSTER, task_definition="td", count=2, capacity_retry_seconds=0),
        )
    assert raised.value.task_arns == [started["taskArn"]]


def test_launch_always_sends_a_client_token(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """A launch without a token gets a fresh one, so a retried RunTask cannot launch twice."""
    client, stubber = stubbed
    client.token_factory = lambda: "generated-token"
    expected = {"cluster": CLUSTER, "taskDefinition": "td", "count": 1, "clientToken": ANY}
    throttled(stubber, "run_task")
    stubber.add_response("run_task", {"tasks": [task(1)], "failures": []}, expected)
    assert launch(client, plan_of(cluster=CLUSTER, task_definition="td")) == [task(1)["taskArn"]]
    assert client.calls["run_task"] == 2


def test_describe_batches_by_100_and_reports_missing(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """250 tasks take three DescribeTasks calls; MISSING ones are reported, not dropped."""
    client, stubber = stubbed
    arns = [task(n)["taskArn"] for n in range(250)]
    for start in (0, 100, 200):
        batch = arns[start : start + 100]
        found = [{"taskArn": a, "lastStatus": "RUNNING"} for a in batch if a != arns[150]]
        failures = [{"arn": arns[150], "reason": "MISSING"}] if arns[150] in batch else []
        stubber.add_response(
            "describe_tasks",
            {"tasks": found, "failures": failures},
            {"cluster": CLUSTER, "tasks": batch, "include": ["TAGS"]},
        )
    result = client.describe(CLUSTER, arns)
    assert len(result.tasks) == 249
    assert result.missing == {arns[150]: "MISSING"}
    assert client.calls["describe_tasks"] == 3


def test_describe_retries_throttling(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """A throttled DescribeTasks is retried and the caller sees only the answer."""
    client, stubber = stubbed
    throttled(stubber, "describe_tasks")
    stubber.add_response("describe_tasks", {"tasks": [task(1)], "failures": []}, None)
    assert list(client.describe(CLUSTER, [task(1)["taskArn"]]).tasks) == [task(1)["taskArn"]]


def test_list_task_arns_follows_every_page(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """ListTasks is paged with nextToken until ECS stops returning one."""
    client, stubber = stubbed
    pages = [[task(n)["taskArn"] for n in range(s, s + 100)] for s in (0, 100)] + [["last"]]
    for i, page in enumerate(pages):
        params: dict[str, Any] = {"cluster": CLUSTER, "maxResults": 100, "family": "fam"}
        if i:
            params["nextToken"] = f"t{i}"
        response: dict[str, Any] = {"taskArns": page}
        if i < 2:
            response["nextToken"] = f"t{i + 1}"
        stubber.add_response("list_tasks", response, params)
    assert len(list(client.list_task_arns(CLUSTER, family="fam"))) == 201
