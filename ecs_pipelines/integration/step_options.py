"""The Launchpad config of an ECS op or asset: every field described, defaults per factory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import Field, Map, Noneable

from ecs_pipelines.integration.step_runner import StepTaskRequest


def task_config_schema(
    *,
    task_definition: str | None = None,
    command: Sequence[str] | None = None,
    environment: Mapping[str, str] | None = None,
    cpu: int | None = None,
    memory: int | None = None,
    count: int = 1,
    enable_execute_command: bool | None = None,
    timeout_seconds: float | None = None,
    detached: bool | None = None,
) -> dict[str, Field]:
    """Config fields shown in the Launchpad; the defaults are the factory's arguments, and an
    unset field falls back to the EcsResource's setting. ``detached=None`` leaves the detached
    field out (an asset built to wait cannot finish without materialising)."""
    fields = {
        "task_definition": Field(
            Noneable(str),
            default_value=task_definition,
            description="Task definition (family, family:revision or ARN). Unset: the resource's.",
        ),
        "command": Field(
            Noneable([str]),
            default_value=list(command) if command is not None else None,
            description="Container command override, one list item per argument. Unset: the "
            "task definition's command.",
        ),
        "environment": Field(
            Map(str, str),
            default_value=dict(environment or {}),
            description="Extra environment variables for the container (not for secrets: use "
            "the task definition's `secrets`).",
        ),
        "secret_environment_from": Field(
            Map(str, str),
            default_value={},
            description="Secret container variables, read at launch from the run worker's "
            'environment: {"DB_PASSWORD": "PROD_DB_PASSWORD"} passes the value of '
            "PROD_DB_PASSWORD as DB_PASSWORD. Values are never logged or put in metadata; "
            "prefer the task definition's `secrets` (SSM / Secrets Manager).",
        ),
        "cpu": Field(
            Noneable(int),
            default_value=cpu,
            description="Container CPU units override (1024 = 1 vCPU). Unset: the definition's.",
        ),
        "memory": Field(
            Noneable(int),
            default_value=memory,
            description="Container memory hard limit override in MiB. Unset: the definition's.",
        ),
        "count": Field(int, default_value=count, description="Number of tasks to run, 1..10."),
        "enable_execute_command": Field(
            Noneable(bool),
            default_value=enable_execute_command,
            description="Launch with ECS Exec enabled. Unset: the resource's setting.",
        ),
        "timeout_seconds": Field(
            Noneable(float),
            default_value=timeout_seconds,
            description="Stop the task(s) and fail the step after this many seconds. Unset: wait.",
        ),
    }
    if detached is not None:
        fields["detached"] = Field(
            bool,
            default_value=detached,
            description="Launch the task(s) and finish the step at once; a completion sensor "
            "reports the end of the task(s). False: wait for them in the step.",
        )
    return fields


def request_from_config(config: Mapping[str, Any], container_name: str | None) -> StepTaskRequest:
    return StepTaskRequest(
        task_definition=config.get("task_definition"),
        container_name=container_name,
        command=config.get("command"),
        environment=dict(config.get("environment") or {}),
        secret_environment_from=dict(config.get("secret_environment_from") or {}),
        cpu=config.get("cpu"),
        memory=config.get("memory"),
        count=config.get("count", 1),
        enable_execute_command=config.get("enable_execute_command"),
        timeout_seconds=config.get("timeout_seconds"),
        detached=bool(config.get("detached", False)),
    )
