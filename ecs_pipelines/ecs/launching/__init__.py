"""Launching tasks: one launch option takes three forms on its way to ECS, a setting at one of
the levels (``LaunchSettings``), the merged settings, and RunTask's request.

Each option is declared once (``options``: description, check, RunTask name, merge rule); the
levels merge by one rule table (``merge``); a call's arguments are parsed once, by either
spelling (``arguments``); ``plan_launch`` checks the merged settings, resolves the task
definition and builds RunTask's request once; ``launch`` (all or nothing, waiting out refusals
that pass: ``capacity``) and ``launch_many`` (fan-out) run the plan.
"""

from ecs_pipelines.ecs.launching.arguments import (
    LaunchArguments,
    argument_names,
    settings_from_arguments,
)
from ecs_pipelines.ecs.launching.checking import check_launch
from ecs_pipelines.ecs.launching.fanout import launch_each, launch_many
from ecs_pipelines.ecs.launching.launcher import CapacityBackoff, CapacityWait, launch
from ecs_pipelines.ecs.launching.limits import MAX_COUNT, MAX_TAG_VALUE
from ecs_pipelines.ecs.launching.options import (
    LAUNCH_OPTIONS,
    OPTIONS,
    Kind,
    LaunchOption,
    Merge,
    default_of,
    describe,
)
from ecs_pipelines.ecs.launching.plan import LaunchPlan, plan_launch
from ecs_pipelines.ecs.launching.precedence import edited, merge
from ecs_pipelines.ecs.launching.settings import ContainerOverride, LaunchSettings, setting_names
from ecs_pipelines.ecs.launching.tokens import derive_client_token

__all__ = [
    "LAUNCH_OPTIONS",
    "MAX_COUNT",
    "MAX_TAG_VALUE",
    "OPTIONS",
    "CapacityBackoff",
    "CapacityWait",
    "ContainerOverride",
    "Kind",
    "LaunchArguments",
    "LaunchOption",
    "LaunchPlan",
    "LaunchSettings",
    "Merge",
    "argument_names",
    "check_launch",
    "default_of",
    "derive_client_token",
    "describe",
    "edited",
    "launch",
    "launch_each",
    "launch_many",
    "merge",
    "plan_launch",
    "setting_names",
    "settings_from_arguments",
]
