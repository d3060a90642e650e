"""Pure: where a person looks at a task and its logs, on the ECS in use.

On AWS that is the ECS and CloudWatch consoles; on the embedded ECS (an endpoint on loopback)
the pages it serves itself, ``/_local/tasks/<task id>`` and ``.../logs/<container>``, since the
console of account 123456789012 shows nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urlencode

from ecs_pipelines.ecs.common import cluster_name, is_loopback, task_id
from ecs_pipelines.ecs.logs.streams import (
    LogStreamRef,
    console_url_for_log_stream,
    console_url_for_task,
)

TASK_PAGES = "/_local/tasks"


class TaskLinks(Protocol):
    """Pages of a task and of one container's log stream."""

    def task(self, cluster: str, task_arn: str) -> str: ...

    def logs(self, cluster: str, task_arn: str, ref: LogStreamRef) -> str: ...


@dataclass(frozen=True)
class AwsConsoleLinks:
    """The AWS console: the ECS task page, the CloudWatch log stream."""

    region: str

    def task(self, cluster: str, task_arn: str) -> str:
        return console_url_for_task(self.region, cluster, task_arn)

    def logs(self, cluster: str, task_arn: str, ref: LogStreamRef) -> str:
        return console_url_for_log_stream(ref.region or self.region, ref)


@dataclass(frozen=True)
class EmbeddedEcsLinks:
    """The embedded ECS's own task and log pages."""

    endpoint_url: str
    region: str

    def task(self, cluster: str, task_arn: str) -> str:
        return f"{self._base(task_arn)}?{self._query(cluster, task_arn)}"

    def logs(self, cluster: str, task_arn: str, ref: LogStreamRef) -> str:
        container = quote(ref.container, safe="")
        return f"{self._base(task_arn)}/logs/{container}?{self._query(cluster, task_arn)}"

    def _base(self, task_arn: str) -> str:
        return f"{self.endpoint_url.rstrip('/')}{TASK_PAGES}/{task_id(task_arn)}"

    def _query(self, cluster: str, task_arn: str) -> str:
        query = {"cluster": cluster_name(cluster), "region": self.region}
        # The pages read the task in its own account (an assumed role's may be another).
        parts = task_arn.split(":")
        if len(parts) > 5 and parts[4]:
            query["account"] = parts[4]
        return urlencode(query)


def links_for(endpoint_url: str | None, region: str) -> TaskLinks:
    """The embedded ECS's pages for a loopback endpoint, the AWS console otherwise."""
    if endpoint_url and is_loopback(endpoint_url):
        return EmbeddedEcsLinks(endpoint_url, region)
    return AwsConsoleLinks(region)
