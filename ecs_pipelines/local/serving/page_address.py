"""What a task page's address asks for, checked before the server reads anything for it.

``/_local/tasks/<task id>[/logs/<container>[/lines]]?cluster=&region=&account=&token=``
(``account``: the task's, when not the server's default one): any web page
can make the browser request such an address, so each part is checked against what ECS itself
accepts, and the region against the regions the server serves. Anything else is no page at
all (a 404 naming the part and its rule), before a client is made or a call sent.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

# ECS API reference (CreateCluster clusterName, ContainerDefinition name): "Up to 255 letters
# (uppercase and lowercase), numbers, underscores, and hyphens are allowed."
_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_NAME_RULE = "1 to 255 letters, digits, hyphens and underscores"
# The id at the end of a task ARN: 32 hexadecimal digits (the long ARN format), or a UUID (the
# older one).
_TASK_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")
# An AWS account id: 12 digits.
_ACCOUNT = re.compile(r"[0-9]{12}")


class PageKind(Enum):
    TASK = "task"  # the task page
    LOGS = "logs"  # a container's log page
    LINES = "lines"  # the JSON page of a log's new lines


@dataclass(frozen=True)
class PageAddress:
    """A well-formed page address: which page, of which task, where."""

    kind: PageKind
    task_id: str
    cluster: str
    region: str
    container: str = ""
    token: str = ""
    account: str | None = None  # None: the server's default account


# What ECS calls a cluster when a request names none (RunTask, DescribeTasks: "If you do not
# specify a cluster, the default cluster is assumed").
DEFAULT_CLUSTER = "default"


def page_address(
    parts: Sequence[str],
    query: Mapping[str, Sequence[str]],
    regions: Collection[str],
    default_region: str,
) -> PageAddress | str:
    """The page that ``parts`` (the path's segments after ``/_local/tasks/``) and ``query``
    ask for, or why there is no such page. Without a cluster the address names ECS's default
    one; without a region, the server's own."""
    kind = _kind(parts)
    if kind is None:
        return "No such page."
    task_id, container = parts[0], parts[2] if len(parts) > 2 else ""
    cluster = _first(query, "cluster", DEFAULT_CLUSTER)
    region = _first(query, "region", default_region)
    if not _TASK_ID.fullmatch(task_id):
        return "No such task: a task id is 32 hexadecimal digits (or a UUID)."
    if not _NAME.fullmatch(cluster):
        return f"No such cluster: a cluster name is {_NAME_RULE}."
    if region not in regions:
        return "No such region: the region is not one this embedded ECS serves."
    if kind is not PageKind.TASK and not _NAME.fullmatch(container):
        return f"No such container: a container name is {_NAME_RULE}."
    account = _first(query, "account", "") or None
    if account is not None and not _ACCOUNT.fullmatch(account):
        return "No such account: an account id is 12 digits."
    token = _first(query, "token", "")
    return PageAddress(kind, task_id, cluster, region, container, token, account)


def _kind(parts: Sequence[str]) -> PageKind | None:
    if len(parts) == 1:
        return PageKind.TASK
    if len(parts) == 3 and parts[1] == "logs":
        return PageKind.LOGS
    if len(parts) == 4 and parts[1] == "logs" and parts[3] == "lines":
        return PageKind.LINES
    return None


def _first(query: Mapping[str, Sequence[str]], name: str, default: str) -> str:
    values = query.get(name)
    return values[0] if values else default
