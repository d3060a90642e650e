"""The Launchpad config of an ECS step, made from the declarations of its options.

Each option the declarations mark for the Launchpad (launch options in
``ecs.launching.options``, the step's own in ``step_options``) becomes a config field with
its one description, a Dagster config type from its kind, and the factory's value as its
default. An option the resource also sets is optional (null: the resource's); the others
default to their declared default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import Field, Map, Noneable

from ecs_pipelines.ecs.launching import LAUNCH_OPTIONS, Kind, LaunchOption, default_of
from ecs_pipelines.integration.resource_settings import EcsSettings
from ecs_pipelines.integration.step_options import STEP_ONLY, STEP_ONLY_OPTIONS, StepOptions

# Dagster's Map is not typed; one config type serves every string map.
STRING_MAP: Any = Map(str, str)  # type: ignore[no-untyped-call]
CONFIG_TYPES: dict[Kind, Any] = {
    Kind.STRING: str,
    Kind.INTEGER: int,
    Kind.NUMBER: float,
    Kind.BOOLEAN: bool,
    Kind.STRING_LIST: [str],
    Kind.STRING_MAP: STRING_MAP,
}


def launchpad_options() -> tuple[LaunchOption, ...]:
    """The options a step's Launchpad config shows, in the order it shows them."""
    return tuple(o for o in (*LAUNCH_OPTIONS, *STEP_ONLY_OPTIONS) if o.launchpad)


def launchpad_schema(
    defaults: StepOptions, *, without: frozenset[str] = frozenset()
) -> dict[str, Field]:
    """The Launchpad config fields, each described, defaulting to ``defaults``' values.

    A step whose task definition is described in code has no task_definition field, and its
    command field shows the spec's command."""
    code_defined = defaults.launch.task_definition_spec
    if code_defined is not None:
        without = without | {"task_definition"}
    schema = {}
    for option in launchpad_options():
        if option.name in without:
            continue
        given = _factory_value(defaults, option.name)
        if option.name == "command" and given is None and code_defined is not None:
            given = None if code_defined.command is None else list(code_defined.command)
        # An option the resource sets too is left unset (null) to fall back on it.
        inherits = option.default is None or option.name in EcsSettings.model_fields
        default = given if given is not None else None if inherits else default_of(option.name)
        config_type = CONFIG_TYPES[option.kind]
        schema[option.name] = Field(
            Noneable(config_type) if inherits else config_type,
            default_value=default,
            description=option.description,
        )
    return schema


def _factory_value(defaults: StepOptions, name: str) -> Any:
    """The factory's value of option ``name`` as config (lists and mappings as plain ones)."""
    value = getattr(defaults if name in STEP_ONLY else defaults.launch, name)
    if isinstance(value, tuple | list):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value
