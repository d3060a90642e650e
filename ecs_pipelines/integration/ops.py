"""Op factory: an op that runs ECS task(s) and waits for them (or, detached, just launches
them), configurable in the Launchpad."""

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

from ecs_pipelines.integration.launchpad import launchpad_schema, step_options_for_run
from ecs_pipelines.integration.step_options import StepOptions
from ecs_pipelines.integration.step_runner import StepTaskRunner


def ecs_task_op(
    name: str,
    *,
    description: str | None = None,
    retry_policy: RetryPolicy | None = None,
    resource_key: str = "ecs",
    **options: Any,
) -> OpDefinition:
    """An op that launches ECS task(s) through the ``resource_key`` EcsResource and waits.

    ``options`` are step options (``step_options.StepOptions``: every launch option, by
    either name, as ``EcsResource.run_task`` takes it, and image, secret_environment_from,
    timeout_seconds, detached), the defaults of its Launchpad config. Its ``after`` input
    (Nothing) orders it after other ops; its output is the list of EcsTaskResult. A failed task
    raises a Dagster Failure with stopCode, reason, exit codes and the last log lines.

    ``detached=True`` (also a Launchpad field) launches the task(s) and returns their ARNs at
    once, tagged ``ecs-pipelines/detached=true``; ``ecs_task_completion_sensor`` (e.g. filtered
    by startedBy or the ``dagster/job`` tag) reports their end. ``started_by`` replaces the
    default startedBy (``dagster/<run id>``)."""
    defaults = StepOptions.from_kwargs(options, factory="ecs_task_op")

    @op(
        name=name,
        description=description
        or f"Runs ECS task(s) of {defaults.launch.task_definition or 'the resource'}.",
        ins={"after": In(Nothing, description="Run after these steps.")},
        out=Out(
            list,
            description="EcsTaskResult of every task launched (detached: their task ARNs).",
        ),
        config_schema=launchpad_schema(defaults),
        required_resource_keys={resource_key},
        retry_policy=retry_policy,
        tags={"kind": "ecs"},
    )
    def _ecs_op(context: OpExecutionContext) -> Output[list]:  # type: ignore[type-arg]
        ecs = getattr(context.resources, resource_key)
        runner = StepTaskRunner(context, ecs, step_options_for_run(defaults, context.op_config))
        if runner.options.detached:
            launch = runner.run_detached()
            return Output(launch.task_arns, metadata=launch.metadata)
        step = runner.run()
        return Output(runner.redaction.output(step.results), metadata=step.metadata)

    return _ecs_op


# Dagster's Map is not typed: container name -> exit code (null when none was reported).
EXIT_CODES_MAP: Any = Map(str, Noneable(int))  # type: ignore[no-untyped-call]


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
                EXIT_CODES_MAP,
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
