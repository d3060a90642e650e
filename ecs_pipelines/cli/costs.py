"""`ecs-pipelines cost`: what the cluster's stopped tasks cost (Fargate's rule at the
resource's prices), summed by asset, job or day from their tags and creation times."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from ecs_pipelines.cli import format as fmt
from ecs_pipelines.cli.common import Env, echo, ecs_command
from ecs_pipelines.cli.table import render_table
from ecs_pipelines.cli.task_costs import cost_of
from ecs_pipelines.cli.tasks import list_tasks
from ecs_pipelines.ecs.common import TaskStatus, tags_of
from ecs_pipelines.integration.task_naming import ASSET_KEY_TAG, JOB_TAG

GROUPINGS = ("asset", "job", "day")
_PERIOD = re.compile(r"(?P<amount>[1-9]\d{0,3})(?P<unit>[hd])")


def parse_period(value: str) -> timedelta:
    """``24h`` or ``7d`` as a timedelta; a usage error otherwise."""
    match = _PERIOD.fullmatch(value.strip())
    if match is None:
        raise click.BadParameter(f"must be hours or days such as 24h or 7d, got {value!r}")
    amount = int(match["amount"])
    return timedelta(hours=amount) if match["unit"] == "h" else timedelta(days=amount)


def _check_period(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    return parse_period(value)


def group_costs(
    tasks: Sequence[Mapping[str, Any]], costs: Mapping[str, float | None], by: str
) -> list[tuple[str, int, float, int]]:
    """(group, tasks, USD, unpriced tasks) per asset, job or UTC day, costliest first."""
    groups: dict[str, list[float | None]] = {}
    for task in tasks:
        tags = tags_of(task)
        if by == "day":
            created = task.get("createdAt")
            key = created.astimezone(UTC).date().isoformat() if created else "-"
        else:
            key = tags.get(ASSET_KEY_TAG if by == "asset" else JOB_TAG) or "-"
        groups.setdefault(key, []).append(costs.get(str(task["taskArn"])))
    summed = [
        (key, len(values), sum(v for v in values if v is not None), values.count(None))
        for key, values in groups.items()
    ]
    return sorted(summed, key=lambda row: (-row[2], row[0]))


@click.command("cost")
@click.option(
    "--since",
    "period",
    default="24h",
    show_default=True,
    callback=_check_period,
    help="How far back: hours or days, e.g. 6h or 7d (by each task's creation time).",
)
@click.option(
    "--by",
    type=click.Choice(GROUPINGS),
    default="asset",
    show_default=True,
    help="Sum by the asset or job tag of each task, or by day (UTC).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the sums as JSON.")
@ecs_command
def cost_command(env: Env, period: timedelta, by: str, as_json: bool) -> None:
    """What the cluster's stopped tasks cost, summed by asset, job or day.

    Each task is priced by Fargate's rule (vCPU, memory and storage reserved, billed per
    second from image pull to stop, a minute at least) at the resource's prices; EC2 tasks
    only at the EC2 prices it is given. ECS lists stopped tasks for about an hour after they
    stop: for longer periods read the assets' ecs/cost_usd metadata in Dagster.

    \b
    Example:
      ecs-pipelines cost --since 7d --by day
    """
    since = datetime.now(UTC) - period
    found = list_tasks(env, statuses=[TaskStatus.STOPPED], family=None, started_by=None, tags={})
    recent = [t for t in found if t.get("createdAt") and t["createdAt"] >= since]
    costs = {str(t["taskArn"]): cost_of(env, t) for t in recent}
    rows = group_costs(recent, costs, by)
    if as_json:
        echo(
            fmt.to_json(
                [
                    {by: key, "tasks": count, "cost_usd": round(usd, 6), "unpriced_tasks": none}
                    for key, count, usd, none in rows
                ]
            )
        )
    elif rows:
        headers = (by.upper(), "TASKS", "COST (USD)", "UNPRICED")
        cells = [(key, count, f"{usd:.6f}", none or "") for key, count, usd, none in rows]
        echo(render_table(headers, cells))
        total = sum(row[2] for row in rows)
        source = env.resource.cost.price_table().source
        echo(f"Total: ${total:.6f} for {len(recent)} tasks ({source})")
    else:
        echo(
            f"No stopped tasks in cluster {env.cluster} since {since:%Y-%m-%d %H:%M} UTC.", err=True
        )
