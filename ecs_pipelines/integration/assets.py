"""Asset factories: each materialisation runs an ECS task; optionally it speaks Dagster Pipes.

A detached asset launches its task and finishes the step at once; the launch is recorded as an
AssetObservation that ``sensors.ecs_detached_asset_sensor`` reads, and that sensor materialises
the asset (and evaluates its ``ecs_task_succeeded`` check) when the task ends."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    PartitionsDefinition,
    PipesEnvContextInjector,
    RetryPolicy,
    multi_asset,
    open_pipes_session,
)
from dagster_aws.pipes import PipesCloudWatchMessageReader

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.detached_step import detached_launch_message, sensor_verdicts
from ecs_pipelines.integration.launchpad import launchpad_schema, step_options_for_run
from ecs_pipelines.integration.step_options import StepOptions
from ecs_pipelines.integration.step_runner import StepTaskRunner


def ecs_task_multi_asset(
    specs: Sequence[AssetSpec],
    *,
    name: str,
    partitions_def: PartitionsDefinition[Any] | None = None,
    check_specs: Sequence[AssetCheckSpec] = (),
    pipes: bool = False,
    retry_policy: RetryPolicy | None = None,
    group_name: str | None = None,
    description: str | None = None,
    resource_key: str = "ecs",
    **options: Any,
) -> AssetsDefinition:
    """Assets materialised together by one ECS task.

    ``options`` are step options (``step_options.StepOptions``: every launch option, by
    either name, as ``EcsResource.run_task`` takes it, and image, secret_environment_from,
    timeout_seconds, detached), the defaults of the Launchpad config. The task gets
    DAGSTER_RUN_ID, DAGSTER_ASSET_KEY and, when partitioned, DAGSTER_PARTITION_KEY (and
    DAGSTER_PARTITION_START/END for time windows). With
    ``pipes=True`` the task's dagster-pipes reports (metadata, asset checks) come back through
    its CloudWatch stream, read by dagster-aws's PipesCloudWatchMessageReader.

    ``detached=True``: the step launches the task and finishes at once (the Launchpad's
    ``detached`` field can switch a run back to waiting). The assets are skippable and carry an
    ``ecs_task_succeeded`` check; ``ecs_detached_asset_sensor`` materialises them when the task
    succeeds and fails the check (severity ERROR) when it does not."""
    defaults = StepOptions.from_kwargs(options, factory="ecs_task_multi_asset")
    detached = defaults.detached
    specs = list(specs)
    check_specs = list(check_specs)
    if detached:
        if pipes:
            raise EcsSpecError(
                "detached", "a Pipes asset reads the task's messages while it runs: not detachable"
            )
        # Skippable: the step ends before the task does, without materialising.
        specs = [spec.replace_attributes(skippable=True) for spec in specs]
        check_specs += [
            AssetCheckSpec(
                md.ECS_TASK_CHECK,
                asset=spec.key,
                description="The detached ECS task reached STOPPED and every essential "
                "container exited 0 (evaluated by the completion sensor).",
            )
            for spec in specs
        ]
    if pipes and defaults.count != 1:
        raise EcsSpecError("count", "must be 1 for a Pipes asset (one task, one Pipes session)")

    @multi_asset(
        name=name,
        specs=specs,
        check_specs=check_specs,
        # Detached steps leave their checks to the sensor; subsettable makes check outputs
        # optional, which is how Dagster lets a step end without them.
        can_subset=detached,
        partitions_def=partitions_def,
        # An asset built to wait cannot finish without materialising: no detached field.
        config_schema=launchpad_schema(
            defaults, without=frozenset() if detached else frozenset({"detached"})
        ),
        required_resource_keys={resource_key},
        retry_policy=retry_policy,
        group_name=group_name,
        description=description,
    )
    def _ecs_assets(context: AssetExecutionContext) -> Iterator[Any]:
        ecs = getattr(context.resources, resource_key)
        keys = sorted(context.selected_asset_keys, key=lambda k: k.to_user_string())
        asset_tag = "+".join(k.to_user_string() for k in keys)
        step_options = step_options_for_run(defaults, context.op_config)
        runner = StepTaskRunner(context, ecs, step_options, asset_key=asset_tag)
        if pipes:
            yield from _run_with_pipes(context, runner)
            return
        if detached:
            yield from _run_detachable(context, runner, keys)
            return
        step = runner.run()
        for key in keys:
            yield MaterializeResult(asset_key=key, metadata=step.metadata)

    return _ecs_assets


def _run_detachable(
    context: AssetExecutionContext, runner: StepTaskRunner, keys: Sequence[AssetKey]
) -> Iterator[Any]:
    if not keys:
        # Only the ecs_task_succeeded check was selected (e.g. "Execute" on the check): its
        # verdict is the completion sensor's, so the step repeats the latest one.
        yield from sensor_verdicts(context, runner)
        return
    if runner.options.detached:
        launch = runner.run_detached()
        partition = runner.partition_key
        runner.log.info(detached_launch_message(context, keys, launch.task_arns))
        for key in keys:
            # The durable record the completion sensor reads, even if it was off meanwhile.
            yield AssetObservation(asset_key=key, metadata=launch.metadata, partition=partition)
        return
    step = runner.run()
    selected_checks = context.selected_asset_check_keys
    for key in keys:
        check_key = AssetCheckKey(key, md.ECS_TASK_CHECK)
        checks = (
            [AssetCheckResult(check_name=md.ECS_TASK_CHECK, asset_key=key, passed=True)]
            if check_key in selected_checks
            else []
        )
        yield MaterializeResult(asset_key=key, metadata=step.metadata, check_results=checks)


def _run_with_pipes(context: AssetExecutionContext, runner: StepTaskRunner) -> Iterator[Any]:
    if runner.options.count != 1:
        raise EcsSpecError("count", "must be 1 for a Pipes asset (one task, one Pipes session)")
    # What the task reports through Pipes passes the step's redaction like its log lines.
    reader = runner.redaction.pipes_reader(
        PipesCloudWatchMessageReader(client=runner.ecs.logs_client())
    )
    with (
        open_pipes_session(
            context=context, context_injector=PipesEnvContextInjector(), message_reader=reader
        ) as session,
        runner.launched(extra_environment=session.get_bootstrap_env_vars()) as arns,
    ):
        ref = runner.pipes_log_ref(arns[0])
        if ref is not None:
            session.report_launched({"extras": {"log_group": ref.group, "log_stream": ref.stream}})
        results = runner.wait(arns)
    yield from session.get_results(metadata=runner.result_metadata(results))


def ecs_task_asset(
    key: str | Sequence[str] | AssetKey,
    *,
    deps: Sequence[str | AssetKey | AssetSpec] = (),
    metadata: Mapping[str, Any] | None = None,
    kinds: set[str] | None = None,
    owners: Sequence[str] = (),
    asset_tags: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> AssetsDefinition:
    """One asset materialised by an ECS task; keyword arguments as ``ecs_task_multi_asset``
    (``tags`` are the task's tags; ``asset_tags`` the asset's own)."""
    asset_key = AssetKey.from_coercible(key)
    spec = AssetSpec(
        key=asset_key,
        deps=list(deps),
        metadata=metadata,
        kinds=kinds or {"ecs"},
        owners=list(owners),
        tags=asset_tags,
        group_name=kwargs.pop("group_name", None),
        description=kwargs.pop("description", None),
    )
    name = kwargs.pop("name", None) or "__".join(asset_key.path)
    return ecs_task_multi_asset([spec], name=name, **kwargs)
