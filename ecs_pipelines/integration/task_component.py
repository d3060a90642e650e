"""``EcsTaskComponent``: assets materialised by ECS tasks, declared in a ``defs.yaml``.

The YAML takes what ``ecs_task_asset`` takes, by the same names::

    type: ecs_pipelines.EcsTaskComponent
    attributes:
      assets:
        - key: sales/daily_totals
          command: ["python", "-m", "jobs.daily_totals"]
          environment: {STAGE: "{{ env.STAGE }}"}
          cpu: 512
          memory: 1024
          partitions: {type: daily, start: "2026-01-01"}
      schedule: {cron_schedule: "0 6 * * *"}

Each asset becomes one ``ecs_task_asset`` (so the Launchpad, the run log, the metadata and the
checks are those of the Python factory); a ``schedule`` adds a job of the component's assets
and its schedule; detached assets get their completion sensor. Templated values
(``{{ env.X }}``) resolve as in Dagster's own components. ``dg scaffold defs
ecs_pipelines.EcsTaskComponent NAME`` writes a file to start from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    DefaultSensorStatus,
    Definitions,
    Model,
    Resolvable,
    Scaffolder,
    ScaffoldRequest,
    ScheduleDefinition,
    SensorDefinition,
    define_asset_job,
    scaffold_component,
    scaffold_with,
)
from dagster.components import Component, ComponentLoadContext
from pydantic import BaseModel, Field

from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.component_models import (
    OPTION_NAMES,
    DetachedSensorModel,
    EcsTaskAssetModel,
    ScheduleModel,
)
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor

# What `dg scaffold defs ecs_pipelines.EcsTaskComponent NAME` writes: one asset that runs.
SCAFFOLD_ATTRIBUTES: dict[str, Any] = {
    "assets": [
        {
            "key": "my_ecs_asset",
            "command": ["python", "-c", "print('hello from ECS')"],
            "description": "Materialised by an ECS task; edit the command and the options.",
        }
    ]
}


class EcsTaskComponentScaffolder(Scaffolder[BaseModel]):
    """Writes a defs.yaml with one asset whose task prints a line."""

    def scaffold(self, request: ScaffoldRequest[BaseModel]) -> None:
        scaffold_component(request, SCAFFOLD_ATTRIBUTES)


@scaffold_with(EcsTaskComponentScaffolder)
class EcsTaskComponent(Component, Resolvable, Model):
    """Assets materialised by ECS tasks, declared in YAML: every option of ``ecs_task_asset``
    (command, environment, secret environment, task definition registered or described,
    cpu/memory, count, ECS Exec, timeout, Pipes, detached), partitions, deps, group, owners,
    tags and kinds, with an optional schedule."""

    assets: list[EcsTaskAssetModel] = Field(description="the assets, one ECS task step each")
    resource_key: str = Field("ecs", description="the key of the EcsResource they launch with")
    schedule: ScheduleModel | None = Field(None, description="materialise them on a schedule")
    job_name: str | None = Field(None, description="the schedule's job; unset: from the assets")
    detached_sensor: DetachedSensorModel = Field(
        default_factory=lambda: DetachedSensorModel.model_validate({}),
        description="the completion sensor of detached assets",
    )

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        assets = [self._asset(model) for model in self.assets]
        jobs = []
        schedules = []
        if self.schedule is not None:
            job = define_asset_job(self._job_name(), selection=[k for a in assets for k in a.keys])
            jobs.append(job)
            schedules.append(
                ScheduleDefinition(
                    name=self.schedule.name or f"{job.name}_schedule",
                    job=job,
                    cron_schedule=self.schedule.cron_schedule,
                    execution_timezone=self.schedule.execution_timezone,
                )
            )
        return Definitions(
            assets=assets, jobs=jobs, schedules=schedules, sensors=self._sensors(assets)
        )

    def _asset(self, model: Any) -> AssetsDefinition:
        options = {
            name: getattr(model, name) for name in OPTION_NAMES if getattr(model, name) is not None
        }
        if "task_definition_spec" in options:
            options["task_definition_spec"] = TaskDefinitionSpec(
                **options["task_definition_spec"].model_dump()
            )
        return ecs_task_asset(
            AssetKey.from_user_string(model.key),
            deps=[AssetKey.from_user_string(dep) for dep in model.deps],
            kinds=set(model.kinds),
            description=model.description,
            group_name=model.group_name,
            partitions_def=model.partitions.definition() if model.partitions else None,
            pipes=model.pipes,
            resource_key=self.resource_key,
            owners=model.owners,
            asset_tags=model.asset_tags,
            **options,
        )

    def _job_name(self) -> str:
        if self.job_name:
            return self.job_name
        names = "__".join(AssetKey.from_user_string(m.key).path[-1] for m in self.assets)
        return f"{names}_job"[:200]

    def _sensors(self, assets: Sequence[AssetsDefinition]) -> list[SensorDefinition]:
        detached = [
            asset
            for asset, model in zip(assets, self.assets, strict=True)
            if getattr(model, "detached", False)
        ]
        if not detached:
            return []
        settings = self.detached_sensor
        return [
            ecs_detached_asset_sensor(
                detached,
                name=f"{detached[0].node_def.name}_ecs_sensor",
                resource_key=self.resource_key,
                minimum_interval_seconds=settings.minimum_interval_seconds,
                default_status=DefaultSensorStatus.RUNNING
                if settings.running
                else DefaultSensorStatus.STOPPED,
                task_events_queue_url=settings.task_events_queue_url,
            )
        ]
