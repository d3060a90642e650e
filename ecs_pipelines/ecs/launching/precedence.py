"""The one merge of launch settings: every precedence rule between the levels. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from ecs_pipelines.ecs.launching.options import OPTIONS, Merge
from ecs_pipelines.ecs.launching.settings import LaunchSettings, settings_of

_TASK_DEFINITION_CHOICE = ("task_definition", "task_definition_spec")


def merge(*levels: LaunchSettings) -> LaunchSettings:
    """The settings of ``levels`` together, the lowest level first:

        resource settings < factory arguments < Launchpad config < call arguments

    ======================================  ================================================
    option                                  rule
    ======================================  ================================================
    tags, environment, secret_environment   merged by key: a key set at a higher level wins
    task_definition, task_definition_spec   one choice: the highest level that sets either
                                            wins, and the other one is dropped
    container_name                          the higher level's value wins; a level that sets
                                            a task_definition_spec drops the container_name
                                            of the levels below (it named a container of
                                            another task definition)
    every other option                      the higher level's set value wins
    ======================================  ================================================

    A level leaves an option to the levels below by not setting it (None). The rule of each
    option is its ``merge`` in the declaration (``options.py``). The Launchpad config edits
    the factory's arguments rather than adding to them (``edited``).
    """
    merged: dict[str, object] = {}
    for level in levels:
        given = level.given()
        if any(name in given for name in _TASK_DEFINITION_CHOICE):
            for name in _TASK_DEFINITION_CHOICE:
                merged.pop(name, None)
            if "task_definition_spec" in given:
                merged.pop("container_name", None)
        for name, value in given.items():
            below = merged.get(name)
            by_key = OPTIONS[name].merge is Merge.BY_KEY
            if by_key and isinstance(below, Mapping) and isinstance(value, Mapping):
                merged[name] = {**below, **value}
            else:
                merged[name] = value
    return settings_of(merged)


def edited(factory: LaunchSettings, launchpad: LaunchSettings) -> LaunchSettings:
    """The factory's arguments as a run's Launchpad config edited them: each option the config
    sets replaces the factory's value whole, maps included. The Launchpad shows the factory's
    values as its defaults, so a map in the config is the whole map the operator meant: a
    variable removed there is removed. Choosing a task definition still drops the other kind.
    """
    given = launchpad.given()
    kept = {
        name: value
        for name, value in factory.given().items()
        if not (
            name in _TASK_DEFINITION_CHOICE and any(c in given for c in _TASK_DEFINITION_CHOICE)
        )
    }
    return settings_of({**kept, **given})
