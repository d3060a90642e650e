"""What a step's tasks cost and used, read once after they stop: prices (the shipped table,
the user's, or the Price List API's, cached), one Container Insights read for all the step's
tasks, and, for an asset, the right-sizing hint from its recent materialisations.

Never fails the step: what cannot be read (no permission, Container Insights off, the Price
List API out of reach) becomes a note in the metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from dagster import AssetKey, DagsterInstance, MetadataValue

from ecs_pipelines.ecs.common import EcsError, Retrier, task_id
from ecs_pipelines.ecs.usage import (
    Architecture,
    PriceTable,
    RunUsage,
    StepFigures,
    TaskFigures,
    UsageRead,
    fetch_prices,
    read_usage,
    size_hint,
    step_figures,
    task_cost,
)
from ecs_pipelines.integration import usage_metadata as umd

if TYPE_CHECKING:
    from ecs_pipelines.ecs.tasks import EcsTaskResult
    from ecs_pipelines.integration.resource import EcsResource

_READ_ERRORS = (ClientError, BotoCoreError, EcsError, OSError)


@dataclass(frozen=True)
class StepUsage:
    figures: StepFigures
    metadata: dict[str, Any]
    lines: list[str]
    hint: str | None = None


def price_table(ecs: EcsResource, notes: list[str]) -> PriceTable:
    """The table to price with: the Price List API's answer laid over the shipped table when
    the resource asks for it (the user's overrides still win)."""
    table = ecs.cost.price_table()
    if not ecs.cost.price_list_api:
        return table
    try:
        retrier = Retrier(max_attempts=ecs.max_attempts)
        prices = fetch_prices(ecs.pricing_client(), ecs.region, retrier=retrier)
    except _READ_ERRORS as error:
        notes.append(f"The AWS Price List API could not be read ({error}); {table.source} used.")
        return table
    return table.with_prices(prices, "AWS Price List API (pricing:GetProducts, AmazonECS)")


def read_step_usage(ecs: EcsResource, cluster: str, results: Sequence[EcsTaskResult]) -> UsageRead:
    """One read for all of the step's tasks, over the time they ran."""
    starts = [r.task.get("createdAt") or r.started_at for r in results]
    ends = [r.stopped_at or r.task.get("stoppedAt") for r in results]
    known_starts = [s for s in starts if s is not None]
    known_ends = [e for e in ends if e is not None]
    if not known_starts or not known_ends:
        return UsageRead()
    return read_usage(
        ecs.logs_client(),
        cluster,
        [task_id(r.task_arn) for r in results],
        start=min(known_starts),
        end=max(known_ends),
        retrier=Retrier(max_attempts=ecs.max_attempts),
    )


def guarded_read(
    ecs: EcsResource, cluster: str, results: Sequence[EcsTaskResult], notes: list[str]
) -> UsageRead:
    """The one read of ``results``' use, unless the resource says not to; a failure is a
    note, never the step's failure."""
    if not ecs.cost.report_usage:
        return UsageRead()
    try:
        return read_step_usage(ecs, cluster, results)
    except _READ_ERRORS as error:
        notes.append(f"Task use could not be read from Container Insights: {error}")
        return UsageRead()


def step_usage(
    ecs: EcsResource,
    cluster: str,
    results: Sequence[EcsTaskResult],
    *,
    default_architecture: Architecture = Architecture.X86_64,
    read: UsageRead | None = None,
    notes: Sequence[str] = (),
) -> StepUsage:
    """The step's figures, metadata and run-log lines (``read``: the use read already, for
    several steps at once; else read here, once)."""
    notes = list(notes)
    table = price_table(ecs, notes)
    if read is None:
        read = guarded_read(ecs, cluster, results, notes)
    if read.insights_off:
        notes.append(read.insights_off)
    unread = [r for r in results if task_id(r.task_arn) not in read.usage]
    if read.calls and not read.insights_off and unread:
        notes.append(
            f"No Container Insights events yet for {len(unread)} of the {len(results)} task(s): "
            "ECS writes them about a minute after each collection period, so a task that "
            "ran under a minute may have none when its step ends."
        )
    if read.truncated:
        notes.append("Task use was read in part: the performance log group held too much.")
    tasks = [
        TaskFigures(
            cost=task_cost(
                r.task, region=ecs.region, prices=table, default_architecture=default_architecture
            ),
            usage=read.usage.get(task_id(r.task_arn)),
        )
        for r in results
    ]
    figures = step_figures(tasks)
    priced = any(t.cost.cost_usd is not None for t in tasks)
    metadata = umd.usage_metadata(
        figures, prices_source=table.source if priced else None, notes=notes
    )
    return StepUsage(figures=figures, metadata=metadata, lines=[t.line() for t in tasks])


def right_sizing_hint(
    ecs: EcsResource,
    instance: DagsterInstance,
    asset_key: AssetKey,
    usage: StepUsage,
    region: str,
) -> str | None:
    """For a one-task asset step: the smaller Fargate size its recent materialisations (this
    one included) would have fitted, with the saving; None otherwise."""
    if len(usage.figures.tasks) != 1 or usage.figures.tasks[0].usage is None:
        return None
    task = usage.figures.tasks[0]
    current = umd.recorded_run(usage.metadata)
    if current is None:
        return None
    wanted = ecs.cost.right_sizing_runs
    runs: list[RunUsage] = [current]
    if wanted > 1:
        records = instance.fetch_materializations(asset_key, limit=wanted - 1).records
        for record in records:
            materialization = record.asset_materialization
            run = None if materialization is None else umd.recorded_run(materialization.metadata)
            if run is not None:
                runs.append(run)
    reservation = task.cost.reservation
    prices = ecs.cost.price_table().get(region, reservation.capacity, reservation.architecture)
    hint = size_hint(
        reservation,
        runs,
        prices=prices,
        threshold=ecs.cost.right_sizing_threshold,
        min_runs=wanted,
    )
    return None if hint is None else hint.text(reservation)


def tick_usage(
    ecs: EcsResource, groups: Sequence[tuple[str, Sequence[EcsTaskResult]]]
) -> list[dict[str, Any]]:
    """The cost and use metadata of each (cluster, results) group a sensor tick reports, with
    one read per cluster for all of them."""
    by_cluster: dict[str, list[EcsTaskResult]] = {}
    for cluster, results in groups:
        by_cluster.setdefault(cluster, []).extend(results)
    reads: dict[str, tuple[UsageRead, list[str]]] = {}
    for cluster, results in by_cluster.items():
        notes: list[str] = []
        reads[cluster] = (guarded_read(ecs, cluster, results, notes), notes)
    answers: list[dict[str, Any]] = []
    for cluster, results in groups:
        read, notes = reads[cluster]
        usage = step_usage(ecs, cluster, results, read=read, notes=notes)
        answers.append(usage.metadata)
    return answers


class _Log(Protocol):
    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...


def step_report(
    ecs: EcsResource,
    cluster: str,
    results: Sequence[EcsTaskResult],
    *,
    architecture: Architecture,
    log: _Log,
    instance: DagsterInstance,
    asset_key: AssetKey | None,
) -> dict[str, Any]:
    """A step's cost and use metadata, a run-log line per task and, for an asset (a one-task
    step's), the right-sizing hint; never raises: a report is no reason for a step to fail."""
    try:
        usage = step_usage(ecs, cluster, results, default_architecture=architecture)
        metadata = dict(usage.metadata)
        for line in usage.lines:
            log.info(line)
        if asset_key is not None:
            hint = right_sizing_hint(ecs, instance, asset_key, usage, ecs.region)
            if hint:
                log.warning(hint)
                metadata[umd.RIGHT_SIZING] = MetadataValue.text(hint)
    except Exception as error:
        log.warning(f"What the step's tasks cost and used could not be reported: {error}")
        return {}
    return metadata
