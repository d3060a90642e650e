"""Run workloads as AWS ECS tasks from Dagster: the public API.

Layout (see docs/architecture.md): ``ecs`` is the ECS core (boto3 only), ``integration`` the
Dagster resource, factories and sensors, ``cli`` the ``ecs-pipelines`` command, ``local`` the
embedded ECS, ``demo`` the code location that ``make run`` and ``make ui`` start.
"""

from ecs_pipelines.ecs.results import EcsTaskFailure, EcsTaskResult
from ecs_pipelines.integration.assets import ecs_task_asset, ecs_task_multi_asset
from ecs_pipelines.integration.cleanup import ecs_orphaned_task_sensors
from ecs_pipelines.integration.ops import ecs_completion_report_op, ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.sensors import ecs_detached_asset_sensor, ecs_task_completion_sensor

__all__ = [
    "EcsResource",
    "EcsTaskFailure",
    "EcsTaskResult",
    "ecs_completion_report_op",
    "ecs_detached_asset_sensor",
    "ecs_orphaned_task_sensors",
    "ecs_task_asset",
    "ecs_task_completion_sensor",
    "ecs_task_multi_asset",
    "ecs_task_op",
]
