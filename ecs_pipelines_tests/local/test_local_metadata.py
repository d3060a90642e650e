"""The task metadata endpoint v4: each container reads itself, its task and stats over HTTP,
and dagster-aws's "current task" helpers work inside an embedded ECS task."""

from __future__ import annotations

import json
from typing import Any

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.local.local_ecs_tools import (
    describe,
    log_messages,
    register,
    run_task,
    wait_for_status,
)

# Prints one JSON line per endpoint: the container, the task, its stats, the task's stats.
READ_METADATA = r"""
import json, os, urllib.request
uri = os.environ["ECS_CONTAINER_METADATA_URI_V4"]
for suffix in ("", "/task", "/stats", "/task/stats"):
    print(json.dumps({suffix or "/": json.load(urllib.request.urlopen(uri + suffix))}))
"""


def _read(
    ecs_client: Any, logs_client: Any, **kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    task = run_task(ecs_client, command=["python", "-c", READ_METADATA], **kwargs)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0, log_messages(logs_client, task["taskArn"])
    answers: dict[str, Any] = {}
    for line in log_messages(logs_client, task["taskArn"]):
        answers.update(json.loads(line))
    return stopped, answers


def test_task_endpoint_names_the_task_and_its_cluster(ecs_client: Any, logs_client: Any) -> None:
    """``${ECS_CONTAINER_METADATA_URI_V4}/task`` answers the task's own ARN, cluster and family."""
    stopped, answers = _read(ecs_client, logs_client)
    task = answers["/task"]
    assert task["TaskARN"] == stopped["taskArn"]
    assert task["Cluster"] == stopped["clusterArn"]  # Fargate reports the cluster's ARN
    assert (task["Family"], task["Revision"]) == ("ecs-pipelines-python", "1")
    assert (task["DesiredStatus"], task["KnownStatus"]) == ("RUNNING", "RUNNING")
    assert (task["LaunchType"], task["AvailabilityZone"]) == ("FARGATE", "us-east-1a")
    assert task["Limits"] == {"CPU": 0.25, "Memory": 512}
    assert [c["Name"] for c in task["Containers"]] == ["main"]


def test_task_size_overrides_are_the_task_size(ecs_client: Any, logs_client: Any) -> None:
    """RunTask's task-level cpu and memory overrides are the task's size, in DescribeTasks (as
    ECS reports an overridden task) and in the metadata endpoint's limits."""
    command = {"name": "main", "command": ["python", "-c", READ_METADATA]}
    overrides = {"cpu": "512", "memory": "1024", "containerOverrides": [command]}
    stopped, answers = _read(ecs_client, logs_client, overrides=overrides)
    assert (stopped["cpu"], stopped["memory"]) == ("512", "1024")
    assert (stopped["overrides"]["cpu"], stopped["overrides"]["memory"]) == ("512", "1024")
    assert answers["/task"]["Limits"] == {"CPU": 0.5, "Memory": 1024}


def test_container_endpoint_describes_the_container(ecs_client: Any, logs_client: Any) -> None:
    """``${ECS_CONTAINER_METADATA_URI_V4}`` answers the container as ECS names its fields."""
    stopped, answers = _read(ecs_client, logs_client)
    container, described = answers["/"], stopped["containers"][0]
    assert container["DockerId"] == described["runtimeId"]
    assert container["ContainerARN"] == described["containerArn"]
    assert (container["Name"], container["DockerName"], container["Type"]) == (
        "main",
        "main",
        "NORMAL",
    )
    assert container["Labels"] == {
        "com.amazonaws.ecs.cluster": stopped["clusterArn"],
        "com.amazonaws.ecs.container-name": "main",
        "com.amazonaws.ecs.task-arn": stopped["taskArn"],
        "com.amazonaws.ecs.task-definition-family": "ecs-pipelines-python",
        "com.amazonaws.ecs.task-definition-version": "1",
    }
    assert container["Image"] == "python:3.12-slim"
    assert container["ImageID"].startswith("sha256:")
    assert container["KnownStatus"] == "RUNNING"
    for field in ("CreatedAt", "StartedAt", "Limits", "DesiredStatus"):
        assert field in container, field
    assert container["LogDriver"] == "awslogs"
    task_id = stopped["taskArn"].rsplit("/", 1)[-1]
    assert container["LogOptions"]["awslogs-stream"] == f"ecs/main/{task_id}"
    address = stopped["attachments"][0]["details"]
    ip = next(d["value"] for d in address if d["name"] == "privateIPv4Address")
    assert container["Networks"][0]["NetworkMode"] == "awsvpc"
    assert container["Networks"][0]["IPv4Addresses"] == [ip]
    assert answers["/task"]["Containers"][0] == container


def test_stats_endpoints_sample_the_container_processes(ecs_client: Any, logs_client: Any) -> None:
    """``/stats`` and ``/task/stats`` answer Docker-style stats of the running processes."""
    stopped, answers = _read(ecs_client, logs_client)
    stats = answers["/stats"]
    assert stats["pids_stats"]["current"] >= 1
    assert stats["memory_stats"]["usage"] > 0
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] >= 0
    docker_id = stopped["containers"][0]["runtimeId"]
    assert set(answers["/task/stats"]) == {docker_id}


def test_an_ec2_task_reports_the_cluster_by_name(ecs_client: Any, logs_client: Any) -> None:
    """On the EC2 launch type the task's Cluster is the cluster's short name, as ECS reports it."""
    _, answers = _read(ecs_client, logs_client, launchType="EC2")
    assert answers["/task"]["Cluster"] == DEMO_CLUSTER
    assert answers["/task"]["LaunchType"] == "EC2"


def test_unknown_container_id_is_not_found(local_ecs: LocalEcs) -> None:
    """A metadata path naming no container answers 404, not 500."""
    import urllib.error
    import urllib.request

    url = f"{local_ecs.endpoint_url}/_local/metadata/v4/{'0' * 64}/task"
    try:
        urllib.request.urlopen(url, timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 404
    else:
        raise AssertionError("a made-up container id was answered")


# What dagster-aws's EcsRunLauncher does with use_current_ecs_task_config: read the metadata
# endpoint, DescribeTasks the current task, DescribeTaskDefinition its definition, and derive
# the network configuration from its ENI (dagster_aws/ecs/tasks.py).
CURRENT_TASK = r"""
import json, boto3
from dagster_aws.ecs.tasks import (
    current_ecs_container_name, get_current_ecs_task, get_current_ecs_task_metadata,
    get_task_definition_dict_from_current_task, get_task_kwargs_from_current_task,
)
metadata = get_current_ecs_task_metadata()
ecs = boto3.client("ecs")
task = get_current_ecs_task(ecs, metadata.task_arn, metadata.cluster)
definition = get_task_definition_dict_from_current_task(ecs, "run-family", task, "run:1", "run", [])
kwargs = get_task_kwargs_from_current_task(boto3.resource("ec2"), metadata.cluster, task)
print(json.dumps({
    "cluster": metadata.cluster, "task_arn": metadata.task_arn,
    "name": current_ecs_container_name(), "described": task["taskArn"],
    "definition": definition, "kwargs": kwargs,
}))
"""


def test_dagster_aws_reads_the_current_task(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any
) -> None:
    """dagster-aws's current-task helpers find the task, its definition and its network."""
    family = register(ecs_client, [{"name": "main", "command": ["python", "-c", CURRENT_TASK]}])
    # No credentials: the task signs with its role's, from the credentials endpoint.
    environment = {"AWS_ENDPOINT_URL": local_ecs.endpoint_url, "AWS_DEFAULT_REGION": "us-east-1"}
    task = run_task(ecs_client, family=family, environment=environment)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED", timeout=90)
    lines = log_messages(logs_client, task["taskArn"])
    assert stopped["containers"][0]["exitCode"] == 0, lines
    found = json.loads(lines[-1])
    assert found["task_arn"] == found["described"] == task["taskArn"]
    assert found["cluster"] == describe(ecs_client, task["taskArn"])["clusterArn"]
    assert found["name"] == "main"
    assert found["definition"]["family"] == "run-family"
    assert found["definition"]["containerDefinitions"][0]["image"] == "run:1"
    network = found["kwargs"]["networkConfiguration"]["awsvpcConfiguration"]
    assert network["subnets"] == ["subnet-0ec5pipelines0local"]
    assert found["kwargs"]["launchType"] == "FARGATE"
