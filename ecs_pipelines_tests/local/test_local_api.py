"""ECS API behaviour on top of moto: clientToken, MISSING, ListTasks filters and paging, echoes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines_tests.local.local_ecs_tools import (
    NETWORK,
    describe,
    run_task,
    unique,
    wait_for_status,
)
from ecs_pipelines_tests.support.polling import wait_until

QUICK = ["python", "-c", "print('quick')"]


def test_same_client_token_returns_the_same_task(ecs_client: Any) -> None:
    """The same clientToken twice returns the same task ARN and launches only one task."""
    token, started_by = unique("token"), unique("idem")
    first = run_task(ecs_client, command=QUICK, clientToken=token, startedBy=started_by)
    second = run_task(ecs_client, command=QUICK, clientToken=token, startedBy=started_by)
    assert second["taskArn"] == first["taskArn"]
    wait_for_status(ecs_client, first["taskArn"], "STOPPED")
    listed = ecs_client.list_tasks(
        cluster=DEMO_CLUSTER, startedBy=started_by, desiredStatus="STOPPED"
    )["taskArns"]
    assert listed == [first["taskArn"]]


def test_client_token_reused_with_other_parameters_is_a_conflict(ecs_client: Any) -> None:
    """The same clientToken with different parameters raises ConflictException."""
    token = unique("token")
    run_task(ecs_client, command=QUICK, clientToken=token)
    with pytest.raises(ClientError) as raised:
        run_task(ecs_client, command=["python", "-c", "print('other')"], clientToken=token)
    assert raised.value.response["Error"]["Code"] == "ConflictException"


def test_unknown_task_is_reported_missing(ecs_client: Any) -> None:
    """DescribeTasks of an unknown ARN answers failures with reason MISSING, next to known tasks."""
    task = run_task(ecs_client, command=QUICK)
    unknown = task["taskArn"].rsplit("/", 1)[0] + "/00000000000000000000000000000000"
    response = ecs_client.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"], unknown])
    assert [t["taskArn"] for t in response["tasks"]] == [task["taskArn"]]
    assert response["failures"] == [{"arn": unknown, "reason": "MISSING"}]


def test_describe_by_task_id(ecs_client: Any) -> None:
    """DescribeTasks accepts the bare task id as ECS does."""
    task = run_task(ecs_client, command=QUICK)
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    assert describe(ecs_client, task_id)["taskArn"] == task["taskArn"]


def test_list_tasks_pages_and_filters(ecs_client: Any) -> None:
    """ListTasks filters by startedBy, family and desiredStatus and pages by maxResults."""
    started_by = unique("paging")
    arns = {run_task(ecs_client, command=QUICK, startedBy=started_by)["taskArn"] for _ in range(5)}
    for arn in arns:
        wait_for_status(ecs_client, arn, "STOPPED")

    pages = ecs_client.get_paginator("list_tasks").paginate(
        cluster=DEMO_CLUSTER,
        startedBy=started_by,
        desiredStatus="STOPPED",
        family="ecs-pipelines-python",
        PaginationConfig={"PageSize": 2},
    )
    sizes, seen = [], []
    for page in pages:
        sizes.append(len(page["taskArns"]))
        seen += page["taskArns"]
    assert sizes == [2, 2, 1]
    assert set(seen) == arns and len(seen) == 5
    running = ecs_client.list_tasks(cluster=DEMO_CLUSTER, startedBy=started_by)["taskArns"]
    assert running == []  # ListTasks lists desiredStatus RUNNING unless told otherwise
    other_family = ecs_client.list_tasks(
        cluster=DEMO_CLUSTER, startedBy=started_by, desiredStatus="STOPPED", family="ecs-pipelines"
    )["taskArns"]
    assert other_family == []


def test_running_filter_lists_a_live_task(ecs_client: Any) -> None:
    """A running task is listed under desiredStatus RUNNING, and moves to STOPPED once stopped."""
    started_by = unique("live")
    task = run_task(
        ecs_client, command=["python", "-c", "import time; time.sleep(30)"], startedBy=started_by
    )
    listed = ecs_client.list_tasks(cluster=DEMO_CLUSTER, startedBy=started_by)["taskArns"]
    assert listed == [task["taskArn"]]
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
    wait_until(
        lambda: (
            ecs_client.list_tasks(
                cluster=DEMO_CLUSTER, startedBy=started_by, desiredStatus="STOPPED"
            )["taskArns"]
            == [task["taskArn"]]
        ),
        what="the task to be listed as STOPPED",
    )


def test_run_task_echoes_tags_started_by_group_and_overrides(ecs_client: Any) -> None:
    """Tags, startedBy, group and overrides come back on RunTask and DescribeTasks(TAGS)."""
    tags = [{"key": "team", "value": "data"}]
    task = run_task(
        ecs_client, command=QUICK, tags=tags, startedBy="dagster/run-1", group="demo-group"
    )
    assert task["startedBy"] == "dagster/run-1"
    assert task["group"] == "demo-group"
    assert task["overrides"]["containerOverrides"][0]["command"] == QUICK
    described = ecs_client.describe_tasks(
        cluster=DEMO_CLUSTER, tasks=[task["taskArn"]], include=["TAGS"]
    )["tasks"][0]
    assert described["tags"] == tags
    assert described["clusterArn"].endswith(f"cluster/{DEMO_CLUSTER}")
    assert described["containers"][0]["containerArn"].startswith(
        described["taskArn"].split(":task/")[0] + ":container/"
    )


def test_stop_unknown_task_is_an_invalid_parameter(ecs_client: Any) -> None:
    """StopTask of a task ECS does not know is an InvalidParameterException."""
    with pytest.raises(ClientError) as raised:
        ecs_client.stop_task(cluster=DEMO_CLUSTER, task="0123456789abcdef")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


def test_count_above_ten_is_rejected(ecs_client: Any) -> None:
    """RunTask count is limited to 1..10 as in ECS."""
    with pytest.raises(ClientError) as raised:
        run_task(ecs_client, command=QUICK, count=11)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


def _rejected(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]  # type: ignore[no-any-return]


def test_override_for_a_container_the_definition_lacks_is_refused(ecs_client: Any) -> None:
    """A containerOverrides name the task definition lacks is refused, as ECS refuses it."""
    error = _rejected(lambda: run_task(ecs_client, command=QUICK, container="no-such-container"))
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == (
        "Override for container named no-such-container is not a container in the TaskDefinition."
    )


def _overrides_of_length(length: int) -> dict[str, Any]:
    """RunTask overrides whose compact JSON is exactly ``length`` characters."""
    overrides: dict[str, Any] = {
        "containerOverrides": [{"name": "main", "environment": [{"name": "PAD", "value": ""}]}]
    }
    size = len(json.dumps(overrides, separators=(",", ":")))
    overrides["containerOverrides"][0]["environment"][0]["value"] = "x" * (length - size)
    return overrides


def test_overrides_over_8192_characters_are_refused(ecs_client: Any) -> None:
    """Overrides are limited to 8192 characters of JSON: 8192 runs, 8193 is refused."""
    base = {"cluster": DEMO_CLUSTER, "taskDefinition": "ecs-pipelines-python"}
    network = {"launchType": "FARGATE", "networkConfiguration": NETWORK}
    task = ecs_client.run_task(**base, **network, overrides=_overrides_of_length(8192))["tasks"][0]
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    error = _rejected(
        lambda: ecs_client.run_task(**base, **network, overrides=_overrides_of_length(8193))
    )
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == "Container Overrides length must be at most 8192"


def test_task_ids_are_32_hex_characters(ecs_client: Any) -> None:
    """Task ARNs end in ECS's task id: 32 lowercase hex characters under the cluster name."""
    task = run_task(ecs_client, command=QUICK)
    pattern = rf"arn:aws:ecs:us-east-1:\d{{12}}:task/{DEMO_CLUSTER}/[0-9a-f]{{32}}"
    assert re.fullmatch(pattern, task["taskArn"]), task["taskArn"]
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    assert describe(ecs_client, task_id)["taskArn"] == task["taskArn"]
    stopped = ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task_id)["task"]
    assert stopped["taskArn"] == task["taskArn"]


def test_started_by_is_omitted_when_not_given(ecs_client: Any) -> None:
    """Without startedBy, RunTask and DescribeTasks leave the field out, as ECS does."""
    task = run_task(ecs_client, command=QUICK)
    assert "startedBy" not in task
    assert "startedBy" not in describe(ecs_client, task["taskArn"])
