"""Run workloads as AWS ECS tasks from Dagster: the public API.

Layout (see docs/architecture.md): ``ecs`` is the ECS core (boto3 only), ``integration`` the
Dagster resource, factories and sensors, ``cli`` the ``ecs-pipelines`` command, ``local`` the
embedded ECS, ``demo`` the code location that ``make run`` and ``make ui`` start.

The names below load on first use, so that importing the ECS core (or running a demo
workload, ``python -m ecs_pipelines.demo.workloads.stage``) does not load Dagster.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecs_pipelines.ecs.common import EcsTaskFailure
    from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec
    from ecs_pipelines.ecs.tasks import EcsTaskResult
    from ecs_pipelines.integration.assets import ecs_task_asset, ecs_task_multi_asset
    from ecs_pipelines.integration.cleanup import ecs_orphaned_task_sensors
    from ecs_pipelines.integration.completion_sensor import ecs_task_completion_sensor
    from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
    from ecs_pipelines.integration.ops import ecs_completion_report_op, ecs_task_op
    from ecs_pipelines.integration.resource import EcsResource
    from ecs_pipelines.integration.task_component import EcsTaskComponent

_HOMES = {
    "EcsResource": "ecs_pipelines.integration.resource",
    "EcsTaskComponent": "ecs_pipelines.integration.task_component",
    "EcsTaskFailure": "ecs_pipelines.ecs.common.errors",
    "EcsTaskResult": "ecs_pipelines.ecs.tasks.results",
    "TaskDefinitionSpec": "ecs_pipelines.ecs.task_definitions.spec",
    "ecs_completion_report_op": "ecs_pipelines.integration.ops",
    "ecs_detached_asset_sensor": "ecs_pipelines.integration.detached_sensor",
    "ecs_orphaned_task_sensors": "ecs_pipelines.integration.cleanup",
    "ecs_task_asset": "ecs_pipelines.integration.assets",
    "ecs_task_completion_sensor": "ecs_pipelines.integration.completion_sensor",
    "ecs_task_multi_asset": "ecs_pipelines.integration.assets",
    "ecs_task_op": "ecs_pipelines.integration.ops",
}

__all__ = [
    "EcsResource",
    "EcsTaskComponent",
    "EcsTaskFailure",
    "EcsTaskResult",
    "TaskDefinitionSpec",
    "ecs_completion_report_op",
    "ecs_detached_asset_sensor",
    "ecs_orphaned_task_sensors",
    "ecs_task_asset",
    "ecs_task_completion_sensor",
    "ecs_task_multi_asset",
    "ecs_task_op",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
