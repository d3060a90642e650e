"""Malformed configuration and calls are refused before any AWS call, naming field and limit."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, job
from pydantic import ValidationError

from ecs_pipelines.cli.main import main as cli
from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.conftest import ApiCalls

SECRET = "s3cr3t-value-never-echoed"

RESOURCE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("poll interval zero", {"poll_interval_seconds": 0}, "poll_interval_seconds"),
    ("negative missing grace", {"missing_grace_seconds": -1}, "missing_grace_seconds"),
    ("no attempts", {"max_attempts": 0}, "max_attempts"),
    ("negative capacity budget", {"capacity_retry_seconds": -1}, "capacity_retry_seconds"),
    ("unknown launch type", {"launch_type": "SPOT"}, "launch_type"),
    (
        "launch type and strategy",
        {"launch_type": "FARGATE", "capacity_provider_strategy": [{"capacity_provider": "X"}]},
        "capacity_provider_strategy",
    ),
    ("propagate SERVICE", {"propagate_tags": "SERVICE"}, "propagate_tags"),
    ("empty cluster", {"cluster": ""}, "cluster"),
    ("started_by with space", {"started_by": "nightly run"}, "started_by"),
    ("started_by too long", {"started_by": "a" * 129}, "started_by"),
    ("security groups without subnets", {"security_groups": ["sg-1"]}, "security_groups"),
    ("too many subnets", {"subnets": [f"subnet-{i}" for i in range(17)]}, "subnets"),
    ("51 tags", {"tags": {f"k{i}": "v" for i in range(51)}}, "tags"),
    ("reserved tag prefix", {"tags": {"aws:owner": "me"}}, "aws:"),
    ("tag value too long", {"tags": {"team": "x" * 257}}, "256"),
    (
        "strategy weight too big",
        {"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1001}]},
        "weight",
    ),
    (
        "platform version on EC2",
        {"launch_type": "EC2", "platform_version": "1.4.0"},
        "platform_version",
    ),
]


@pytest.mark.parametrize(
    ("fields", "named"), [c[1:] for c in RESOURCE_CASES], ids=[c[0] for c in RESOURCE_CASES]
)
def test_bad_resource_setting_is_refused_when_built(fields: dict[str, Any], named: str) -> None:
    """A resource with a setting ECS would refuse fails to build, naming the setting."""
    with pytest.raises(ValidationError) as raised:
        EcsResource(aws_secret_access_key=SECRET, **fields)
    assert named in str(raised.value)
    assert SECRET not in str(raised.value)


CALL_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("count zero", {"count": 0}, "count"),
    ("count eleven", {"count": 11}, "count"),
    ("count not an int", {"count": True}, "count"),
    ("client token too long", {"client_token": "t" * 65}, "client_token"),
    ("client token with space", {"client_token": "a b"}, "client_token"),
    ("capacity budget past a day", {"capacity_retry_seconds": 86_401}, "0..86400"),
    ("capacity budget as text", {"capacity_retry_seconds": "5m"}, "capacity_retry_seconds"),
    ("unknown option", {"launchTypo": "FARGATE"}, "launchTypo"),
    ("unknown overrides key", {"overrides": {"containerOverride": []}}, "overrides"),
    (
        "memory reservation above memory",
        {
            "overrides": {
                "containerOverrides": [{"name": "main", "memory": 256, "memoryReservation": 512}]
            }
        },
        "memory",
    ),
    (
        "ephemeral storage too small",
        {"overrides": {"ephemeralStorage": {"sizeInGiB": 20}}},
        "ephemeral",
    ),
    ("task cpu not a size", {"overrides": {"cpu": "lots"}}, "task_cpu"),
    (
        "overrides past 8192 characters",
        {"environment": {"BIG": SECRET * 400}},
        "8192",
    ),
    (
        "placement on Fargate",
        {"placementConstraints": [{"type": "distinctInstance"}]},
        "placement_constraints",
    ),
    ("per-call tags past the limit", {"tags": {f"t{i}": "v" for i in range(51)}}, "tags"),
    ("started_by with a dot", {"started_by": "dagster.run"}, "started_by"),
    # Shapes that used to be coerced into something else instead of refused.
    ("command as one string", {"command": "echo hi"}, "command"),
    ("subnets as one string", {"subnets": "subnet-1"}, "subnets"),
    (
        "awsvpc subnets as one string",
        {"networkConfiguration": {"awsvpcConfiguration": {"subnets": "subnet-1"}}},
        "networkConfiguration.awsvpcConfiguration.subnets",
    ),
    (
        "assignPublicIp lowercase",
        {
            "networkConfiguration": {
                "awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "enabled"}
            }
        },
        "assignPublicIp",
    ),
    ("networkConfiguration not an object", {"networkConfiguration": ["subnet-1"]}, "network"),
    ("tag value None", {"tags": {"team": None}}, "tags[team]"),
    ("tag list item without key", {"tags": [{"value": "x"}]}, "tags"),
    ("environment value not a string", {"environment": {"PORT": 8080}}, "environment[PORT]"),
    ("overrides not an object", {"overrides": "cpu=1"}, "overrides"),
    (
        "containerOverrides not a list",
        {"overrides": {"containerOverrides": {"name": "main"}}},
        "containerOverrides",
    ),
    (
        "containerOverrides item without name",
        {"overrides": {"containerOverrides": [{"command": ["true"]}]}},
        "containerOverrides[0].name",
    ),
    (
        "override environment item without name",
        {"overrides": {"containerOverrides": [{"name": "main", "environment": [{"value": "1"}]}]}},
        "environment[0].name",
    ),
    (
        "override command as one string",
        {"overrides": {"containerOverrides": [{"name": "main", "command": "echo hi"}]}},
        "command",
    ),
    ("ephemeralStorage not an object", {"overrides": {"ephemeralStorage": 30}}, "ephemeralStorage"),
]


@pytest.mark.parametrize(
    ("kwargs", "named"), [c[1:] for c in CALL_CASES], ids=[c[0] for c in CALL_CASES]
)
def test_bad_run_task_call_makes_no_aws_call(
    counted_ecs: tuple[EcsResource, ApiCalls], kwargs: dict[str, Any], named: str
) -> None:
    """run_task with input ECS would refuse raises EcsSpecError naming it, and calls nothing."""
    ecs, calls = counted_ecs
    kwargs = {"command": ["python", "-c", "print(1)"], **kwargs}
    with pytest.raises(EcsSpecError) as raised:
        ecs.run_task(**kwargs)
    assert named in str(raised.value)
    assert SECRET not in str(raised.value)
    assert calls.total == 0


def test_exec_without_task_role_is_refused_before_run_task(
    counted_ecs: tuple[EcsResource, ApiCalls],
) -> None:
    """ECS Exec on a definition without a task role names the role; RunTask is never called."""
    ecs, calls = counted_ecs
    with pytest.raises(EcsSpecError, match="task role"):
        ecs.run_task(task_definition="ecs-pipelines-no-role", enable_execute_command=True)
    assert calls.counts["RunTask"] == 0


def run_with_config(ecs: EcsResource, config: dict[str, Any]) -> Any:
    op_def = ecs_task_op("configured", command=["python", "-c", "print(1)"])

    @job(resource_defs={"ecs": ecs})
    def configured_job() -> None:
        op_def()

    return configured_job.execute_in_process(
        run_config={"ops": {"configured": {"config": config}}},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"count": 0}, "count"),
        ({"count": 12}, "count"),
        ({"cpu": -5}, "cpu"),
        ({"memory": 0}, "memory"),
    ],
    ids=["count 0", "count 12", "negative cpu", "zero memory"],
)
def test_bad_launchpad_config_fails_the_step_before_run_task(
    counted_ecs: tuple[EcsResource, ApiCalls], config: dict[str, Any], named: str
) -> None:
    """Launchpad config outside ECS limits fails the step naming the field; no RunTask."""
    ecs, calls = counted_ecs
    result = run_with_config(ecs, config)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert named in failure.step_failure_data.error.to_string()
    assert calls.counts["RunTask"] == 0


def test_wrongly_typed_launchpad_config_is_refused_at_launch(ecs: EcsResource) -> None:
    """A count that is not an integer is refused by Dagster's config check before the run."""
    from dagster import DagsterInvalidConfigError

    with pytest.raises(DagsterInvalidConfigError, match="count"):
        run_with_config(ecs, {"count": "three"})


@pytest.mark.parametrize(
    "args",
    [
        ["tasks", "--status", "BOGUS"],
        ["tasks", "--started-by", "not valid!"],
        ["logs", "some-task", "--tail", "-1"],
        ["exec", "some-task"],
        ["stop"],
    ],
    ids=[
        "bad status",
        "bad started-by",
        "negative tail",
        "exec without command",
        "stop without task",
    ],
)
def test_bad_cli_arguments_exit_2(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Malformed CLI arguments are a usage error (exit 2) with a message, before any call."""
    monkeypatch.setenv("ECS_PIPELINES_ENDPOINT_URL", "http://127.0.0.1:9")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Error" in result.output or "Usage" in result.output


def test_factories_refuse_bad_or_unknown_step_options() -> None:
    """A factory given a step option ECS would refuse, or one that does not exist, fails when
    the definitions load, naming the option."""
    from ecs_pipelines.integration.assets import ecs_task_asset

    with pytest.raises(EcsSpecError, match="command"):
        ecs_task_op("one_string", command="echo hi")
    with pytest.raises(EcsSpecError, match="timeout_seconds"):
        ecs_task_asset("negative", timeout_seconds=-5)
    with pytest.raises(EcsSpecError, match="started_by"):
        ecs_task_op("dotted", started_by="nightly.run")
    with pytest.raises(TypeError, match="cpuu"):
        ecs_task_op("typo", cpuu=256)
