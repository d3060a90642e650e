"""Launch settings: their check and their translation to RunTask's request."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.launching.checking import check_launch
from ecs_pipelines.ecs.launching.run_task_request import build_request
from ecs_pipelines.ecs.launching.settings import ContainerOverride, LaunchSettings
from ecs_pipelines.ecs.launching.tokens import derive_client_token

SECRET = "s3cr3t-VALUE-do-not-print"
BASE = LaunchSettings(cluster="demo", task_definition="job:3")


def spec(**changes: Any) -> LaunchSettings:
    return dataclasses.replace(BASE, **changes)


def validate(settings: LaunchSettings) -> None:
    check_launch(settings)


def to_run_task_kwargs(settings: LaunchSettings) -> Any:
    """RunTask's request for settings naming their task definition: checked, then built."""
    check_launch(settings)
    assert settings.task_definition is not None
    return build_request(settings, task_definition=settings.task_definition, container=None)


def main(**changes: Any) -> tuple[ContainerOverride, ...]:
    return (ContainerOverride(name="main", **changes),)


GOOD = {
    "cluster ARN with a 255-char name": spec(
        cluster="arn:aws:ecs:us-east-1:123456789012:cluster/" + "c" * 255
    ),
    "task definition ARN": spec(
        task_definition="arn:aws:ecs:us-east-1:123456789012:task-definition/job:*"
    ),
    "count 10": spec(count=10),
    "started_by at 128 chars": spec(started_by="a/B_9-" * 21 + "ab"),
    "group at 255 chars": spec(group="family:" + "g" * 248),
    "50 tags at the length limits": spec(
        tags={f"k{i}": "v" for i in range(49)} | {"K" * 128: "V" * 256}
    ),
    "tag with unicode, space and punctuation": spec(tags={"Équipe data": "a+b=c @x/y:z_1.2-3"}),
    "empty tag value": spec(tags={"flag": ""}),
    "each launch type": spec(launch_type="EXTERNAL"),
    "Fargate with platform version": spec(launch_type="FARGATE", platform_version="1.4.0"),
    "platform version with cluster default strategy": spec(platform_version="LATEST"),
    "20 providers, base 0 on each": spec(
        capacity_provider_strategy=[
            {"capacityProvider": f"cp{i}", "weight": 1, "base": 0} for i in range(20)
        ]
    ),
    "Fargate Spot strategy with one base": spec(
        capacity_provider_strategy=[
            {"capacityProvider": "FARGATE", "base": 100000, "weight": 0},
            {"capacityProvider": "FARGATE_SPOT", "weight": 1000},
        ],
        platform_version="1.4.0",
    ),
    "single provider with weight 0": spec(
        capacity_provider_strategy=[{"capacityProvider": "FARGATE", "weight": 0}]
    ),
    "16 subnets, 5 groups, public IP off": spec(
        subnets=[f"subnet-{i}" for i in range(16)],
        security_groups=[f"sg-{i}" for i in range(5)],
        assign_public_ip=False,
    ),
    "EC2 placement at the limits": spec(
        launch_type="EC2",
        placement_constraints=[{"type": "distinctInstance"}]
        + [{"type": "memberOf", "expression": "attribute:x == y"}] * 9,
        placement_strategy=[{"type": "spread", "field": "host"}] * 4 + [{"type": "random"}],
    ),
    "propagate tags from the task definition": spec(propagate_tags="TASK_DEFINITION"),
    "propagate tags NONE": spec(propagate_tags="NONE"),
    "container cpu 0 and memory equal to reservation": spec(
        container_overrides=main(cpu=0, memory=512, memory_reservation=512)
    ),
    "empty command list": spec(container_overrides=main(command=[])),
    "empty environment value": spec(container_overrides=main(environment={"EMPTY": ""})),
    "task sizes in units": spec(task_cpu="1024", task_memory="2048"),
    "task sizes in vCPU and GB": spec(task_cpu="0.25 vCPU", task_memory="2GB"),
    "ephemeral storage 21": spec(ephemeral_storage_gib=21),
    "ephemeral storage 200": spec(ephemeral_storage_gib=200),
    "client token of 64 printable chars": spec(client_token="!~" * 32),
    "reference id at 1024": spec(reference_id="r" * 1024),
    "execute command with managed tags": spec(
        enable_execute_command=True, enable_ecs_managed_tags=False
    ),
    "EBS volume configuration": spec(
        volume_configurations=[{"name": "data", "managedEBSVolume": {"roleArn": "arn:r"}}]
    ),
}


@pytest.mark.parametrize("good", list(GOOD.values()), ids=list(GOOD))
def test_valid_specs_pass(good: LaunchSettings) -> None:
    """Specs at or inside every real ECS limit validate and translate without error."""
    validate(good)
    assert to_run_task_kwargs(good)["cluster"] == good.cluster


# (spec, field named in the message, fragment naming the limit or the rule)
BAD: dict[str, tuple[LaunchSettings, str, str]] = {
    "empty cluster": (spec(cluster=""), "cluster", "non-empty"),
    "cluster name too long": (spec(cluster="c" * 256), "cluster", "255"),
    "ARN whose name is too long": (
        spec(cluster="arn:aws:ecs:r:1:cluster/" + "c" * 256),
        "cluster",
        "255",
    ),
    "empty task definition": (spec(task_definition=""), "task_definition", "non-empty"),
    "count 0": (spec(count=0), "count", "1..10"),
    "count 11": (spec(count=11), "count", "1..10"),
    "count True": (spec(count=True), "count", "1..10"),
    "started_by too long": (spec(started_by="a" * 129), "started_by", "128"),
    "started_by with a space": (spec(started_by="my job"), "started_by", "'-', '/' and '_'"),
    "started_by with a dot": (spec(started_by="v1.2"), "started_by", "128"),
    "group too long": (spec(group="g" * 256), "group", "255"),
    "51 tags": (spec(tags={f"k{i}": "v" for i in range(51)}), "tags", "50"),
    "tag key too long": (spec(tags={"k" * 129: "v"}), "tags", "1..128"),
    "empty tag key": (spec(tags={"": "v"}), "tags", "1..128"),
    "tag value too long": (spec(tags={"k": "v" * 257}), "tags[k]", "256"),
    "reserved aws: key": (spec(tags={"AWS:owner": "me"}), "tags[AWS:owner]", "reserved"),
    "tag key with a comma": (spec(tags={"a,b": "v"}), "tags[a,b]", "_ . : / = + - @"),
    "unknown launch type": (spec(launch_type="LAMBDA"), "launch_type", "EC2, FARGATE, EXTERNAL"),
    "launch type and strategy": (
        spec(launch_type="FARGATE", capacity_provider_strategy=[{"capacityProvider": "FARGATE"}]),
        "launch_type",
        "capacity_provider_strategy",
    ),
    "21 providers": (
        spec(
            capacity_provider_strategy=[
                {"capacityProvider": f"p{i}", "weight": 1} for i in range(21)
            ]
        ),
        "capacity_provider_strategy",
        "20",
    ),
    "provider without a name": (
        spec(capacity_provider_strategy=[{"weight": 1}]),
        "capacity_provider_strategy[0].capacityProvider",
        "non-empty",
    ),
    "weight 1001": (
        spec(capacity_provider_strategy=[{"capacityProvider": "p", "weight": 1001}]),
        "capacity_provider_strategy[0].weight",
        "0..1000",
    ),
    "base 100001": (
        spec(capacity_provider_strategy=[{"capacityProvider": "p", "base": 100001}]),
        "capacity_provider_strategy[0].base",
        "0..100000",
    ),
    "two bases": (
        spec(
            capacity_provider_strategy=[
                {"capacityProvider": "a", "base": 1, "weight": 1},
                {"capacityProvider": "b", "base": 2, "weight": 1},
            ]
        ),
        "capacity_provider_strategy",
        "one item",
    ),
    "all weights zero": (
        spec(capacity_provider_strategy=[{"capacityProvider": "a"}, {"capacityProvider": "b"}]),
        "capacity_provider_strategy",
        "weight > 0",
    ),
    "misspelt strategy key": (
        spec(capacity_provider_strategy=[{"capacity_provider": "a"}]),
        "capacity_provider_strategy[0]",
        "allowed: capacityProvider, weight, base",
    ),
    "platform version on EC2": (
        spec(launch_type="EC2", platform_version="LATEST"),
        "platform_version",
        "Fargate",
    ),
    "empty platform version": (spec(platform_version=""), "platform_version", "non-empty"),
    "security groups without subnets": (
        spec(security_groups=["sg-1"]),
        "security_groups",
        "subnets",
    ),
    "public IP without subnets": (spec(assign_public_ip=True), "assign_public_ip", "subnets"),
    "17 subnets": (spec(subnets=[f"s{i}" for i in range(17)]), "subnets", "16"),
    "6 security groups": (
        spec(subnets=["s"], security_groups=[f"g{i}" for i in range(6)]),
        "security_groups",
        "5",
    ),
    "subnets as one string": (spec(subnets="subnet-1"), "subnets", "list of strings"),
    "11 placement constraints": (
        spec(placement_constraints=[{"type": "distinctInstance"}] * 11),
        "placement_constraints",
        "10",
    ),
    "6 placement strategies": (
        spec(placement_strategy=[{"type": "random"}] * 6),
        "placement_strategy",
        "5",
    ),
    "placement on Fargate": (
        spec(launch_type="FARGATE", placement_strategy=[{"type": "random"}]),
        "placement_strategy",
        "FARGATE",
    ),
    "unknown constraint type": (
        spec(placement_constraints=[{"type": "sameHost"}]),
        "placement_constraints[0].type",
        "distinctInstance, memberOf",
    ),
    "expression on distinctInstance": (
        spec(placement_constraints=[{"type": "distinctInstance", "expression": "x"}]),
        "placement_constraints[0].expression",
        "distinctInstance",
    ),
    "expression too long": (
        spec(placement_constraints=[{"type": "memberOf", "expression": "x" * 2001}]),
        "placement_constraints[0].expression",
        "2000",
    ),
    "propagate SERVICE": (spec(propagate_tags="SERVICE"), "propagate_tags", "RunTask"),
    "propagate unknown": (spec(propagate_tags="ALL"), "propagate_tags", "TASK_DEFINITION, NONE"),
    "override without a name": (
        spec(container_overrides=(ContainerOverride(name=""),)),
        "container_overrides[0].name",
        "required",
    ),
    "duplicate override": (
        spec(container_overrides=main() + main()),
        "container_overrides[1].name",
        "duplicate",
    ),
    "command as one string": (
        spec(container_overrides=main(command="echo hi")),
        "container_overrides[main].command",
        "list of strings",
    ),
    "command with a number": (
        spec(container_overrides=main(command=["sleep", 5])),
        "container_overrides[main].command[1]",
        "string",
    ),
    "empty environment name": (
        spec(container_overrides=main(environment={"": "x"})),
        "container_overrides[main].environment",
        "non-empty",
    ),
    "negative cpu": (
        spec(container_overrides=main(cpu=-1)),
        "container_overrides[main].cpu",
        ">= 0",
    ),
    "memory 0": (
        spec(container_overrides=main(memory=0)),
        "container_overrides[main].memory",
        ">= 1",
    ),
    "reservation above memory": (
        spec(container_overrides=main(memory=256, memory_reservation=512)),
        "container_overrides[main].memory_reservation",
        "<= memory (256 MiB)",
    ),
    "overrides over 8192 characters": (
        spec(container_overrides=main(environment={"BIG": "x" * 8200})),
        "container_overrides",
        "8192",
    ),
    "task cpu as words": (spec(task_cpu="one"), "task_cpu", "vCPU"),
    "task cpu zero": (spec(task_cpu="0"), "task_cpu", "positive"),
    "task cpu zero vCPU": (spec(task_cpu="0 vCPU"), "task_cpu", "positive"),
    "fractional CPU units": (spec(task_cpu="1.5"), "task_cpu", "CPU units"),
    "task cpu trailing space": (spec(task_cpu="256 "), "task_cpu", "vCPU"),
    "task memory in MB suffix": (spec(task_memory="512 MB"), "task_memory", "GB"),
    "ephemeral 20": (spec(ephemeral_storage_gib=20), "ephemeral_storage_gib", "21..200"),
    "ephemeral 201": (spec(ephemeral_storage_gib=201), "ephemeral_storage_gib", "21..200"),
    "client token 65 chars": (spec(client_token="t" * 65), "client_token", "1..64"),
    "empty client token": (spec(client_token=""), "client_token", "1..64"),
    "client token with a space": (spec(client_token="a b"), "client_token", "33..126"),
    "execute command not a bool": (
        spec(enable_execute_command="yes"),
        "enable_execute_command",
        "true or false",
    ),
    "managed tags not a bool": (
        spec(enable_ecs_managed_tags=1),
        "enable_ecs_managed_tags",
        "true or false",
    ),
    "reference id too long": (spec(reference_id="r" * 1025), "reference_id", "1024"),
    "volume without a name": (
        spec(volume_configurations=[{"managedEBSVolume": {}}]),
        "volume_configurations[0].name",
        "non-empty",
    ),
}


@pytest.mark.parametrize(("bad", "field", "limit"), list(BAD.values()), ids=list(BAD))
def test_invalid_specs_name_field_and_limit(bad: LaunchSettings, field: str, limit: str) -> None:
    """Each broken limit raises EcsSpecError whose message names the field and the limit."""
    with pytest.raises(EcsSpecError) as caught:
        to_run_task_kwargs(bad)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert limit in str(caught.value)


SECRET_LEAKS = {
    "oversized overrides": main(environment={"TOKEN": SECRET * 400}),
    "non-string value beside a secret": main(environment={"TOKEN": SECRET, "N": 3}),
    "bad name beside a secret": main(environment={"TOKEN": SECRET, "": SECRET}),
    "bad reservation beside a secret": main(
        environment={"TOKEN": SECRET}, memory=1, memory_reservation=2
    ),
    "secret in a command beside a bad argument": main(command=["--password", SECRET, 1]),
    "secret as a one-string command": main(command=f"login --password {SECRET}"),
}


@pytest.mark.parametrize("overrides", list(SECRET_LEAKS.values()), ids=list(SECRET_LEAKS))
def test_error_messages_never_echo_environment_values(
    overrides: tuple[ContainerOverride, ...],
) -> None:
    """Environment values and command arguments never appear in a validation message."""
    with pytest.raises(EcsSpecError) as caught:
        validate(spec(container_overrides=overrides))
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_full_spec_translates_to_run_task_kwargs() -> None:
    """Every option lands under its RunTask name in the shape boto3 expects."""
    full = LaunchSettings(
        cluster="prod",
        task_definition="etl:7",
        container_overrides=(
            ContainerOverride(
                name="main",
                command=("python", "-m", "etl"),
                environment={"STAGE": "prod", "DEBUG": "0"},
                cpu=512,
                memory=2048,
                memory_reservation=1024,
            ),
            ContainerOverride(name="sidecar"),
        ),
        task_cpu="1 vCPU",
        task_memory="4 GB",
        task_role_arn="arn:aws:iam::1:role/task",
        execution_role_arn="arn:aws:iam::1:role/exec",
        ephemeral_storage_gib=50,
        count=3,
        started_by="dagster/run-1",
        group="etl",
        capacity_provider_strategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        platform_version="1.4.0",
        subnets=["subnet-a", "subnet-b"],
        security_groups=["sg-1"],
        assign_public_ip=True,
        tags={"team": "data", "dagster/run_id": "r1"},
        propagate_tags="TASK_DEFINITION",
        enable_execute_command=True,
        enable_ecs_managed_tags=True,
        volume_configurations=[{"name": "scratch", "managedEBSVolume": {"roleArn": "arn:r"}}],
        reference_id="ref-1",
        client_token="token-1",
    )
    assert to_run_task_kwargs(full) == {
        "cluster": "prod",
        "taskDefinition": "etl:7",
        "count": 3,
        "overrides": {
            "containerOverrides": [
                {
                    "name": "main",
                    "command": ["python", "-m", "etl"],
                    "environment": [
                        {"name": "STAGE", "value": "prod"},
                        {"name": "DEBUG", "value": "0"},
                    ],
                    "cpu": 512,
                    "memory": 2048,
                    "memoryReservation": 1024,
                },
                {"name": "sidecar"},
            ],
            "cpu": "1 vCPU",
            "memory": "4 GB",
            "taskRoleArn": "arn:aws:iam::1:role/task",
            "executionRoleArn": "arn:aws:iam::1:role/exec",
            "ephemeralStorage": {"sizeInGiB": 50},
        },
        "startedBy": "dagster/run-1",
        "group": "etl",
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        "platformVersion": "1.4.0",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "ENABLED",
            }
        },
        "tags": [{"key": "team", "value": "data"}, {"key": "dagster/run_id", "value": "r1"}],
        "propagateTags": "TASK_DEFINITION",
        "enableExecuteCommand": True,
        "enableECSManagedTags": True,
        "volumeConfigurations": [{"name": "scratch", "managedEBSVolume": {"roleArn": "arn:r"}}],
        "referenceId": "ref-1",
        "clientToken": "token-1",
    }


def test_full_kwargs_pass_botocore_parameter_validation() -> None:
    """botocore's own RunTask input validation accepts the kwargs of a full spec."""
    from botocore.session import get_session
    from botocore.validate import validate_parameters

    model = get_session().get_service_model("ecs").operation_model("RunTask").input_shape
    assert model is not None
    kwargs = to_run_task_kwargs(
        spec(
            container_overrides=main(command=["x"], environment={"A": "1"}, memory=64),
            task_memory="512",
            launch_type="EC2",
            subnets=["s"],
            assign_public_ip=False,
            placement_constraints=[{"type": "distinctInstance"}],
            placement_strategy=[{"type": "binpack", "field": "memory"}],
            tags={"k": "v"},
            enable_execute_command=True,
        )
    )
    validate_parameters(kwargs, model)


def test_minimal_spec_omits_every_unset_option() -> None:
    """A spec with only cluster and task definition yields just those and count."""
    assert to_run_task_kwargs(BASE) == {"cluster": "demo", "taskDefinition": "job:3", "count": 1}


def test_network_configuration_only_with_subnets_and_only_set_keys() -> None:
    """awsvpcConfiguration carries subnets alone when groups and public IP are unset."""
    kwargs = to_run_task_kwargs(spec(subnets=["subnet-a"]))
    assert kwargs["networkConfiguration"] == {"awsvpcConfiguration": {"subnets": ["subnet-a"]}}


def test_false_public_ip_becomes_disabled() -> None:
    """assign_public_ip=False is sent as DISABLED rather than left out."""
    kwargs = to_run_task_kwargs(spec(subnets=["s"], assign_public_ip=False))
    assert kwargs["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"


def test_task_level_overrides_without_container_overrides() -> None:
    """Task role or size overrides alone still produce an overrides block, without containers."""
    kwargs = to_run_task_kwargs(spec(task_role_arn="arn:role", ephemeral_storage_gib=30))
    assert kwargs["overrides"] == {"taskRoleArn": "arn:role", "ephemeralStorage": {"sizeInGiB": 30}}


def test_kwargs_do_not_alias_spec_collections() -> None:
    """Mutating the returned kwargs leaves the frozen spec's lists and mappings untouched."""
    original = spec(subnets=["s"], capacity_provider_strategy=[{"capacityProvider": "p"}])
    kwargs = to_run_task_kwargs(original)
    kwargs["networkConfiguration"]["awsvpcConfiguration"]["subnets"].append("t")
    kwargs["capacityProviderStrategy"][0]["weight"] = 5
    assert list(original.subnets) == ["s"]
    assert original.capacity_provider_strategy[0] == {"capacityProvider": "p"}


def test_derived_client_token_is_stable_and_valid() -> None:
    """derive_client_token gives the same valid 64-char token for the same parts."""
    parts = ("run-" + "x" * 100, "step/key", "partition 2024-01-01")
    token = derive_client_token(*parts)
    assert token == derive_client_token(*parts)
    assert len(token) == 64
    validate(spec(client_token=token))


def test_derived_client_token_separates_parts() -> None:
    """Different splits of the same characters give different tokens."""
    assert derive_client_token("ab", "c") != derive_client_token("a", "bc")
    assert derive_client_token("a") != derive_client_token("b")


def test_derive_client_token_needs_parts() -> None:
    """derive_client_token with no parts raises rather than returning a shared token."""
    with pytest.raises(EcsSpecError, match="client_token"):
        derive_client_token()
