"""The one read of usage: a step's (or a tick's) stopped tasks, in one FilterLogEvents query of
their cluster's performance group (paged), after they stop, never per poll round.

A group that does not exist means Container Insights is off for the cluster: the read says so,
with the command that turns it on, instead of failing the step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.common import Retrier, cluster_name
from ecs_pipelines.ecs.usage.performance import (
    MAX_PERIOD_SECONDS,
    TaskUsage,
    filter_pattern,
    parse_task_events,
    performance_group,
)

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import FilterLogEventsRequestTypeDef

# Pages of one read at most (10,000 events each): a read that would need more says so.
MAX_PAGES = 20
INSIGHTS_OFF = (
    "Container Insights is off for cluster {cluster}, so ECS records no CPU or memory use "
    "per task. Turn it on with: aws ecs update-cluster-settings --cluster {cluster} "
    "--settings name=containerInsights,value=enhanced"
)


@dataclass(frozen=True)
class UsageRead:
    """What one read found: each task's usage (tasks without events are absent), a note when
    Container Insights is off, how many calls it took, and whether it stopped early."""

    usage: dict[str, TaskUsage] = field(default_factory=dict)
    insights_off: str | None = None
    calls: int = 0
    truncated: bool = False


def read_usage(
    logs_client: CloudWatchLogsClient,
    cluster: str,
    task_ids: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    retrier: Retrier | None = None,
) -> UsageRead:
    """The usage of ``task_ids`` (of ``cluster``, the name or ARN) between ``start`` and
    ``end`` (the end widened by one collection period, for the last event)."""
    if not task_ids:
        return UsageRead()
    name = cluster_name(cluster)
    request: FilterLogEventsRequestTypeDef = {
        "logGroupName": performance_group(name),
        "filterPattern": filter_pattern(task_ids),
        "startTime": int(start.timestamp() * 1000),
        "endTime": int((end.timestamp() + MAX_PERIOD_SECONDS) * 1000),
    }
    retrier = retrier or Retrier()
    messages: list[str] = []
    token: str | None = None
    calls = 0
    while True:
        page_request: FilterLogEventsRequestTypeDef = {**request}
        if token:
            page_request["nextToken"] = token
        calls += 1
        try:
            answer = retrier.call(lambda: logs_client.filter_log_events(**page_request))  # noqa: B023 (called at once)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return UsageRead(insights_off=INSIGHTS_OFF.format(cluster=name), calls=calls)
            raise
        messages.extend(event.get("message", "") for event in answer.get("events", []))
        token = answer.get("nextToken")
        if not token or calls >= MAX_PAGES:
            break
    return UsageRead(
        usage=parse_task_events(messages, task_ids), calls=calls, truncated=bool(token)
    )
