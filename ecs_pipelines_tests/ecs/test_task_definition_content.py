"""A revision's content against a spec's request: what ECS adds or respells on describe is the
same content; another image, command, role or variable is not."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

from ecs_pipelines.ecs.task_definitions.content import (
    content_differences,
    registered_content,
    same_content,
)

EXECUTION_ROLE = "arn:aws:iam::123456789012:role/etl-execution"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCd"

# A request as ``register_request`` makes it for a spec from scratch.
REQUEST: dict[str, Any] = {
    "family": "dagster-events",
    "containerDefinitions": [
        {
            "name": "main",
            "essential": True,
            "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:3.1",
            "command": ["python", "-m", "etl.events"],
            "environment": [{"name": "A", "value": "1"}, {"name": "MODE", "value": "batch"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/ecs/ecs-pipelines",
                    "awslogs-region": "eu-west-1",
                    "awslogs-stream-prefix": "dagster-events",
                },
            },
        }
    ],
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "1024",
    "memory": "4096",
    "executionRoleArn": EXECUTION_ROLE,
}


def aws_described(request: dict[str, Any]) -> dict[str, Any]:
    """What DescribeTaskDefinition on AWS answers for ``request`` (botocore's TaskDefinition
    shape; the defaults as real answers write them out): the revision's own fields, container
    cpu 0, essential, empty lists, secretOptions, versionConsistency, enableFaultInjection,
    variables in another order."""
    described = copy.deepcopy(request)
    for container in described["containerDefinitions"]:
        written_out = {"cpu": 0, "portMappings": [], "environment": [], "mountPoints": []}
        container.update({**written_out, **container})
        container.update(
            environment=list(reversed(container["environment"])),
            environmentFiles=[],
            volumesFrom=[],
            ulimits=[],
            systemControls=[],
            versionConsistency="enabled",
        )
        if "logConfiguration" in container:
            container["logConfiguration"]["secretOptions"] = []
    described.update(
        taskDefinitionArn="arn:aws:ecs:eu-west-1:123456789012:task-definition/dagster-events:3",
        revision=3,
        volumes=[],
        status="ACTIVE",
        requiresAttributes=[
            {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
            {"name": "ecs.capability.execution-role-awslogs"},
            {"name": "ecs.capability.secrets.asm.environment-variables"},
            {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"},
            {"name": "ecs.capability.task-eni"},
        ],
        placementConstraints=[],
        compatibilities=["EC2", "FARGATE"],
        registeredAt=datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC),
        registeredBy="arn:aws:sts::123456789012:assumed-role/ci/session",
        enableFaultInjection=False,
    )
    return described


def embedded_described(request: dict[str, Any]) -> dict[str, Any]:
    """What the embedded ECS (moto) answers: its container defaults, compatibilities, empty
    volumes and placement constraints, the revision's own fields."""
    described = copy.deepcopy(request)
    described["containerDefinitions"] = [
        {
            "cpu": 0,
            "portMappings": [],
            "essential": True,
            "environment": [],
            "mountPoints": [],
            "volumesFrom": [],
            **container,
        }
        for container in described["containerDefinitions"]
    ]
    described.update(
        taskDefinitionArn="arn:aws:ecs:us-east-1:123456789012:task-definition/dagster-events:1",
        revision=1,
        status="ACTIVE",
        volumes=[],
        placementConstraints=[],
        compatibilities=["EC2", "FARGATE"],
    )
    return described


def changed(request: dict[str, Any], **container: Any) -> dict[str, Any]:
    other = copy.deepcopy(request)
    other["containerDefinitions"][0].update(container)
    return other


def test_what_aws_describes_has_the_requests_content() -> None:
    """The fields AWS adds on describe (ARN, revision, status, requiresAttributes,
    compatibilities, registeredAt/By, defaults written out) are not content."""
    assert content_differences(aws_described(REQUEST), REQUEST) == []
    assert same_content(aws_described(REQUEST), REQUEST)


def test_what_the_embedded_ecs_describes_has_the_requests_content() -> None:
    """The defaults moto writes out (container cpu 0, essential, empty lists) are not content."""
    assert content_differences(embedded_described(REQUEST), REQUEST) == []


def test_the_revisions_own_fields_are_dropped() -> None:
    """Only what RegisterTaskDefinition takes is content: the ARN, revision, status, dates,
    requiresAttributes and compatibilities are not."""
    content = registered_content(aws_described(REQUEST))
    for field in (
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
    ):
        assert field not in content
    assert content["cpu"] == "1024" and content["family"] == "dagster-events"


@pytest.mark.parametrize(
    ("described", "request_"),
    [
        (
            {**REQUEST, "cpu": "1024", "memory": "2048"},
            {**REQUEST, "cpu": "1 vCPU", "memory": "2 GB"},
        ),
        ({**REQUEST, "cpu": "1024"}, {**REQUEST, "cpu": 1024}),
        (REQUEST, {**REQUEST, "requiresCompatibilities": ["FARGATE", "FARGATE"]}),
        (
            {**REQUEST, "requiresCompatibilities": ["FARGATE", "EC2"]},
            {**REQUEST, "requiresCompatibilities": ["EC2", "FARGATE"]},
        ),
        (
            changed(
                REQUEST,
                healthCheck={
                    "command": ["CMD", "true"],
                    "interval": 30,
                    "timeout": 5,
                    "retries": 3,
                },
            ),
            changed(REQUEST, healthCheck={"command": ["CMD", "true"]}),
        ),
        (
            changed(
                REQUEST, portMappings=[{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
            ),
            changed(REQUEST, portMappings=[{"containerPort": 8080}]),
        ),
        (
            changed(
                {**REQUEST, "networkMode": "bridge"},
                portMappings=[{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}],
            ),
            changed({**REQUEST, "networkMode": "bridge"}, portMappings=[{"containerPort": 8080}]),
        ),
        (
            {**REQUEST, "networkMode": "bridge"},
            {k: v for k, v in REQUEST.items() if k != "networkMode"},
        ),
        (
            changed(
                REQUEST,
                mountPoints=[{"sourceVolume": "d", "containerPath": "/d", "readOnly": False}],
            ),
            changed(REQUEST, mountPoints=[{"sourceVolume": "d", "containerPath": "/d"}]),
        ),
        (
            {
                **REQUEST,
                "volumes": [
                    {
                        "name": "d",
                        "efsVolumeConfiguration": {
                            "fileSystemId": "fs-1",
                            "rootDirectory": "/",
                            "transitEncryption": "DISABLED",
                        },
                    }
                ],
            },
            {
                **REQUEST,
                "volumes": [{"name": "d", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
            },
        ),
        (
            changed(REQUEST, essential=True, user=None, dockerLabels={}),
            changed(REQUEST, essential=None),
        ),
    ],
    ids=[
        "sizes-as-the-guide-writes-them",
        "cpu-as-a-number",
        "compatibilities-repeated",
        "compatibilities-order",
        "health-check-defaults",
        "awsvpc-host-port-and-protocol",
        "bridge-dynamic-host-port",
        "bridge-network-mode-by-default",
        "mount-read-only-false",
        "efs-defaults",
        "nulls-and-empty-maps",
    ],
)
def test_documented_defaults_and_spellings_are_the_same_content(
    described: dict[str, Any], request_: dict[str, Any]
) -> None:
    """A default ECS writes out, or a value ECS respells, is the same content as leaving it
    out or spelling it as the request did."""
    assert content_differences(described, request_) == []


@pytest.mark.parametrize(
    ("other", "difference"),
    [
        (changed(REQUEST, image="python:3.13-slim"), "containerDefinitions[main].image"),
        (
            changed(REQUEST, command=["sh", "-c", "echo other"]),
            "containerDefinitions[main].command",
        ),
        (
            changed(
                REQUEST,
                environment=[{"name": "A", "value": "2"}, {"name": "MODE", "value": "batch"}],
            ),
            "containerDefinitions[main].environment",
        ),
        (
            changed(REQUEST, secrets=[{"name": "DB_PASSWORD", "valueFrom": SECRET + "-other"}]),
            "containerDefinitions[main].secrets",
        ),
        (changed(REQUEST, essential=False), "containerDefinitions[main].essential"),
        (changed(REQUEST, cpu=128), "containerDefinitions[main].cpu"),
        ({**REQUEST, "taskRoleArn": "arn:aws:iam::123456789012:role/admin"}, "taskRoleArn"),
        (
            {**REQUEST, "executionRoleArn": "arn:aws:iam::123456789012:role/other"},
            "executionRoleArn",
        ),
        ({**REQUEST, "memory": "8192"}, "memory"),
        (
            {
                **REQUEST,
                "containerDefinitions": [
                    *REQUEST["containerDefinitions"],
                    {"name": "sidecar", "image": "busybox", "essential": False},
                ],
            },
            "containerDefinitions",
        ),
    ],
    ids=[
        "image",
        "command",
        "environment-value",
        "secret-reference",
        "not-essential",
        "container-cpu",
        "task-role",
        "execution-role",
        "task-memory",
        "another-container",
    ],
)
def test_other_content_is_named_by_field(other: dict[str, Any], difference: str) -> None:
    """Another image, command, variable, role or size is other content, whatever ECS adds on
    describe; the difference is named by field, never by value."""
    assert content_differences(aws_described(other), REQUEST) == [difference]
    assert not same_content(aws_described(other), REQUEST)


def test_a_static_host_port_under_bridge_is_not_a_dynamic_one() -> None:
    """Under bridge, host port 8080 pins the port; a mapping without one takes any port."""
    bridge = {**REQUEST, "networkMode": "bridge"}
    static = changed(bridge, portMappings=[{"containerPort": 8080, "hostPort": 8080}])
    dynamic = changed(bridge, portMappings=[{"containerPort": 8080}])
    assert content_differences(static, dynamic) == ["containerDefinitions[main].portMappings"]


def test_a_difference_never_shows_a_value() -> None:
    """The names of differing fields carry no value of the revision or of the request."""
    other = changed(REQUEST, environment=[{"name": "TOKEN", "value": "s3cr3t-value"}])
    differences = content_differences(other, REQUEST)
    assert differences and not any("s3cr3t" in text for text in differences)
