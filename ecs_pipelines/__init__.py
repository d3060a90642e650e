"""Run workloads as AWS ECS tasks from Dagster."""

from ecs_pipelines.ecs.results import EcsTaskFailure, EcsTaskResult
from ecs_pipelines.integration.resource import EcsResource

__all__ = ["EcsResource", "EcsTaskFailure", "EcsTaskResult"]
