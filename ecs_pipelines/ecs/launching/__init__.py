"""Launching tasks: the launch spec, RunTask's limits, the call's arguments on top of the
resource's, RunTask's request, one launch (all or nothing) and many (fan-out).
"""

from ecs_pipelines.ecs.launching.fanout import launch_many
from ecs_pipelines.ecs.launching.launcher import launch
from ecs_pipelines.ecs.launching.limits import MAX_COUNT, MAX_TAG_VALUE
from ecs_pipelines.ecs.launching.request import LaunchRequest, build_launch_spec
from ecs_pipelines.ecs.launching.run_task_request import to_run_task_kwargs
from ecs_pipelines.ecs.launching.spec import TaskLaunchSpec, derive_client_token

__all__ = [
    "MAX_COUNT",
    "MAX_TAG_VALUE",
    "LaunchRequest",
    "TaskLaunchSpec",
    "build_launch_spec",
    "derive_client_token",
    "launch",
    "launch_many",
    "to_run_task_kwargs",
]
