"""RegisterTaskDefinition refuses what ECS refuses: a Fargate task size Fargate does not offer,
a Fargate definition without task cpu or memory or with a network mode other than awsvpc, a
container given more memory than the task, containers given more cpu than the task, and a
Fargate definition that needs an execution role and has none.

Each refusal is ECS's own: HTTP 400 ``ClientException`` with ECS's message, and nothing is
registered. Task sizes written as ``"1 vCPU"`` or ``"2 GB"`` are accepted and registered as
CPU units and MiB, as ECS converts them.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.demo.seed import DEMO_EXECUTION_ROLE_ARN
from ecs_pipelines.ecs.task_definitions import FARGATE_SIZES
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.local.local_ecs_tools import (
    run_task,
    unique,
    wait_for_status,
)

FARGATE_PAIRS = [(cpu, memory) for cpu, memories in FARGATE_SIZES.items() for memory in memories]
QUICK = ["python", "-c", "print('sized')"]
AWSLOGS = {
    "logDriver": "awslogs",
    "options": {"awslogs-group": "/ecs/ecs-pipelines", "awslogs-stream-prefix": "ecs"},
}


def _container(name: str = "main", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "python:3.12-slim", "command": QUICK, **fields}


def _fargate(**fields: Any) -> dict[str, Any]:
    """A valid Fargate task definition of a new family, ``fields`` on top (None drops one)."""
    definition: dict[str, Any] = {
        "family": unique("reg"),
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [_container()],
    }
    definition.update(fields)
    return {key: value for key, value in definition.items() if value is not None}


def _ec2(**fields: Any) -> dict[str, Any]:
    """A valid EC2-only (bridge) task definition of a new family, ``fields`` on top."""
    definition: dict[str, Any] = {
        "family": unique("reg"),
        "requiresCompatibilities": ["EC2"],
        "networkMode": "bridge",
        "containerDefinitions": [_container(memory=128)],
    }
    definition.update(fields)
    return definition


def _refused(ecs_client: Any, definition: dict[str, Any]) -> tuple[int, str, str]:
    """Registers ``definition``, which must be refused; (HTTP status, code, message). Checks
    that nothing of its family was registered."""
    with pytest.raises(ClientError) as raised:
        ecs_client.register_task_definition(**definition)
    response = raised.value.response
    listed = ecs_client.list_task_definitions(familyPrefix=definition["family"], status="ACTIVE")
    assert listed["taskDefinitionArns"] == []
    error = response["Error"]
    return response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def _no_fargate_configuration(cpu: int, memory: int) -> tuple[int, str, str]:
    return (
        400,
        "ClientException",
        f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
        "See the Amazon ECS documentation for the valid values.",
    )


# --- Fargate task sizes -----------------------------------------------------------------------


def test_fargate_size_fargate_does_not_offer_is_refused(ecs_client: Any) -> None:
    """Fargate with 1024 CPU and 1024 MiB is refused with ECS's "No Fargate configuration"."""
    refusal = _refused(ecs_client, _fargate(cpu="1024", memory="1024"))
    assert refusal == _no_fargate_configuration(1024, 1024)


def test_fargate_cpu_fargate_does_not_offer_is_refused(ecs_client: Any) -> None:
    """Fargate with a cpu value outside the table (300 units) is refused the same way."""
    refusal = _refused(ecs_client, _fargate(cpu="300", memory="512"))
    assert refusal == _no_fargate_configuration(300, 512)


@pytest.mark.parametrize(
    ("cpu", "memory"), FARGATE_PAIRS, ids=[f"{c}-{m}" for c, m in FARGATE_PAIRS]
)
def test_every_fargate_size_of_the_table_registers(ecs_client: Any, cpu: int, memory: int) -> None:
    """Every cpu and memory pair of Fargate's task size table registers as given."""
    registered = ecs_client.register_task_definition(**_fargate(cpu=str(cpu), memory=str(memory)))
    assert (registered["taskDefinition"]["cpu"], registered["taskDefinition"]["memory"]) == (
        str(cpu),
        str(memory),
    )


@pytest.mark.parametrize(
    ("cpu", "memory", "units"),
    [
        ("1 vCPU", "2 GB", ("1024", "2048")),
        ("1 vcpu", "2GB", ("1024", "2048")),
        (".25 vCPU", "0.5 GB", ("256", "512")),
        ("0.5 vCPU", "1024", ("512", "1024")),
        ("4096", "30 GB", ("4096", "30720")),
    ],
)
def test_fargate_size_in_vcpu_and_gb_registers_as_units(
    ecs_client: Any, cpu: str, memory: str, units: tuple[str, str]
) -> None:
    """A valid Fargate size written in vCPU and GB registers, converted to CPU units and MiB."""
    registered = ecs_client.register_task_definition(**_fargate(cpu=cpu, memory=memory))
    assert (registered["taskDefinition"]["cpu"], registered["taskDefinition"]["memory"]) == units


def test_fargate_size_in_vcpu_and_gb_is_checked_in_units(ecs_client: Any) -> None:
    """ "1 vCPU" with "1 GB" is refused, the message giving the values in CPU units and MiB."""
    refusal = _refused(ecs_client, _fargate(cpu="1 vCPU", memory="1 GB"))
    assert refusal == _no_fargate_configuration(1024, 1024)


def test_task_sized_in_vcpu_and_gb_runs(ecs_client: Any) -> None:
    """A task definition sized "1 vCPU" / "2 GB" runs, its task reporting 1024 and 2048."""
    definition = _fargate(cpu="1 vCPU", memory="2 GB")
    ecs_client.register_task_definition(**definition)
    task = run_task(ecs_client, family=definition["family"])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert [c.get("exitCode") for c in stopped["containers"]] == [0]
    assert (stopped["cpu"], stopped["memory"]) == ("1024", "2048")


def test_fargate_and_ec2_is_held_to_fargate_sizes(ecs_client: Any) -> None:
    """requiresCompatibilities EC2 and FARGATE is held to Fargate's sizes too."""
    definition = _fargate(requiresCompatibilities=["EC2", "FARGATE"], cpu="1024", memory="1024")
    assert _refused(ecs_client, definition) == _no_fargate_configuration(1024, 1024)


@pytest.mark.parametrize("compatibilities", [["EC2"], None], ids=["EC2", "unset"])
def test_ec2_definition_is_not_held_to_fargate_sizes(
    ecs_client: Any, compatibilities: list[str] | None
) -> None:
    """An EC2-only definition (or one naming no compatibility) registers 1024 CPU, 1024 MiB."""
    definition = _ec2(cpu="1024", memory="1024", requiresCompatibilities=compatibilities)
    definition = {key: value for key, value in definition.items() if value is not None}
    registered = ecs_client.register_task_definition(**definition)
    assert registered["taskDefinition"]["revision"] == 1


# --- what Fargate requires --------------------------------------------------------------------


def test_fargate_without_task_cpu_is_refused(ecs_client: Any) -> None:
    """Fargate without a task-level cpu is refused: "Fargate requires that 'cpu' be defined"."""
    refusal = _refused(ecs_client, _fargate(cpu=None))
    assert refusal == (
        400,
        "ClientException",
        "Fargate requires that 'cpu' be defined at the task level.",
    )


def test_fargate_without_task_memory_is_refused(ecs_client: Any) -> None:
    """Fargate without a task-level memory is refused, even when each container has memory."""
    definition = _fargate(memory=None, containerDefinitions=[_container(memory=256)])
    assert _refused(ecs_client, definition) == (
        400,
        "ClientException",
        "Fargate requires that 'memory' be defined at the task level.",
    )


@pytest.mark.parametrize("network_mode", ["bridge", "host", "none", None])
def test_fargate_without_awsvpc_is_refused(ecs_client: Any, network_mode: str | None) -> None:
    """Fargate with a network mode other than awsvpc, or none given (ECS's default is bridge),
    is refused."""
    refusal = _refused(ecs_client, _fargate(networkMode=network_mode))
    # ECS quotes awsvpc with typographic single quotes (U+2018, U+2019).
    message = "Fargate only supports network mode \u2018awsvpc\u2019."
    assert refusal == (400, "ClientException", message)


def test_fargate_with_awslogs_needs_an_execution_role(ecs_client: Any) -> None:
    """Fargate with the awslogs driver and no execution role is refused."""
    definition = _fargate(containerDefinitions=[_container(logConfiguration=AWSLOGS)])
    assert _refused(ecs_client, definition) == (
        400,
        "ClientException",
        "Fargate requires task definition to have execution role ARN to support log driver "
        "awslogs.",
    )


def test_fargate_with_an_ecr_image_needs_an_execution_role(ecs_client: Any) -> None:
    """Fargate with an image in ECR and no execution role is refused."""
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:1"
    definition = _fargate(containerDefinitions=[_container(image=image)])
    assert _refused(ecs_client, definition) == (
        400,
        "ClientException",
        "Fargate requires task definition to have execution role ARN to support ECR images.",
    )


def test_fargate_with_awslogs_and_an_execution_role_registers(ecs_client: Any) -> None:
    """Fargate with awslogs and an ECR image registers once it has an execution role."""
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:1"
    definition = _fargate(
        executionRoleArn=DEMO_EXECUTION_ROLE_ARN,
        containerDefinitions=[_container(image=image, logConfiguration=AWSLOGS)],
    )
    assert ecs_client.register_task_definition(**definition)["taskDefinition"]["revision"] == 1


def test_ec2_with_awslogs_needs_no_execution_role(ecs_client: Any) -> None:
    """An EC2-only definition with awslogs and no execution role registers (the instance role
    writes its logs)."""
    definition = _ec2(containerDefinitions=[_container(memory=128, logConfiguration=AWSLOGS)])
    assert ecs_client.register_task_definition(**definition)["taskDefinition"]["revision"] == 1


# --- containers within the task ---------------------------------------------------------------


@pytest.mark.parametrize("make", [_fargate, _ec2], ids=["FARGATE", "EC2"])
def test_container_memory_above_the_task_memory_is_refused(ecs_client: Any, make: Any) -> None:
    """A container whose memory exceeds the task's is refused, naming that container."""
    containers = [_container("main", memory=256), _container("worker", memory=1024)]
    definition = make(memory="512", containerDefinitions=containers)
    assert _refused(ecs_client, definition) == (
        400,
        "ClientException",
        "The 'memory' setting for container 'worker' is greater than for the task.",
    )


def test_container_memory_in_gb_task_memory_is_compared_in_mib(ecs_client: Any) -> None:
    """Task memory "1 GB" holds a 1024 MiB container and refuses a 1025 MiB one."""
    fits = _fargate(cpu="512", memory="1 GB", containerDefinitions=[_container(memory=1024)])
    assert ecs_client.register_task_definition(**fits)["taskDefinition"]["revision"] == 1
    too_big = _fargate(cpu="512", memory="1 GB", containerDefinitions=[_container(memory=1025)])
    assert _refused(ecs_client, too_big)[2] == (
        "The 'memory' setting for container 'main' is greater than for the task."
    )


@pytest.mark.parametrize("make", [_fargate, _ec2], ids=["FARGATE", "EC2"])
def test_container_cpu_above_the_task_cpu_is_refused(ecs_client: Any, make: Any) -> None:
    """Containers whose cpu adds up to more than the task's are refused; equal is fine."""
    equal = [_container("main", cpu=128, memory=128), _container("side", cpu=128, memory=128)]
    fits = make(cpu="256", memory="512", containerDefinitions=equal)
    assert ecs_client.register_task_definition(**fits)["taskDefinition"]["revision"] == 1
    over = [_container("main", cpu=200, memory=128), _container("side", cpu=100, memory=128)]
    assert _refused(ecs_client, make(cpu="256", memory="512", containerDefinitions=over)) == (
        400,
        "ClientException",
        "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.",
    )


# --- what the refusal leaves, and what comes first --------------------------------------------


def test_refused_registration_leaves_no_revision_behind(ecs_client: Any) -> None:
    """After a refusal, the family's first accepted registration is revision 1."""
    definition = _fargate(cpu="1024", memory="1024")
    _refused(ecs_client, definition)
    registered = ecs_client.register_task_definition(**{**definition, "memory": "2048"})
    assert registered["taskDefinition"]["revision"] == 1


def test_malformed_container_is_answered_before_the_fargate_rules(ecs_client: Any) -> None:
    """A container without an image is refused as before, ahead of a missing task cpu."""
    definition = _fargate(cpu=None, containerDefinitions=[{"name": "main", "memory": 128}])
    assert _refused(ecs_client, definition) == (
        400,
        "ClientException",
        "Container.image should not be null or empty.",
    )


def test_cloudformation_task_definition_is_held_to_the_rules(
    ecs_client: Any, local_ecs: LocalEcs
) -> None:
    """A CloudFormation task definition whose container has more memory than the task is
    refused with ECS's message and registers nothing."""
    cloudformation = boto3.client(
        "cloudformation",
        endpoint_url=local_ecs.endpoint_url,
        region_name=local_ecs.region,
        **local_ecs.credentials.boto3_kwargs(),
    )
    family = unique("reg-cfn")
    properties = {
        "Family": family,
        "Memory": "512",
        "ContainerDefinitions": [{"Name": "worker", "Image": "python:3.12-slim", "Memory": 1024}],
    }
    template = {"Resources": {"Td": {"Type": "AWS::ECS::TaskDefinition", "Properties": properties}}}
    with pytest.raises(ClientError) as raised:
        cloudformation.create_stack(StackName=unique("stack"), TemplateBody=json.dumps(template))
    assert raised.value.response["Error"]["Message"] == (
        "The 'memory' setting for container 'worker' is greater than for the task."
    )
    listed = ecs_client.list_task_definitions(familyPrefix=family, status="ACTIVE")
    assert listed["taskDefinitionArns"] == []
