"""What the tasks the CLI shows cost and used: each stopped task priced by Fargate's rule at
the resource's prices, and one Container Insights read for all of them (the cost and memory
peak columns of `ecs-pipelines tasks`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.cli.common import Env
from ecs_pipelines.ecs.common import EcsError, TaskStatus, task_id
from ecs_pipelines.ecs.usage import TaskUsage, UsageRead, read_usage, task_cost


def usage_of(env: Env, tasks: Sequence[Mapping[str, Any]]) -> UsageRead:
    """One read of the stopped tasks' use (nothing when none has stopped)."""
    stopped = [t for t in tasks if t.get("stoppedAt")]
    if not stopped:
        return UsageRead()
    return read_usage(
        env.resource.logs_client(),
        env.cluster,
        [task_id(str(t["taskArn"])) for t in stopped],
        start=min(t.get("createdAt") or t["stoppedAt"] for t in stopped),
        end=max(t["stoppedAt"] for t in stopped),
    )


def cost_of(env: Env, task: Mapping[str, Any]) -> float | None:
    """A stopped task's cost at the resource's prices; None while it runs or without a price."""
    if task.get("lastStatus") != TaskStatus.STOPPED:
        return None
    region = env.resource.region_name or env.target.region
    return task_cost(task, region=region, prices=env.resource.cost.price_table()).cost_usd


def add_cost_columns(
    env: Env, tasks: Sequence[Mapping[str, Any]], rows: list[dict[str, Any]]
) -> str | None:
    """Each row's ``cost_usd`` and ``memory_peak_mib``; the note when use cannot be read
    (Container Insights off, or no permission to read it: the listing is shown all the same)."""
    note: str | None = None
    try:
        read = usage_of(env, tasks)
        note = read.insights_off
    except (ClientError, BotoCoreError, EcsError) as error:
        read, note = UsageRead(), f"Memory peaks could not be read from Container Insights: {error}"
    for task, row in zip(tasks, rows, strict=True):
        cost = cost_of(env, task)
        usage: TaskUsage | None = read.usage.get(task_id(str(task["taskArn"])))
        row["cost_usd"] = None if cost is None else round(cost, 6)
        row["memory_peak_mib"] = None if usage is None else round(usage.memory_peak_mib, 1)
    return note
