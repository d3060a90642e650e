"""One launch, planned once: settings checked, task definition resolved, RunTask's request built.

``plan_launch`` takes the merged settings (``precedence.py``) and, in this order:

1. names the secret variables in a task tag (what masks them wherever the task is shown),
   then checks every option and every RunTask rule between them (``checking.py``), before
   any call;
2. resolves the task definition: a ``TaskDefinitionSpec`` becomes its revision (found or
   registered once, through ``resolve``); the definition is read (``describe``, cached per
   revision by the task client) only when it must pick the container or check ECS Exec's task
   role, or when the caller needs it (a step's log streams);
3. builds RunTask's request once, typed as boto3's ``RunTaskRequestTypeDef``.

``launch`` and ``launch_many`` take the plan. When the container was not known before the
read, the one rule that depends on its name (the overrides as sent) is checked for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.common import EcsSpecError, secret_names_tag
from ecs_pipelines.ecs.exec import required_task_role_problem
from ecs_pipelines.ecs.launching.checking import (
    PLACEHOLDER_CONTAINER,
    check_launch,
    check_placed_overrides,
)
from ecs_pipelines.ecs.launching.limits import DEFAULT_CAPACITY_RETRY_SECONDS
from ecs_pipelines.ecs.launching.run_task_request import build_request
from ecs_pipelines.ecs.launching.settings import LaunchSettings
from ecs_pipelines.ecs.task_definitions import ResolvedTaskDefinition, TaskDefinitionSpec
from ecs_pipelines.ecs.tasks import first_essential_container

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import RunTaskRequestTypeDef

DescribeTaskDefinition = Callable[[str], Mapping[str, Any]]
ResolveTaskDefinition = Callable[[TaskDefinitionSpec], ResolvedTaskDefinition]


@dataclass(frozen=True)
class LaunchPlan:
    """RunTask's request for one launch, and what was read to make it."""

    request: RunTaskRequestTypeDef
    container_name: str | None = None  # received command, environment, cpu and memory
    definition: Mapping[str, Any] | None = None  # the task definition, when it was read
    # How long refusals that pass are retried (``launcher.py``); not part of RunTask's request.
    capacity_retry_seconds: float = DEFAULT_CAPACITY_RETRY_SECONDS

    @property
    def cluster(self) -> str:
        return self.request.get("cluster", "default")

    @property
    def task_definition(self) -> str:
        return self.request["taskDefinition"]

    @property
    def count(self) -> int:
        return self.request.get("count", 1)

    @property
    def client_token(self) -> str | None:
        return self.request.get("clientToken")

    @property
    def enable_execute_command(self) -> bool:
        return self.request.get("enableExecuteCommand", False)

    def for_call(self, *, count: int, client_token: str) -> LaunchPlan:
        """This launch as one RunTask call of a fan-out: its own count and token."""
        request = self.request.copy()
        request["count"] = count
        request["clientToken"] = client_token
        return dataclasses.replace(self, request=request)


def plan_launch(
    settings: LaunchSettings,
    *,
    describe: DescribeTaskDefinition,
    resolve: ResolveTaskDefinition,
    read_definition: bool = False,
) -> LaunchPlan:
    """The plan of a launch with ``settings`` (every level merged); ``read_definition``: the
    caller needs the task definition even when the launch does not."""
    if settings.secret_environment:
        # A name that is no string is refused by the check that follows.
        names = [name for name in settings.secret_environment if isinstance(name, str)]
        settings = settings.replace(tags={**(settings.tags or {}), **secret_names_tag(names)})
    spec = settings.task_definition_spec
    named = settings.container_name or (spec.target_container if spec is not None else None)
    check_launch(settings, container=named)
    if settings.task_definition is None and spec is None:
        raise EcsSpecError(
            "task_definition", "is required (set it on the resource or pass it to the call)"
        )
    definition: Mapping[str, Any] | None = None
    task_definition = settings.task_definition
    if spec is not None:
        resolved = resolve(spec)
        task_definition, definition = resolved.arn, resolved.definition
    assert task_definition is not None  # named, or resolved from the spec
    exec_enabled = bool(settings.enable_execute_command)
    needs_container = settings.targets_container and named is None
    if definition is None and (needs_container or exec_enabled or read_definition):
        definition = describe(task_definition)
    container = named
    if needs_container:
        assert definition is not None  # read above
        container = first_essential_container(definition)
        if container is None:
            raise EcsSpecError("container_name", "the task definition has no containers")
        if container != PLACEHOLDER_CONTAINER:
            check_placed_overrides(settings, container)
    if exec_enabled:
        assert definition is not None  # read above
        problem = required_task_role_problem(definition, settings.task_role_arn)
        if problem:
            raise EcsSpecError("enable_execute_command", problem)
    request = build_request(settings, task_definition=task_definition, container=container)
    budget = settings.capacity_retry_seconds
    if budget is None:
        budget = DEFAULT_CAPACITY_RETRY_SECONDS
    return LaunchPlan(request, container, definition, float(budget))
