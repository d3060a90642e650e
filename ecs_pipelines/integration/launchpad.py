"""The Launchpad config of an ECS step, made from the declarations of its options.

Each option the declarations mark for the Launchpad (launch options in
``ecs.launching.options``, the step's own in ``step_options``) becomes a config field with
its one description, a Dagster config type from its kind, and the factory's value as its
default. An option the resource also sets is optional (null: the resource's); the others
default to their declared default.

The Launchpad leaves a field whose default is null out of its default config, "Scaffold all
default config" included, so an option the factory does not set would be hidden there. Such
a field shows instead the one value of its kind that no option accepts (an empty string or
list, -1), meaning "unset", as null does: the resource's value, else the task definition's.
A run with that default config launches exactly as a run with no config.
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


# The value of each kind that means "unset" in the Launchpad: none is a valid option value.
UNSET_IN_LAUNCHPAD: dict[Kind, Any] = {
    Kind.STRING: "",
    Kind.STRING_LIST: [],
    Kind.INTEGER: -1,
    Kind.NUMBER: -1.0,
}
UNSET_SHOWN = {
    Kind.STRING: "an empty string",
    Kind.STRING_LIST: "an empty list",
    Kind.INTEGER: "-1",
    Kind.NUMBER: "-1",
}


def launchpad_options() -> tuple[LaunchOption, ...]:
    """The options a step's Launchpad config shows, in the order it shows them."""
    return tuple(o for o in (*LAUNCH_OPTIONS, *STEP_ONLY_OPTIONS) if o.launchpad)


LAUNCHPAD_OPTIONS = {option.name: option for option in launchpad_options()}


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
        # An option the resource sets too is left unset to fall back on it.
        inherits = option.default is None or option.name in EcsSettings.model_fields
        unset = UNSET_IN_LAUNCHPAD.get(option.kind)
        default = given if given is not None else unset if inherits else default_of(option.name)
        description = option.description
        if inherits and unset is not None:
            description += (
                f" In the Launchpad, {UNSET_SHOWN[option.kind]} (or null) leaves it unset."
            )
        config_type = CONFIG_TYPES[option.kind]
        schema[option.name] = Field(
            Noneable(config_type) if inherits else config_type,
            default_value=default,
            description=description,
        )
    return schema


def step_options_for_run(defaults: StepOptions, config: Mapping[str, Any]) -> StepOptions:
    """The step's options with a run's Launchpad config on top, its "unset" values as null."""
    return defaults.with_config({name: _unset_as_none(name, v) for name, v in config.items()})


def _unset_as_none(name: str, value: Any) -> Any:
    option = LAUNCHPAD_OPTIONS.get(name)
    if option is None or option.kind not in UNSET_IN_LAUNCHPAD:
        return value
    return None if value == UNSET_IN_LAUNCHPAD[option.kind] else value


def _factory_value(defaults: StepOptions, name: str) -> Any:
    """The factory's value of option ``name`` as config (lists and mappings as plain ones)."""
    value = getattr(defaults if name in STEP_ONLY else defaults.launch, name)
    if isinstance(value, tuple | list):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value
