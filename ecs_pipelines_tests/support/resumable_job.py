"""A job whose run worker a test kills mid-step and then resumes (as run monitoring would)."""

from __future__ import annotations

from dagster import in_process_executor, job

from ecs_pipelines.cli.target import resource_for, target_from_env
from ecs_pipelines.integration.ops import ecs_task_op

slow_step = ecs_task_op(
    "slow_step",
    command=[
        "python",
        "-c",
        "import time\nprint('started', flush=True)\ntime.sleep(6)\nprint('finished', flush=True)",
    ],
)


@job(executor_def=in_process_executor, resource_defs={"ecs": resource_for(target_from_env())})
def resumable_job() -> None:
    slow_step()
