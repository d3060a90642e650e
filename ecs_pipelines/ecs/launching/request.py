"""Pure: one launch as a caller asks for it, and the TaskLaunchSpec it becomes.

``LaunchRequest`` holds run_task's arguments. ``build_launch_spec`` puts them on top of the
resource's defaults, sends command and environment to the right container (the named one, else
the task definition's first essential container), names the secret variables in a task tag,
and refuses ECS Exec on a task definition without a task role, all before any RunTask.

A request may describe its task definition in code (``task_definition_spec``) instead of
naming one; the caller resolves it to a revision (``task_definitions``) and launches
``request.with_task_definition(arn)``. Until then ``checkable()`` stands a placeholder in for
it, so that every other argument is checked before any call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import EcsSpecError, environment_map, secret_names_tag
from ecs_pipelines.ecs.exec import required_task_role_problem
from ecs_pipelines.ecs.launching.arguments import build_spec, tags_to_dict
from ecs_pipelines.ecs.launching.spec import TaskLaunchSpec
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec
from ecs_pipelines.ecs.tasks import first_essential_container

# Stands in for the container until the task definition says which one is first essential:
# every other argument can be checked before that lookup.
_PLACEHOLDER_CONTAINER = "main"
# Stands in for the revision a task definition spec will resolve to.
_PLACEHOLDER_TASK_DEFINITION = "code-defined"


@dataclass(frozen=True)
class LaunchRequest:
    """run_task's arguments; None means "the resource's default"."""

    task_definition: str | None = None
    command: Sequence[str] | None = None
    environment: Mapping[str, str] | None = None
    secret_environment: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Any] | None = None
    count: int | None = None
    started_by: str | None = None
    tags: Mapping[str, str] | None = None
    client_token: str | None = None
    enable_execute_command: bool | None = None
    container_name: str | None = None
    task_definition_spec: TaskDefinitionSpec | None = None
    run_task_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = self.task_definition_spec
        if spec is None:
            return
        if not isinstance(spec, TaskDefinitionSpec):
            raise EcsSpecError(
                "task_definition_spec", f"must be a TaskDefinitionSpec, got {type(spec).__name__}"
            )
        if self.task_definition is not None:
            raise EcsSpecError(
                "task_definition",
                "give task_definition or task_definition_spec, not both (to change a "
                "registered one, TaskDefinitionSpec(base=...))",
            )

    def checkable(self) -> LaunchRequest:
        """This request with a placeholder for a task definition still to be resolved."""
        if self.task_definition_spec is None:
            return self
        return dataclasses.replace(
            self, task_definition_spec=None, task_definition=_PLACEHOLDER_TASK_DEFINITION
        )

    def with_task_definition(self, task_definition: str) -> LaunchRequest:
        """This request launching ``task_definition`` (the revision its spec resolved to)."""
        return dataclasses.replace(self, task_definition_spec=None, task_definition=task_definition)

    def with_secrets(self, secrets: Mapping[str, str]) -> LaunchRequest:
        """This request with more secret variables (the call's own win on a shared name)."""
        if not secrets:
            return self
        merged = {**environment_map("secret_environment", secrets), **self.secret_environment}
        return dataclasses.replace(self, secret_environment=merged)

    def environment_with_secrets(self) -> dict[str, str] | None:
        if self.environment is None and not self.secret_environment:
            return None
        environment = (
            {} if self.environment is None else environment_map("environment", self.environment)
        )
        return {**self.secret_environment, **environment}

    def needs_definition(self, spec: TaskLaunchSpec) -> bool:
        """True when the task definition must be read: to pick the container, or for Exec."""
        targets_container = self.command is not None or self.environment_with_secrets() is not None
        return (targets_container and not self.container_name) or spec.enable_execute_command


def build_launch_spec(
    defaults: Mapping[str, Any],
    request: LaunchRequest,
    *,
    definition: Mapping[str, Any] | None,
) -> TaskLaunchSpec:
    """The spec for ``request`` on top of ``defaults``. Without ``definition`` a placeholder
    container stands in (for checking); with it, the container and the task role are known."""
    call: dict[str, Any] = dict(request.run_task_kwargs)
    for name in (
        "task_definition",
        "count",
        "started_by",
        "client_token",
        "enable_execute_command",
    ):
        value = getattr(request, name)
        if value is not None:
            call[name] = value
    tags = tags_to_dict(request.tags) if request.tags is not None else {}
    if request.secret_environment:
        environment_map("secret_environment", request.secret_environment)
        tags.update(secret_names_tag(request.secret_environment))
    if tags:
        call["tags"] = {**tags_to_dict(call.get("tags")), **tags}
    container = request.container_name
    if container is None and definition is not None:
        container = first_essential_container(definition)
        if container is None:
            raise EcsSpecError("container_name", "the task definition has no containers")
    spec = build_spec(
        defaults,
        container_name=container or _PLACEHOLDER_CONTAINER,
        command=request.command,
        environment=request.environment_with_secrets(),
        overrides=request.overrides,
        extra=call,
    )
    if spec.enable_execute_command and definition is not None:
        problem = required_task_role_problem(definition, spec.task_role_arn)
        if problem:
            raise EcsSpecError("enable_execute_command", problem)
    return spec
