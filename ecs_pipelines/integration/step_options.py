"""The options of an ECS step, declared once: name, type, default, description, check.

``StepOptions`` is the single declaration. From it come the keyword arguments ``ecs_task_op``
and the asset factories accept, the Launchpad config schema (each field described, its default
the factory's argument), and the request a step launches with (factory defaults with the run's
config on top). Adding an option is one field here, plus its use in the step runner.

Every construction checks every value, so a bad factory argument fails when the definitions
load and a bad Launchpad value fails the step before any AWS call, naming the option.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import Field, Map, Noneable

from ecs_pipelines.ecs.common import STARTED_BY_PATTERN, EcsSpecError, command_argv, environment_map
from ecs_pipelines.ecs.launching import MAX_COUNT
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec, check_image, check_spec
from ecs_pipelines.ecs.waiting import check_timeout

Check = Callable[[str, Any], None]
# Dagster's Map is not typed; one config type serves both string maps.
STRING_MAP: Any = Map(str, str)  # type: ignore[no-untyped-call]


def _option(
    default: Any,
    description: str,
    config_type: Any,
    *,
    check: Check | None = None,
    launchpad: bool = True,
) -> Any:
    metadata = {
        "description": description,
        "config_type": config_type,
        "check": check,
        "launchpad": launchpad,
    }
    if isinstance(default, dict | list):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def _int_at_least(low: int, high: int | None = None) -> Check:
    def check(name: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise EcsSpecError(name, f"must be an integer, got {type(value).__name__}")
        if value < low or (high is not None and value > high):
            bounds = f"{low}..{high}" if high is not None else f">= {low}"
            raise EcsSpecError(name, f"must be {bounds}, got {value}")

    return check


def _command(name: str, value: Any) -> None:
    if value is not None:
        command_argv(name, value)


def _environment(name: str, value: Any) -> None:
    environment_map(name, value)


def _started_by(name: str, value: Any) -> None:
    if value is not None and (
        not isinstance(value, str) or not STARTED_BY_PATTERN.fullmatch(value)
    ):
        raise EcsSpecError(name, "must be 1..128 letters, digits, '-', '/' or '_'")


def _non_empty(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise EcsSpecError(name, "must be a non-empty string (or unset)")


def _task_definition_spec(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, TaskDefinitionSpec):
        raise EcsSpecError(name, f"must be a TaskDefinitionSpec, got {type(value).__name__}")
    check_spec(value)


def _image(name: str, value: Any) -> None:
    if value is not None:
        check_image(name, value)


def _boolean(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise EcsSpecError(name, f"must be true or false, got {type(value).__name__}")


@dataclass(frozen=True)
class StepOptions:
    """How one step launches its ECS task(s). Unset (None) falls back to the EcsResource."""

    task_definition: str | None = _option(
        None,
        "Task definition (family, family:revision or ARN). Unset: the resource's.",
        Noneable(str),
        check=_non_empty,
    )
    task_definition_spec: TaskDefinitionSpec | None = _option(
        None,
        "A task definition described in code (TaskDefinitionSpec: image, command, cpu, memory, "
        "roles, ...), used instead of task_definition: registered once per content in the "
        "family <resource prefix><op or asset name>, reused while the content is unchanged.",
        None,
        check=_task_definition_spec,
        launchpad=False,
    )
    image: str | None = _option(
        None,
        "Container image for this run: the step's task definition with this image, registered "
        "once as a revision of <resource prefix><op or asset name> and reused. Unset: the "
        "image of the task definition.",
        Noneable(str),
        check=_image,
    )
    container_name: str | None = _option(
        None,
        "Container that receives command and environment. Unset: the resource's, else the "
        "first essential container.",
        Noneable(str),
        check=_non_empty,
        launchpad=False,
    )
    command: list[str] | None = _option(
        None,
        "Container command override, one list item per argument. Unset: the task "
        "definition's command.",
        Noneable([str]),
        check=_command,
    )
    environment: dict[str, str] = _option(
        {},
        "Extra environment variables for the container (not for secrets: use the task "
        "definition's `secrets`, or secret_environment_from).",
        STRING_MAP,
        check=_environment,
    )
    secret_environment_from: dict[str, str] = _option(
        {},
        "Secret container variables, read at launch from the run worker's environment: "
        '{"DB_PASSWORD": "PROD_DB_PASSWORD"} passes the value of PROD_DB_PASSWORD as '
        "DB_PASSWORD. Values are never logged, stored or put in metadata; prefer the task "
        "definition's `secrets` (SSM / Secrets Manager).",
        STRING_MAP,
        check=_environment,
    )
    cpu: int | None = _option(
        None,
        "Container CPU units override (1024 = 1 vCPU). Unset: the task definition's.",
        Noneable(int),
        check=_int_at_least(0),
    )
    memory: int | None = _option(
        None,
        "Container memory hard limit override in MiB. Unset: the task definition's.",
        Noneable(int),
        check=_int_at_least(1),
    )
    count: int = _option(
        1, f"Number of tasks to run, 1..{MAX_COUNT}.", int, check=_int_at_least(1, MAX_COUNT)
    )
    enable_execute_command: bool | None = _option(
        None,
        "Launch with ECS Exec enabled. Unset: the resource's setting.",
        Noneable(bool),
        check=_boolean,
    )
    timeout_seconds: float | None = _option(
        None,
        "Stop the task(s) and fail the step after this many seconds. Unset: wait.",
        Noneable(float),
        check=lambda name, value: check_timeout(value, name),
    )
    detached: bool = _option(
        False,
        "Launch the task(s) and finish the step at once; a completion sensor reports the end "
        "of the task(s). False: wait for them in the step.",
        bool,
        check=_boolean,
    )
    started_by: str | None = _option(
        None,
        "startedBy of the tasks (letters, digits, '-', '/', '_'). Unset: dagster/<run id>.",
        Noneable(str),
        check=_started_by,
        launchpad=False,
    )

    def __post_init__(self) -> None:
        for option in dataclasses.fields(self):
            check = option.metadata["check"]
            if check is not None:
                check(option.name, getattr(self, option.name))
        if self.task_definition is not None and self.task_definition_spec is not None:
            raise EcsSpecError(
                "task_definition",
                "give task_definition or task_definition_spec, not both (to change a "
                "registered one: TaskDefinitionSpec(base=...))",
            )

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any], *, factory: str) -> StepOptions:
        """The options a factory was given; an unknown keyword is refused, naming the known."""
        unknown = sorted(set(options) - set(option_names()))
        if unknown:
            raise TypeError(
                f"{factory}() got unknown option(s) {unknown}; step options are: "
                f"{', '.join(option_names())}"
            )
        return cls(**options)

    def with_config(self, config: Mapping[str, Any]) -> StepOptions:
        """These options with a run's Launchpad config on top (config keys are option names)."""
        given = {k: v for k, v in config.items() if k in option_names()}
        return dataclasses.replace(self, **given)


def option_names() -> tuple[str, ...]:
    return tuple(option.name for option in dataclasses.fields(StepOptions))


def launchpad_schema(
    defaults: StepOptions, *, without: frozenset[str] = frozenset()
) -> dict[str, Field]:
    """The Launchpad config fields, each described, defaulting to ``defaults``' values.

    A step whose task definition is described in code has no task_definition field, and its
    command field shows the spec's command."""
    schema = {}
    code_defined = defaults.task_definition_spec
    if code_defined is not None:
        without = without | {"task_definition"}
    for option in dataclasses.fields(StepOptions):
        if not option.metadata["launchpad"] or option.name in without:
            continue
        default = getattr(defaults, option.name)
        if option.name == "command" and default is None and code_defined is not None:
            default = None if code_defined.command is None else list(code_defined.command)
        schema[option.name] = Field(
            option.metadata["config_type"],
            default_value=type(default)(default) if isinstance(default, dict | list) else default,
            description=option.metadata["description"],
        )
    return schema
