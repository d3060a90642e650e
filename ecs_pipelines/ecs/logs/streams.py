"""Where ECS tasks write their logs, and the AWS console pages of tasks and log streams. Pure.

ECS names an ``awslogs`` stream ``<awslogs-stream-prefix>/<container name>/<task id>``, so the
stream of every container can be derived from the task definition alone, before the stream
exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ecs_pipelines.ecs.common import cluster_name, task_id


@dataclass(frozen=True)
class LogStreamRef:
    """One awslogs stream of one container of one task."""

    container: str
    group: str
    stream: str
    region: str | None


def log_stream_refs(task_definition: Mapping[str, Any], task_arn: str) -> list[LogStreamRef]:
    """The awslogs streams the containers of ``task_arn`` write to, in container order."""
    task = task_id(task_arn)
    refs: list[LogStreamRef] = []
    for container in task_definition.get("containerDefinitions", []):
        log_configuration = container.get("logConfiguration") or {}
        # Other drivers (awsfirelens, splunk, ...) do not write to a CloudWatch stream we can name.
        if log_configuration.get("logDriver") != "awslogs":
            continue
        options = log_configuration.get("options") or {}
        group = options.get("awslogs-group")
        prefix = options.get("awslogs-stream-prefix")
        # Without awslogs-stream-prefix ECS lets Docker name the stream after the container id,
        # which is not known in advance (and not reported by DescribeTasks), so there is no
        # predictable stream to read: such containers are skipped rather than guessed.
        if not group or not prefix:
            continue
        name = container["name"]
        refs.append(
            LogStreamRef(
                container=name,
                group=group,
                stream=f"{prefix}/{name}/{task}",
                region=options.get("awslogs-region"),
            )
        )
    return refs


def _console_base(region: str) -> str:
    # The China and GovCloud partitions have their own console domains.
    if region.startswith("cn-"):
        return f"https://{region}.console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return f"https://{region}.console.amazonaws-us-gov.com"
    return f"https://{region}.console.aws.amazon.com"


def console_url_for_task(region: str, cluster: str, task_arn: str) -> str:
    """The ECS console page of a task; ``cluster`` may be a name or an ARN."""
    return (
        f"{_console_base(region)}/ecs/v2/clusters/{quote(cluster_name(cluster), safe='')}"
        f"/tasks/{task_id(task_arn)}/configuration?region={region}"
    )


def _console_escape(name: str) -> str:
    # The CloudWatch console keeps group and stream names in the URL fragment, percent-encoded
    # and then with every "%" written as "$25": "/ecs/app" -> "$252Fecs$252Fapp".
    return quote(name, safe="").replace("%", "$25")


def console_url_for_log_stream(region: str, ref: LogStreamRef) -> str:
    """The CloudWatch console page showing the events of one stream."""
    return (
        f"{_console_base(region)}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/"
        f"{_console_escape(ref.group)}/log-events/{_console_escape(ref.stream)}"
    )
