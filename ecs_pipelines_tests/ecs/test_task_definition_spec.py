"""Task definitions in code: the register request a spec becomes, its digest, its checks."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.task_definitions import FARGATE_SIZES
from ecs_pipelines.ecs.task_definitions.request import register_request
from ecs_pipelines.ecs.task_definitions.spec import (
    TaskDefinitionDefaults,
    TaskDefinitionSpec,
    content_digest,
    derive_family,
)

ROLE = "arn:aws:iam::123456789012:role/etl-execution"
TASK_ROLE = "arn:aws:iam::123456789012:role/etl-task"
DEFAULTS = TaskDefinitionDefaults(
    log_group="/ecs/etl", log_region="eu-west-1", execution_role_arn=ROLE
)
SPEC = TaskDefinitionSpec(image="python:3.12-slim", command=["python", "-m", "etl"], family="etl")


def request(spec: TaskDefinitionSpec = SPEC, **changes: Any) -> dict[str, Any]:
    return register_request(dataclasses.replace(spec, **changes), DEFAULTS)


def test_an_image_alone_gets_fargate_defaults_and_the_resource_log_group() -> None:
    """awsvpc, FARGATE, 256/512, one essential 'main' container logging to the resource's group."""
    made = request()
    assert made["family"] == "etl"
    assert (made["networkMode"], made["requiresCompatibilities"]) == ("awsvpc", ["FARGATE"])
    assert (made["cpu"], made["memory"]) == ("256", "512")
    assert made["executionRoleArn"] == ROLE and "taskRoleArn" not in made
    [container] = made["containerDefinitions"]
    assert container["name"] == "main" and container["essential"] is True
    assert container["command"] == ["python", "-m", "etl"]
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ecs/etl",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "etl",
        },
    }


def test_every_field_lands_where_ecs_expects_it() -> None:
    """Sizes, variables, secrets, roles, platform and storage take ECS's spelling."""
    made = request(
        cpu="1 vCPU",
        memory="4 GB",
        container_cpu=512,
        container_memory=3072,
        container_memory_reservation=1024,
        environment={"B": "2", "A": "1"},
        secrets={"DB": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"},
        task_role_arn=TASK_ROLE,
        cpu_architecture="ARM64",
        ephemeral_storage_gib=40,
        log_stream_prefix="jobs",
    )
    assert (made["cpu"], made["memory"]) == ("1024", "4096")
    assert made["taskRoleArn"] == TASK_ROLE
    assert made["runtimePlatform"] == {"cpuArchitecture": "ARM64"}
    assert made["ephemeralStorage"] == {"sizeInGiB": 40}
    [container] = made["containerDefinitions"]
    assert (container["cpu"], container["memory"], container["memoryReservation"]) == (
        512,
        3072,
        1024,
    )
    assert container["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert container["secrets"][0]["name"] == "DB"
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "jobs"


def test_equal_content_has_one_digest_whatever_its_spelling() -> None:
    """Variable order and size spelling do not change the digest; memory does."""
    one = request(environment={"A": "1", "B": "2"}, cpu=1024, memory=2048)
    other = request(environment={"B": "2", "A": "1"}, cpu="1 vCPU", memory="2 GB")
    assert content_digest(one) == content_digest(other)
    assert content_digest(one) != content_digest(request(cpu=1024, memory=3072))
    assert content_digest(one).startswith("v1:") and len(content_digest(one)) == 67


def test_a_derived_spec_changes_only_what_it_gives() -> None:
    """From a described base: the image changes; roles, sidecars and logs stay the base's."""
    base = {
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/etl:7",
        "family": "etl",
        "revision": 7,
        "status": "ACTIVE",
        "registeredAt": "2026-11-01T00:00:00Z",
        "requiresAttributes": [{"name": "ecs.capability.execution-role-awslogs"}],
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": ROLE,
        "containerDefinitions": [
            {"name": "proxy", "image": "envoy:v1", "essential": False},
            {
                "name": "app",
                "image": "etl:1",
                "essential": True,
                "environment": [{"name": "MODE", "value": "batch"}],
            },
        ],
    }
    spec = TaskDefinitionSpec(base="etl", image="etl:2", environment={"DAY": "1"}, family="etl-v2")
    made = register_request(spec, DEFAULTS, base)
    assert made["family"] == "etl-v2" and made["executionRoleArn"] == ROLE
    assert not {"taskDefinitionArn", "revision", "status", "registeredAt"} & set(made)
    proxy, app = made["containerDefinitions"]
    assert proxy == {"name": "proxy", "image": "envoy:v1", "essential": False}
    assert app["image"] == "etl:2"
    assert app["environment"] == [
        {"name": "DAY", "value": "1"},
        {"name": "MODE", "value": "batch"},
    ]
    assert (made["cpu"], made["memory"]) == ("512", "1024")


def test_a_derived_spec_names_a_container_the_base_lacks() -> None:
    """Deriving for a container the base does not have names the containers it has."""
    base = {"containerDefinitions": [{"name": "app", "image": "etl:1", "essential": True}]}
    spec = TaskDefinitionSpec(base="etl", image="etl:2", container_name="web", family="x")
    with pytest.raises(EcsSpecError, match=r"container_name: .* no container 'web'.*'app'"):
        register_request(spec, DEFAULTS, base)


def test_every_fargate_size_passes_and_its_neighbours_do_not() -> None:
    """Each documented Fargate cpu/memory pair is accepted; just past either end is not."""
    for cpu, memories in FARGATE_SIZES.items():
        for memory in memories:
            request(cpu=cpu, memory=memory)
        for memory in (memories[0] - 1, memories[-1] + 1, memories[-1] + 1024):
            with pytest.raises(EcsSpecError, match=f"memory: Fargate with cpu {cpu}"):
                request(cpu=cpu, memory=memory)


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"cpu": 300}, "cpu", "Fargate takes 256, 512"),
        ({"cpu": 256, "memory": 4096}, "memory", "512, 1024, 2048"),
        ({"cpu": 1024, "memory": 1500}, "memory", "2048..8192 in steps of 1024"),
        ({"cpu": "half a core"}, "cpu", "'2 vCPU'"),
        ({"memory": 0}, "memory", "positive"),
        ({"image": "Python:3.12"}, "image", "lowercase repository"),
        ({"image": "python 3.12"}, "image", "image reference"),
        ({"image": "a" * 256}, "image", "at most 255"),
        ({"task_role_arn": "etl-task"}, "task_role_arn", "IAM role ARN"),
        ({"execution_role_arn": "arn:aws:iam::1:role/x"}, "execution_role_arn", "IAM role ARN"),
        ({"secrets": {"DB": "arn:aws:s3:::bucket/key"}}, "secrets[DB]", "Secrets Manager"),
        ({"secrets": {"DB": "has spaces"}}, "secrets[DB]", "SSM parameter name"),
        (
            {"secrets": {"A": "/p"}, "environment": {"A": "x"}},
            "secrets",
            "also in environment",
        ),
        ({"command": "python -m etl"}, "command", "not a string"),
        ({"environment": {"A": 1}}, "environment[A]", "must be a string"),
        ({"container_memory": 1024}, "container_memory", "<= the task's memory (512 MiB)"),
        ({"container_cpu": 512}, "container_cpu", "<= the task's cpu (256)"),
        ({"ephemeral_storage_gib": 10}, "ephemeral_storage_gib", "21..200"),
        ({"network_mode": "bridge"}, "network_mode", "awsvpc on Fargate"),
        ({"cpu_architecture": "arm"}, "cpu_architecture", "X86_64, ARM64"),
        ({"log_group": "bad group"}, "log_group", "log group name"),
        ({"log_stream_prefix": "a:b"}, "log_stream_prefix", "without ':'"),
        ({"log_configuration": {"logDriver": "stdout"}}, "log_configuration", "logDriver"),
        ({"container_name": "my app"}, "container_name", "letters, digits"),
        ({"family": "etl:3"}, "family", "letters, digits"),
        ({"requires_compatibilities": ["LAMBDA"]}, "requires_compatibilities", "must name"),
        ({"environment": {"BIG": "x" * 70_000}}, "task_definition_spec", "64 KiB"),
    ],
)
def test_a_bad_spec_names_its_field(changes: dict[str, Any], field: str, problem: str) -> None:
    """Input ECS would refuse (or that could not start) raises EcsSpecError naming the field."""
    with pytest.raises(EcsSpecError) as raised:
        request(**changes)
    assert raised.value.field == f"task_definition_spec.{field}".removesuffix(
        ".task_definition_spec"
    )
    assert problem in raised.value.problem
    assert "x" * 100 not in str(raised.value)  # values are not echoed


def test_fargate_needs_an_execution_role_for_logs_secrets_and_ecr() -> None:
    """Without an execution role, awslogs on Fargate, secrets and ECR images are refused."""
    no_role = TaskDefinitionDefaults(log_group="/ecs/etl", log_region="eu-west-1")
    with pytest.raises(EcsSpecError, match="execution_role_arn: is required for awslogs"):
        register_request(SPEC, no_role)
    ecr = dataclasses.replace(SPEC, image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:1")
    with pytest.raises(EcsSpecError, match="an ECR image on Fargate"):
        register_request(ecr, TaskDefinitionDefaults())
    register_request(SPEC, TaskDefinitionDefaults())  # no logs, public image: no role needed


def test_ec2_tasks_need_some_memory() -> None:
    """An EC2 task definition without task or container memory is refused, naming memory."""
    ec2 = dataclasses.replace(
        SPEC, requires_compatibilities=["EC2"], network_mode="bridge", memory=None
    )
    made = register_request(ec2, TaskDefinitionDefaults())
    assert made["memory"] == "512"  # the default size still applies
    base = {"containerDefinitions": [{"name": "app", "image": "etl:1", "essential": True}]}
    bare = TaskDefinitionSpec(base="b", family="f", requires_compatibilities=["EC2"])
    with pytest.raises(EcsSpecError, match="memory: is required"):
        register_request(bare, TaskDefinitionDefaults(), base)


def test_image_references_follow_dockers_grammar() -> None:
    """Registry hosts with ports, paths, tags and digests are accepted."""
    digest = "sha256:" + "a" * 64
    for image in (
        "busybox",
        "localhost:5000/team/etl:1.0-rc_2",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl@" + digest,
        "ghcr.io/org/etl:latest@" + digest,
    ):
        request(image=image, execution_role_arn=ROLE)


def test_family_is_the_prefix_and_name_in_ecs_characters() -> None:
    """Characters ECS refuses become '-'; a name past 255 is cut and keeps a digest."""
    assert derive_family("dagster-", "daily_events") == "dagster-daily_events"
    assert derive_family("dagster-", "a.b/c") == "dagster-a-b-c"
    long_one, long_two = derive_family("p-", "x" * 300), derive_family("p-", "x" * 301)
    assert len(long_one) == 255 and long_one != long_two


def test_a_spec_without_family_or_image_is_refused() -> None:
    """A spec from scratch needs an image; resolving it needs a family."""
    with pytest.raises(EcsSpecError, match="image: is required"):
        request(image=None)
    with pytest.raises(EcsSpecError, match="family"):
        request(family=None)


def test_a_spec_naming_its_log_group_keeps_region_and_family_prefix() -> None:
    """A spec's own log_group, with no log group on the resource, still logs with the
    resource's region and the family as stream prefix (so its streams can be found)."""
    defaults = TaskDefinitionDefaults(log_region="eu-west-1", execution_role_arn=ROLE)
    made = register_request(dataclasses.replace(SPEC, log_group="/ecs/own"), defaults)
    [container] = made["containerDefinitions"]
    assert container["logConfiguration"]["options"] == {
        "awslogs-group": "/ecs/own",
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "etl",
    }
