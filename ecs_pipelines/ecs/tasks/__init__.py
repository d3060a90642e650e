"""The ECS task API (``EcsTaskClient``: describe, stop, list, RunTask, task definitions), what a
described task amounts to (``decide``, ``EcsTaskResult``) and the one way tasks are given up on
(``stop_tasks``), and which stopped tasks were interrupted rather than failed (``interruptions``).
"""

from ecs_pipelines.ecs.tasks.client import DESCRIBE_BATCH, EcsTaskClient
from ecs_pipelines.ecs.tasks.interruptions import (
    INTERRUPTIONS,
    InterruptionRule,
    Relaunch,
    interruption_of,
    relaunch_decision,
)
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
    "INTERRUPTIONS",
    "EcsTaskClient",
    "EcsTaskResult",
    "InterruptionRule",
    "Outcome",
    "Relaunch",
    "StopReport",
    "decide",
    "essential_containers",
    "first_essential_container",
    "interruption_of",
    "lost_result",
    "relaunch_decision",
    "result_from_task",
    "stop_tasks",
]
