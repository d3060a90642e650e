"""Tasks from StartTask and CreateTaskSet run like RunTask's; tasks are regional; RunTask checks
its own values before it looks the cluster up."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.local.local_ecs_tools import (
    NETWORK,
    describe,
    register,
    run_task,
    unique,
    wait_for_log,
    wait_for_status,
)
from ecs_pipelines_tests.support.polling import wait_until

SLEEPER = ["python", "-c", "print('up', flush=True); import time; time.sleep(60)"]


def _ec2_family(ecs_client: Any, command: list[str]) -> str:
    return register(
        ecs_client, [{"name": "main", "command": command, "memory": 128}], network_mode="bridge"
    )


def _instance(ecs_client: Any) -> str:
    return str(
        ecs_client.list_container_instances(cluster=DEMO_CLUSTER)["containerInstanceArns"][0]
    )


def test_start_task_runs_lists_describes_and_stops(ecs_client: Any, logs_client: Any) -> None:
    """A StartTask task runs its command, is listed while it runs, and StopTask stops it."""
    family = _ec2_family(ecs_client, SLEEPER)
    response = ecs_client.start_task(
        cluster=DEMO_CLUSTER,
        taskDefinition=family,
        containerInstances=[_instance(ecs_client)],
        startedBy="start-task-test",
    )
    assert response["failures"] == []
    task = response["tasks"][0]
    assert task["lastStatus"] == "PROVISIONING"
    wait_for_log(logs_client, task["taskArn"], "up")
    listed = ecs_client.list_tasks(cluster=DEMO_CLUSTER, startedBy="start-task-test")
    assert listed["taskArns"] == [task["taskArn"]]
    running = describe(ecs_client, task["taskArn"])
    assert (running["lastStatus"], running["launchType"]) == ("RUNNING", "EC2")

    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"], reason="done here")

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert (stopped["stopCode"], stopped["stoppedReason"]) == ("UserInitiated", "done here")


def test_start_task_reports_an_unknown_container_instance_as_missing(ecs_client: Any) -> None:
    """StartTask on a container instance the cluster lacks answers a MISSING failure."""
    family = _ec2_family(ecs_client, ["python", "-c", "pass"])
    response = ecs_client.start_task(
        cluster=DEMO_CLUSTER, taskDefinition=family, containerInstances=["no-such-instance"]
    )
    assert response["tasks"] == []
    assert response["failures"] == [{"arn": "no-such-instance", "reason": "MISSING"}]


def test_task_set_tasks_run_as_the_service_s_tasks(ecs_client: Any, logs_client: Any) -> None:
    """CreateTaskSet's tasks run, list under the service, carry its deployment and stop."""
    family = _ec2_family(ecs_client, SLEEPER)
    service = unique("service")
    ecs_client.create_service(
        cluster=DEMO_CLUSTER,
        serviceName=service,
        taskDefinition=family,
        desiredCount=1,
        deploymentController={"type": "EXTERNAL"},
    )
    task_set = ecs_client.create_task_set(
        cluster=DEMO_CLUSTER,
        service=service,
        taskDefinition=family,
        launchType="EC2",
        scale={"unit": "PERCENT", "value": 100},
    )["taskSet"]

    arns = ecs_client.list_tasks(cluster=DEMO_CLUSTER, serviceName=service)["taskArns"]
    assert len(arns) == 1
    wait_for_log(logs_client, arns[0], "up")
    task = describe(ecs_client, arns[0])
    assert task["startedBy"] == task_set["id"]
    assert task["group"] == f"service:{service}"
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=arns[0])
    assert wait_for_status(ecs_client, arns[0], "STOPPED")["stopCode"] == "UserInitiated"
    assert ecs_client.list_tasks(cluster=DEMO_CLUSTER, serviceName=service)["taskArns"] == []


def _client(local: LocalEcs, region: str) -> Any:
    return boto3.client(
        "ecs",
        endpoint_url=local.endpoint_url,
        region_name=region,
        **local.credentials.boto3_kwargs(),
    )


def test_tasks_belong_to_their_region(local_ecs: LocalEcs, ecs_client: Any) -> None:
    """A task of cluster ``default`` in us-east-1 is not listed, described or stopped through
    us-west-2's cluster ``default``."""
    east, west = _client(local_ecs, "us-east-1"), _client(local_ecs, "us-west-2")
    east.create_cluster(clusterName="default")
    west.create_cluster(clusterName="default")
    task = run_task(east, cluster="default", command=SLEEPER)
    try:
        assert task["taskArn"] in east.list_tasks(cluster="default")["taskArns"]
        assert task["taskArn"] not in west.list_tasks(cluster="default")["taskArns"]
        described = west.describe_tasks(cluster="default", tasks=[task["taskArn"]])
        assert described["tasks"] == []
        assert described["failures"] == [{"arn": task["taskArn"], "reason": "MISSING"}]
        with pytest.raises(ClientError) as refused:
            west.stop_task(cluster="default", task=task["taskArn"])
        assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    finally:
        east.stop_task(cluster="default", task=task["taskArn"])
    wait_until(
        lambda: (
            east.describe_tasks(cluster="default", tasks=[task["taskArn"]])["tasks"][0][
                "lastStatus"
            ]
            == "STOPPED"
        ),
        what="the us-east-1 task to stop",
    )


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (
            {"launchType": "Fargate"},
            "InvalidParameterException",
            "launch type should be one of [EC2,FARGATE,EXTERNAL]",
        ),
        (
            {
                "launchType": "FARGATE",
                "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}],
            },
            "InvalidParameterException",
            "Specify either Launch Type or Capacity Provider Strategy, but not both.",
        ),
        ({"launchType": "FARGATE"}, "ClusterNotFoundException", "Cluster not found."),
    ],
    ids=["bad-launch-type", "launch-type-and-strategy", "valid-request"],
)
def test_run_task_checks_its_values_before_the_cluster(
    ecs_client: Any, extra: dict[str, Any], code: str, message: str
) -> None:
    """On an unknown cluster, RunTask answers its own values' errors first, then the cluster's."""
    with pytest.raises(ClientError) as refused:
        ecs_client.run_task(
            cluster="no-such-cluster",
            taskDefinition="ecs-pipelines-python",
            networkConfiguration=NETWORK,
            **extra,
        )
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (code, message)
