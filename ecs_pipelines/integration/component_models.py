"""What a ``defs.yaml`` of ``EcsTaskComponent`` may say, as pydantic models derived from the
declarations, so that YAML, Python factories and the Launchpad take the same options.

Each launch option (``ecs.launching.options``) and each step-only option (``step_options``)
becomes an optional field with its one description; a task definition described in YAML has
``TaskDefinitionSpec``'s fields, read off the dataclass. ``dg check yaml`` validates a file
against these models' JSON schema, so a wrong field is named with its line before anything
loads; the options' own checks (ranges, ARNs, startedBy...) run when the definitions are built,
as they do for the factories.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import TYPE_CHECKING, Any, Literal

from dagster import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    Model,
    PartitionsDefinition,
    Resolvable,
    StaticPartitionsDefinition,
)
from pydantic import ConfigDict, Field, create_model, model_validator

from ecs_pipelines.ecs.launching import LAUNCH_OPTIONS, Kind
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec
from ecs_pipelines.integration.step_options import STEP_ONLY_OPTIONS


class YamlModel(Resolvable, Model):
    """A part of a defs.yaml: no unknown field, templated values resolved."""

    # Dagster renders every string as a native template, so "2" arrives as 2: a string field
    # takes it back as text (a command argument, an environment value).
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


def _task_definition_fields() -> dict[str, Any]:
    hints = typing.get_type_hints(TaskDefinitionSpec)
    fields: dict[str, Any] = {}
    for spec_field in dataclasses.fields(TaskDefinitionSpec):
        if spec_field.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=spec_field.default_factory)
        else:
            default = spec_field.default
        fields[spec_field.name] = (hints[spec_field.name], default)
    return fields


TaskDefinitionModel: type[YamlModel] = create_model(
    "TaskDefinitionModel",
    __base__=YamlModel,
    __doc__="A task definition described in YAML: the fields of TaskDefinitionSpec.",
    **_task_definition_fields(),
)

# The YAML type of each kind of option value (what the Launchpad maps to a config type).
YAML_TYPES: dict[Kind, Any] = {
    Kind.STRING: str,
    Kind.INTEGER: int,
    Kind.NUMBER: float,
    Kind.BOOLEAN: bool,
    Kind.STRING_LIST: list[str],
    Kind.STRING_MAP: dict[str, str],
    Kind.OBJECTS: list[dict[str, Any]],
    Kind.CONTAINER_OVERRIDES: list[dict[str, Any]],
    Kind.TASK_DEFINITION_SPEC: TaskDefinitionModel,
}


class PartitionsModel(YamlModel):
    """The partitions of the assets: daily or hourly from ``start``, or ``static`` ``keys``."""

    type: Literal["daily", "hourly", "static"] = Field(description="daily, hourly or static")
    start: str | None = Field(None, description="first partition (daily, hourly), e.g. 2026-01-01")
    end: str | None = Field(None, description="end of the partitions (daily, hourly); unset: now")
    timezone: str | None = Field(None, description="timezone of the windows (daily, hourly)")
    keys: list[str] | None = Field(None, description="the partition keys (static)")

    @model_validator(mode="after")
    def _complete(self) -> PartitionsModel:
        if self.type == "static" and not self.keys:
            raise ValueError("static partitions need keys")
        if self.type != "static" and not self.start:
            raise ValueError(f"{self.type} partitions need a start date")
        return self

    def definition(self) -> PartitionsDefinition[Any]:
        if self.type == "static":
            return StaticPartitionsDefinition(list(self.keys or ()))
        window: dict[str, Any] = {"start_date": self.start, "end_date": self.end}
        if self.timezone:
            window["timezone"] = self.timezone
        if self.type == "daily":
            return DailyPartitionsDefinition(**window)
        return HourlyPartitionsDefinition(**window)


class AssetModel(YamlModel):
    """One asset, what Dagster shows of it; its task's options sit beside these fields."""

    key: str = Field(description="the asset key, '/' between parts (e.g. sales/daily_totals)")
    description: str | None = None
    group_name: str | None = None
    owners: list[str] = Field(default_factory=list)
    # `tags` is the task's tags, as for ecs_task_asset; these are the asset's own.
    asset_tags: dict[str, str] = Field(default_factory=dict, description="the asset's tags")
    kinds: list[str] = Field(default_factory=lambda: ["ecs"])
    deps: list[str] = Field(default_factory=list, description="keys of upstream assets")
    partitions: PartitionsModel | None = None
    pipes: bool = Field(False, description="the task reports through dagster-pipes")


def _option_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for option in (*LAUNCH_OPTIONS, *STEP_ONLY_OPTIONS):
        fields[option.name] = (
            YAML_TYPES[option.kind] | None,
            Field(None, description=option.description),
        )
    return fields


# An asset and the options of its task (None: not given, the resource's or ECS's default).
# The option fields are made from the declarations; to the type checker it is an AssetModel.
if TYPE_CHECKING:
    EcsTaskAssetModel = AssetModel
else:
    EcsTaskAssetModel = create_model(
        "EcsTaskAssetModel",
        __base__=AssetModel,
        __doc__="An asset materialised by an ECS task, and the options of its task.",
        **_option_fields(),
    )

OPTION_NAMES = frozenset(_option_fields())


class OpModel(YamlModel):
    """One op of an op job: its task's options sit beside these fields."""

    name: str = Field(description="the op's name, unique in the job")
    description: str | None = None
    after: list[str] = Field(
        default_factory=list, description="ops of the job (listed above it) this one runs after"
    )


# An op and the options of its task, as EcsTaskAssetModel for assets.
if TYPE_CHECKING:
    EcsTaskOpModel = OpModel
else:
    EcsTaskOpModel = create_model(
        "EcsTaskOpModel",
        __base__=OpModel,
        __doc__="An op that launches ECS task(s), and the options of its task.",
        **_option_fields(),
    )


class OpJobModel(YamlModel):
    """A job of ops, each launching ECS task(s), in the order ``after`` gives."""

    name: str = Field(description="the job's name")
    description: str | None = None
    ops: list[EcsTaskOpModel] = Field(description="the job's ops, each after those it names")

    @model_validator(mode="after")
    def _ordered(self) -> OpJobModel:
        seen: set[str] = set()
        for op_model in self.ops:
            if op_model.name in seen:
                raise ValueError(f"op {op_model.name!r} is declared twice")
            unknown = [name for name in op_model.after if name not in seen]
            if unknown:
                raise ValueError(
                    f"op {op_model.name!r} runs after {unknown}, which are not ops listed above it"
                )
            seen.add(op_model.name)
        return self


class ScheduleModel(YamlModel):
    """A schedule that materialises the component's assets."""

    cron_schedule: str = Field(description="e.g. '0 6 * * *'")
    name: str | None = Field(None, description="unset: <job name>_schedule")
    execution_timezone: str | None = None


class DetachedSensorModel(YamlModel):
    """The sensor that reports the detached assets' tasks (made when any asset is detached)."""

    minimum_interval_seconds: int = Field(30, ge=1)
    running: bool = Field(True, description="start the sensor running")
    task_events_queue_url: str | None = Field(None, description="read task state events from it")
