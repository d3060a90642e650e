"""The ECS task API (``EcsTaskClient``: describe, stop, list, RunTask, task definitions), what a
described task amounts to (``decide``, ``EcsTaskResult``) and the one way tasks are given up on
(``stop_tasks``).
"""

from ecs_pipelines.ecs.tasks.client import DESCRIBE_BATCH, EcsTaskClient
from ecs_pipelines.ecs.tasks.results import (
    EcsTaskResult,
    lost_result,
    result_from_task,
)
from ecs_pipelines.ecs.tasks.status import (
    Outcome,
    decide,
    essential_containers,
    first_essential_container,
)
from ecs_pipelines.ecs.tasks.stopping import StopReport, stop_tasks

__all__ = [
    "DESCRIBE_BATCH",
    "EcsTaskClient",
    "EcsTaskResult",
    "Outcome",
    "StopReport",
    "decide",
    "essential_containers",
    "first_essential_container",
    "lost_result",
    "result_from_task",
    "stop_tasks",
]
