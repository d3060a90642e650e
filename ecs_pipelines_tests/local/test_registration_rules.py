"""RegisterTaskDefinition's rules that ECS enforces and moto does not, decided without a server."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_pipelines.local.rules.registration_rules import registration_error, task_size

ROLE = "arn:aws:iam::123456789012:role/execution"
AWSLOGS = {"logDriver": "awslogs", "options": {"awslogs-group": "/g"}}


def fargate(**fields: Any) -> dict[str, Any]:
    """A Fargate request ECS registers; ``fields`` change or (as None) remove its fields."""
    request: dict[str, Any] = {
        "family": "f",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": ROLE,
        "containerDefinitions": [{"name": "main", "image": "python:3.12-slim"}],
    }
    request.update(fields)
    return {k: v for k, v in request.items() if v is not None}


def refusal(request: dict[str, Any]) -> str | None:
    error = registration_error(request)
    if error is None:
        return None
    assert error.code == "ClientException"
    return error.message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("cpu", "1024", 1024),
        ("cpu", 512, 512),
        ("cpu", "1 vCPU", 1024),
        ("cpu", ".25 vCPU", 256),
        ("memory", "2 GB", 2048),
        ("memory", "512", 512),
        ("cpu", None, None),
        ("memory", "", None),
        ("memory", "lots", None),
    ],
)
def test_task_sizes_are_registered_in_cpu_units_and_mib(
    field: str, value: object, expected: int | None
) -> None:
    """Task cpu and memory are read in units or in vCPU and GB; an unknown form is left as is."""
    assert task_size(field, value) == expected


def test_a_fargate_definition_ecs_accepts_is_not_refused() -> None:
    """A complete Fargate definition, and an EC2 one without sizes, register."""
    assert refusal(fargate()) is None
    ec2 = fargate(requiresCompatibilities=["EC2"], networkMode="bridge", cpu=None, memory=None)
    assert refusal(ec2) is None


@pytest.mark.parametrize("mode", [None, "bridge", "host"])
def test_fargate_needs_awsvpc(mode: str | None) -> None:
    """Fargate (even beside EC2) refuses any network mode but awsvpc, ECS's default included."""
    message = "Fargate only supports network mode \u2018awsvpc\u2019."
    assert refusal(fargate(networkMode=mode)) == message
    both = fargate(networkMode=mode, requiresCompatibilities=["EC2", "FARGATE"])
    assert refusal(both) == message


@pytest.mark.parametrize("field", ["cpu", "memory"])
def test_fargate_needs_task_level_sizes(field: str) -> None:
    """Fargate refuses a definition without a task-level cpu or memory, naming the field."""
    expected = f"Fargate requires that '{field}' be defined at the task level."
    assert refusal(fargate(**{field: None})) == expected
    assert refusal(fargate(**{field: ""})) == expected


@pytest.mark.parametrize(
    ("cpu", "memory", "accepted"),
    [
        ("256", "512", True),
        ("256", "2048", True),
        ("256", "4096", False),
        ("1 vCPU", "2 GB", True),
        ("1024", "1024", False),
        ("16384", "122880", True),
    ],
)
def test_fargate_takes_only_its_task_sizes(cpu: str, memory: str, accepted: bool) -> None:
    """A cpu and memory pair Fargate does not offer is refused, in CPU units and MiB."""
    message = refusal(fargate(cpu=cpu, memory=memory))
    if accepted:
        assert message is None
    else:
        assert message == (
            f"No Fargate configuration exists for given values: {task_size('cpu', cpu)} CPU, "
            f"{task_size('memory', memory)} memory. See the Amazon ECS documentation for the "
            "valid values."
        )


def test_fargate_needs_an_execution_role_for_awslogs_and_ecr_images() -> None:
    """Without an execution role Fargate refuses awslogs and ECR images; otherwise none needed."""
    awslogs = [{"name": "main", "image": "python:3.12-slim", "logConfiguration": AWSLOGS}]
    ecr = [{"name": "main", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"}]
    assert refusal(fargate(executionRoleArn=None, containerDefinitions=awslogs)) == (
        "Fargate requires task definition to have execution role ARN to support log driver awslogs."
    )
    assert refusal(fargate(executionRoleArn=None, containerDefinitions=ecr)) == (
        "Fargate requires task definition to have execution role ARN to support ECR images."
    )
    assert refusal(fargate(executionRoleArn=None)) is None


def test_no_container_has_more_memory_than_its_task() -> None:
    """A container's memory above the task's is refused, naming the container; equal is fine."""
    containers = [{"name": "worker", "image": "img", "memory": 513}]
    assert refusal(fargate(containerDefinitions=containers)) == (
        "The 'memory' setting for container 'worker' is greater than for the task."
    )
    containers[0]["memory"] = "512"
    assert refusal(fargate(containerDefinitions=containers)) is None


def test_the_containers_cpu_adds_up_to_no_more_than_the_task() -> None:
    """The sum of the containers' cpu may equal the task's cpu, not pass it."""
    containers = [
        {"name": "a", "image": "img", "cpu": 128},
        {"name": "b", "image": "img", "cpu": 128},
    ]
    assert refusal(fargate(containerDefinitions=containers)) is None
    containers[1]["cpu"] = "129"
    assert refusal(fargate(containerDefinitions=containers)) == (
        "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."
    )


def test_the_first_broken_rule_answers() -> None:
    """A request that breaks several rules gets one refusal: the first of them in order."""
    message = refusal(fargate(networkMode="bridge", cpu=None, executionRoleArn=None))
    assert message == "Fargate only supports network mode \u2018awsvpc\u2019."
