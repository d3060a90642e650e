"""Op factory: an op that runs ECS task(s) and waits for them, configurable in the Launchpad."""

from collections.abc import Mapping, Sequence

from dagster import In, Nothing, OpDefinition, OpExecutionContext, Out, Output, RetryPolicy, op

from .step_config import request_from_config, task_config_schema
from .step_launch import StepTaskRunner


def ecs_task_op(
    name: str,
    *,
    task_definition: str | None = None,
    container_name: str | None = None,
    command: Sequence[str] | None = None,
    environment: Mapping[str, str] | None = None,
    cpu: int | None = None,
    memory: int | None = None,
    count: int = 1,
    enable_execute_command: bool | None = None,
    timeout_seconds: float | None = None,
    description: str | None = None,
    retry_policy: RetryPolicy | None = None,
    resource_key: str = "ecs",
) -> OpDefinition:
    """An op that launches ECS task(s) through the ``resource_key`` EcsResource and waits.

    Its ``after`` input (Nothing) orders it after other ops; its output is the list of
    EcsTaskResult. A failed task raises a Dagster Failure with stopCode, reason, exit codes and
    the last log lines."""

    @op(
        name=name,
        description=description or f"Runs ECS task(s) of {task_definition or 'the resource'}.",
        ins={"after": In(Nothing, description="Run after these steps.")},
        out=Out(list, description="EcsTaskResult of every task launched."),
        config_schema=task_config_schema(
            task_definition=task_definition,
            command=command,
            environment=environment,
            cpu=cpu,
            memory=memory,
            count=count,
            enable_execute_command=enable_execute_command,
            timeout_seconds=timeout_seconds,
        ),
        required_resource_keys={resource_key},
        retry_policy=retry_policy,
        tags={"kind": "ecs"},
    )
    def _ecs_op(context: OpExecutionContext) -> Output[list]:  # type: ignore[type-arg]
        ecs = getattr(context.resources, resource_key)
        request = request_from_config(context.op_config, container_name)
        step = StepTaskRunner(context, ecs, request).run()
        return Output(step.results, metadata=step.metadata)

    return _ecs_op
