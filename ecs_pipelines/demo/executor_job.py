"""The demo job on dagster-aws's ``ecs_executor``: every Dagster step in its own ECS task.

The run worker (an ECS task started by ``EcsRunLauncher``) launches each step as a task of its
own task definition, found through the ECS task metadata endpoint, with the run launcher's
cluster and network settings (`make ui`'s instance gives them). The step's Python runs in that
task, so it needs the code location in the image. Outputs go from one step task to the next
through the IO manager: the default one writes under ``DAGSTER_HOME``, which the embedded ECS's
tasks share on this host; on AWS use one they all reach (``s3_pickle_io_manager``).

The two approaches compose: ``stage_in_task`` is an ``ecs_task_op``, so its step task
launches one more ECS task through ``EcsResource`` and waits for it.

Only a run in an ECS task can use this executor (it refuses any other run launcher), so `make
run`, which runs in-process, leaves this job out.
"""

# No `from __future__ import annotations`: Dagster reads the ops' context annotation.
import json
import os
import urllib.request

from dagster import Failure, JobDefinition, OpExecutionContext, job, op
from dagster_aws.ecs import ecs_executor

from ecs_pipelines.demo.jobs import stage_op

EXECUTOR_JOB_NAME = "ecs_executor_job"
# ECS sets it in every container: the task metadata endpoint v4.
METADATA_URI_ENV = "ECS_CONTAINER_METADATA_URI_V4"
ROWS = 100
# A step's task needs less than the run worker's (512 CPU units, 1024 MiB): a Fargate size.
STEP_TASK_CPU = 256
STEP_TASK_MEMORY = 512

step_tasks_executor = ecs_executor.configured(
    {"cpu": STEP_TASK_CPU, "memory": STEP_TASK_MEMORY}, name="ecs_step_tasks"
)


def current_task_arn() -> str | None:
    """The ARN of the ECS task this process runs in (None outside ECS)."""
    uri = os.environ.get(METADATA_URI_ENV)
    if not uri:
        return None
    with urllib.request.urlopen(f"{uri}/task", timeout=10) as answer:
        arn: str = json.load(answer)["TaskARN"]
    return arn


def log_where(context: OpExecutionContext) -> None:
    context.log.info(f"step {context.op.name} runs in ECS task {current_task_arn()}")


@op(description="Counts rows in the step's own ECS task.")
def count_rows(context: OpExecutionContext) -> int:
    log_where(context)
    return sum(1 for _ in range(ROWS))


@op(description="Checks the count, in a second ECS task: the count came through the IO manager.")
def check_count(context: OpExecutionContext, rows: int) -> int:
    log_where(context)
    if rows != ROWS:
        raise Failure(f"counted {rows} rows, expected {ROWS}")
    return rows


# An ecs_task_op under the ecs_executor: its step task launches the stage's own ECS task.
stage_in_task = stage_op("stage_in_task", 1)


def build_executor_job(target_description: str) -> JobDefinition:
    @job(
        name=EXECUTOR_JOB_NAME,
        executor_def=step_tasks_executor,
        description="count_rows -> check_count, beside stage_in_task: each step in its own "
        "ECS task (dagster-aws's ecs_executor); stage_in_task's step launches one more task "
        f"with EcsResource. Needs EcsRunLauncher (make ui). Runs on {target_description}.",
    )
    def ecs_executor_job() -> None:
        check_count(count_rows())
        # Independent of the count: the executor runs its step task at the same time.
        stage_in_task()

    return ecs_executor_job
