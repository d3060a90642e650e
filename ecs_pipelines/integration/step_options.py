"""The options of an ECS step: every launch option, plus four of the step's own.

The launch options are declared once, in the core (``ecs.launching.options``); the step-only
options (``image``, ``secret_environment_from``, ``timeout_seconds``, ``detached``) are
declared here the same way. From these declarations come the keyword arguments ``ecs_task_op``
and the asset factories accept (a launch option by either name, as ``run_task`` takes it),
the Launchpad config schema (each field described, its default the factory's argument) and
the step's level of launch settings: the factory's, with the run's Launchpad config on top.

A factory's arguments are checked when the definitions load, naming the option; a run's
Launchpad values with the whole launch, before any AWS call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.common import EcsSpecError, boolean, environment_map, optional_timeout
from ecs_pipelines.ecs.launching import (
    Kind,
    LaunchOption,
    LaunchSettings,
    argument_names,
    check_launch,
    default_of,
    edited,
    setting_names,
    settings_from_arguments,
)
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec, check_image, with_family

if TYPE_CHECKING:
    from ecs_pipelines.integration.resource import EcsResource

# Declared as the launch options are: name, description, kind, check (no RunTask name, no
# merge: a higher level's value wins), all shown in the Launchpad.
STEP_ONLY_OPTIONS: tuple[LaunchOption, ...] = (
    LaunchOption(
        "image",
        "Container image for this run: the step's task definition with this image, registered "
        "once as a revision of <resource prefix><op or asset name> and reused. Unset: the "
        "image of the task definition.",
        Kind.STRING,
        check_image,
        launchpad=True,
    ),
    LaunchOption(
        "secret_environment_from",
        "Secret container variables, read at launch from the run worker's environment: "
        '{"DB_PASSWORD": "PROD_DB_PASSWORD"} passes the value of PROD_DB_PASSWORD as '
        "DB_PASSWORD. Values are never logged, stored or put in metadata; prefer the task "
        "definition's `secrets` (SSM / Secrets Manager).",
        Kind.STRING_MAP,
        environment_map,
        launchpad=True,
        default={},
    ),
    LaunchOption(
        "timeout_seconds",
        "Stop the task(s) and fail the step after this many seconds. Unset: wait.",
        Kind.NUMBER,
        optional_timeout,
        launchpad=True,
    ),
    LaunchOption(
        "detached",
        "Launch the task(s) and finish the step at once; a completion sensor reports the end "
        "of the task(s). False: wait for them in the step.",
        Kind.BOOLEAN,
        boolean,
        launchpad=True,
        default=False,
    ),
)
STEP_ONLY = {option.name: option for option in STEP_ONLY_OPTIONS}


@dataclass(frozen=True)
class StepOptions:
    """How one step launches its ECS task(s): its level of launch settings (unset: the
    resource's) and the options of the step itself."""

    launch: LaunchSettings = field(default_factory=LaunchSettings)
    image: str | None = None
    secret_environment_from: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float | None = None
    detached: bool = False

    def __post_init__(self) -> None:
        for option in STEP_ONLY_OPTIONS:
            if getattr(self, option.name) is not None:
                option.check(option.name, getattr(self, option.name))

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any], *, factory: str) -> StepOptions:
        """The options a factory was given, checked; an unknown keyword is refused, naming
        the known ones."""
        unknown = sorted(set(options) - argument_names() - set(STEP_ONLY))
        if unknown:
            raise TypeError(
                f"{factory}() got unknown option(s) {unknown}; step options are: "
                f"{', '.join(option_names())}"
            )
        launch = settings_from_arguments({k: v for k, v in options.items() if k not in STEP_ONLY})
        check_launch(launch)
        return cls(launch, **{k: v for k, v in options.items() if k in STEP_ONLY})

    def with_config(self, config: Mapping[str, Any]) -> StepOptions:
        """These options with a run's Launchpad config on top (config keys are option names;
        its launch options are checked with the whole launch)."""
        launchpad = settings_from_arguments({k: v for k, v in config.items() if k in SETTING_NAMES})
        step = {k: v for k, v in config.items() if k in STEP_ONLY}
        return dataclasses.replace(self, launch=edited(self.launch, launchpad), **step)

    @property
    def count(self) -> int:
        return self.launch.count if self.launch.count is not None else 1

    def relaunches(self, resource: int | None) -> int:
        """How often an interrupted task of the step is launched again: the step's setting,
        else the resource's, else the declared default."""
        allowed = self.launch.interruption_relaunches
        allowed = resource if allowed is None else allowed
        return int(default_of("interruption_relaunches") if allowed is None else allowed)


SETTING_NAMES = frozenset(setting_names())


def option_names() -> tuple[str, ...]:
    return (*setting_names(), *STEP_ONLY)


def step_level(options: StepOptions, ecs: EcsResource, name: str) -> LaunchSettings:
    """The step's level of launch settings (the factory's, the run's config on top), its
    task definition described in code when it has one: the factory's spec with the run's
    image, or, for an image alone, the registered task definition with that image. The
    family, unless the spec names one, is the resource's prefix + the op/asset name."""
    step = options.launch
    spec, image = step.task_definition_spec, options.image
    if spec is None and image is None:
        return step
    if spec is None:
        base = step.task_definition or ecs.task_definition
        if base is None:
            raise EcsSpecError(
                "image", "needs a task definition to change: set task_definition or a spec"
            )
        spec = TaskDefinitionSpec(base=base, image=image)
    elif image is not None:
        spec = dataclasses.replace(spec, image=image)
    return step.replace(
        task_definition=None, task_definition_spec=with_family(spec, ecs.family_for(name))
    )
