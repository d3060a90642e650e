"""Run workloads as AWS ECS tasks from Dagster."""

from .ecs.results import EcsTaskFailure, EcsTaskResult
from .resources import EcsResource

__all__ = ["EcsResource", "EcsTaskFailure", "EcsTaskResult"]
