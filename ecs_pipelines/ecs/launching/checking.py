"""The one check of a launch's settings, before any AWS call. Pure.

Each option that is set passes its declared check (``options.py``), then RunTask's rules
between options (``limits.py``), then the overrides as they will be sent: the sizes of the
container that receives command, environment, cpu and memory together, and the 8192
characters of JSON RunTask allows. The first problem is raised as ``EcsSpecError`` naming the
field and the limit; environment values and command arguments are never echoed.
"""

from __future__ import annotations

from ecs_pipelines.ecs.launching.limits import (
    check_capacity,
    check_container_sizes,
    check_network,
    check_one_task_definition,
    check_overrides_size,
    check_placement,
)
from ecs_pipelines.ecs.launching.options import LAUNCH_OPTIONS
from ecs_pipelines.ecs.launching.run_task_request import placed_overrides, task_overrides
from ecs_pipelines.ecs.launching.settings import LaunchSettings

# Stands in for the container until the task definition says which one is first essential:
# every other rule can be checked before that read. The placement is checked again when the
# container turns out to be another one.
PLACEHOLDER_CONTAINER = "main"


def check_launch(settings: LaunchSettings, *, container: str | None = None) -> None:
    """Raises ``EcsSpecError`` for the first problem of ``settings``, a level's or the merged
    ones. ``container`` receives command, environment, cpu and memory (a placeholder when
    not known yet)."""
    for option in LAUNCH_OPTIONS:
        value = getattr(settings, option.name)
        if value is not None:
            option.check(option.name, value)
    check_one_task_definition(settings.task_definition, settings.task_definition_spec)
    check_capacity(
        settings.launch_type, settings.capacity_provider_strategy, settings.platform_version
    )
    check_network(settings.subnets, settings.security_groups, settings.assign_public_ip)
    check_placement(
        settings.launch_type, settings.placement_constraints, settings.placement_strategy
    )
    check_placed_overrides(settings, container or PLACEHOLDER_CONTAINER)


def check_placed_overrides(settings: LaunchSettings, container: str) -> None:
    """The overrides with command, environment, cpu and memory placed on ``container``: that
    container's sizes together, and the JSON size of the whole."""
    if settings.targets_container:
        [placed] = [o for o in placed_overrides(settings, container) if o.name == container]
        check_container_sizes(
            f"container_overrides[{container}]", placed.memory, placed.memory_reservation
        )
    overrides = task_overrides(settings, container)
    if overrides:
        check_overrides_size(overrides)
