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
checks are those of the Python factory); detached assets get their completion sensor. A
``job`` of ``ops`` (each an ``ecs_task_op``, ``after`` the ops it names) declares an op job
instead of, or beside, assets. A ``schedule`` runs the op job, or else a job of the assets.
Templated values (``{{ env.X }}``) resolve as in Dagster's own components. ``dg scaffold defs
ecs_pipelines.EcsTaskComponent NAME`` writes a file to start from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    DefaultSensorStatus,
    Definitions,
    JobDefinition,
    Model,
    Resolvable,
    Scaffolder,
    ScaffoldRequest,
    ScheduleDefinition,
    SensorDefinition,
    define_asset_job,
    job,
    scaffold_component,
    scaffold_with,
)
from dagster.components import Component, ComponentLoadContext
from pydantic import BaseModel, Field

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.component_models import (
    OPTION_NAMES,
    DetachedSensorModel,
    EcsTaskAssetModel,
    OpJobModel,
    ScheduleModel,
)
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
from ecs_pipelines.integration.ops import ecs_task_op

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

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
    """Assets materialised by ECS tasks, or a job of ops launching them, declared in YAML:
    every option of ``ecs_task_asset`` / ``ecs_task_op`` (command, environment, secret
    environment, task definition registered or described, cpu/memory, count, ECS Exec, timeout,
    Pipes, detached), partitions, deps, group, owners, tags and kinds, with an optional
    schedule."""

    assets: list[EcsTaskAssetModel] = Field(
        default_factory=list, description="the assets, one ECS task step each"
    )
    job: OpJobModel | None = Field(None, description="a job of ops, each launching ECS task(s)")
    resource_key: str = Field("ecs", description="the key of the EcsResource they launch with")
    schedule: ScheduleModel | None = Field(
        None, description="run the op job (or, without one, materialise the assets) on a schedule"
    )
    job_name: str | None = Field(None, description="the assets' job name; unset: from the assets")
    detached_sensor: DetachedSensorModel = Field(
        default_factory=lambda: DetachedSensorModel.model_validate({}),
        description="the completion sensor of detached assets",
    )

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        if not self.assets and self.job is None:
            raise EcsSpecError("assets", "declare at least one asset, or an op job")
        assets = [self._asset(model) for model in self.assets]
        jobs: list[JobDefinition | UnresolvedAssetJobDefinition] = []
        if self.job is not None:
            jobs.append(self._op_job(self.job))
        schedules = []
        if self.schedule is not None:
            job = jobs[0] if jobs else self._assets_job(assets)
            jobs = jobs or [job]
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
        options = _options(model)
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

    def _assets_job(self, assets: Sequence[AssetsDefinition]) -> UnresolvedAssetJobDefinition:
        name = self.job_name
        if not name:
            names = "__".join(AssetKey.from_user_string(m.key).path[-1] for m in self.assets)
            name = f"{names}_job"[:200]
        return define_asset_job(name, selection=[k for a in assets for k in a.keys])

    def _op_job(self, model: OpJobModel) -> JobDefinition:
        """The ops, each an ``ecs_task_op``, wired in the order their ``after`` gives."""
        ops = {
            op_model.name: ecs_task_op(
                op_model.name,
                description=op_model.description,
                resource_key=self.resource_key,
                **_options(op_model),
            )
            for op_model in model.ops
        }

        def wire() -> None:
            done: dict[str, Any] = {}
            for op_model in model.ops:
                upstream = [done[name] for name in op_model.after]
                op_def = ops[op_model.name]
                done[op_model.name] = op_def(after=upstream) if upstream else op_def()

        return job(name=model.name, description=model.description)(wire)

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


def _options(model: Any) -> dict[str, Any]:
    """The task options a YAML asset or op gives (unset ones left to the resource)."""
    options = {
        name: getattr(model, name) for name in OPTION_NAMES if getattr(model, name) is not None
    }
    if "task_definition_spec" in options:
        options["task_definition_spec"] = TaskDefinitionSpec(
            **options["task_definition_spec"].model_dump()
        )
    return options
