"""Op factory: an op that runs ECS task(s) and waits for them (or, detached, just launches
them), configurable in the Launchpad."""

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (
    Failure,
    Field,
    In,
    Map,
    MetadataValue,
    Noneable,
    Nothing,
    OpDefinition,
    OpExecutionContext,
    Out,
    Output,
    RetryPolicy,
    op,
)

from ecs_pipelines.integration.step_options import request_from_config, task_config_schema
from ecs_pipelines.integration.step_runner import StepTaskRunner


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
    detached: bool = False,
    started_by: str | None = None,
    description: str | None = None,
    retry_policy: RetryPolicy | None = None,
    resource_key: str = "ecs",
) -> OpDefinition:
    """An op that launches ECS task(s) through the ``resource_key`` EcsResource and waits.

    Its ``after`` input (Nothing) orders it after other ops; its output is the list of
    EcsTaskResult. A failed task raises a Dagster Failure with stopCode, reason, exit codes and
    the last log lines.

    ``detached=True`` (also a Launchpad field) launches the task(s) and returns their ARNs at
    once, tagged ``ecs-pipelines/detached=true``; ``sensors.ecs_task_completion_sensor`` (e.g.
    filtered by startedBy or the ``dagster/job`` tag) reports their end. ``started_by``
    replaces the default startedBy (``dagster/<run id>``)."""

    @op(
        name=name,
        description=description or f"Runs ECS task(s) of {task_definition or 'the resource'}.",
        ins={"after": In(Nothing, description="Run after these steps.")},
        out=Out(
            list,
            description="EcsTaskResult of every task launched (detached: their task ARNs).",
        ),
        config_schema=task_config_schema(
            task_definition=task_definition,
            command=command,
            environment=environment,
            cpu=cpu,
            memory=memory,
            count=count,
            enable_execute_command=enable_execute_command,
            timeout_seconds=timeout_seconds,
            detached=detached,
        ),
        required_resource_keys={resource_key},
        retry_policy=retry_policy,
        tags={"kind": "ecs"},
    )
    def _ecs_op(context: OpExecutionContext) -> Output[list]:  # type: ignore[type-arg]
        ecs = getattr(context.resources, resource_key)
        request = request_from_config(context.op_config, container_name)
        request.started_by = started_by
        runner = StepTaskRunner(context, ecs, request)
        if request.detached:
            launch = runner.run_detached()
            return Output(launch.task_arns, metadata=launch.metadata)
        step = runner.run()
        return Output(step.results, metadata=step.metadata)

    return _ecs_op


def ecs_completion_report_op(name: str = "ecs_completion_report") -> OpDefinition:
    """An op that reports one finished ECS task, as ``ecs_task_completion_sensor`` passes it in
    the run config. It fails (a failed run, which run-failure alerts see) when the task failed
    or was lost; its output is the completion as a dict."""

    @op(
        name=name,
        description="Reports an ECS task's completion: ARN, exit codes, stop code and reason.",
        config_schema={
            "task_arn": Field(str, description="ARN of the finished task."),
            "cluster": Field(str, default_value="", description="Cluster of the task."),
            "succeeded": Field(bool, description="Every essential container exited 0."),
            "lost": Field(bool, default_value=False, description="ECS no longer knew it."),
            "last_status": Field(str, default_value="", description="ECS lastStatus."),
            "stop_code": Field(Noneable(str), default_value=None, description="ECS stopCode."),
            "stopped_reason": Field(
                Noneable(str), default_value=None, description="ECS stoppedReason."
            ),
            "exit_codes": Field(
                Map(str, Noneable(int)),
                default_value={},
                description="Container name -> exit code (null: none reported).",
            ),
            "reason": Field(str, default_value="", description="Why it counts as it does."),
        },
        out=Out(dict, description="The completion, as configured."),
        tags={"kind": "ecs"},
    )
    def _report(context: OpExecutionContext) -> Output[dict[str, Any]]:
        completion = dict(context.op_config)
        codes = ", ".join(f"{k}={v}" for k, v in sorted(completion["exit_codes"].items()))
        text = (
            f"ECS task {completion['task_arn']} "
            f"{'succeeded' if completion['succeeded'] else 'failed'}: {completion['reason']} "
            f"[stopCode {completion['stop_code'] or '-'}; exit codes: {codes or 'none'}]"
        )
        metadata = {
            "task_arn": MetadataValue.text(completion["task_arn"]),
            "exit_codes": MetadataValue.json(completion["exit_codes"]),
            "stop_code": MetadataValue.text(completion["stop_code"] or ""),
        }
        if not completion["succeeded"]:
            raise Failure(description=text, metadata=metadata)
        context.log.info(text)
        return Output(completion, metadata=metadata)

    return _report
