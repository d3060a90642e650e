"""Task ids, task ARNs, tags and startedBy: one spelling of each, accepting either id form.

ECS takes a task as its id (``0f9c...``) or its ARN (``arn:aws:ecs:<region>:<account>:task/
<cluster>/<id>``, or the older ``task/<id>`` form) wherever a task is named, and answers with
ARNs. Every caller that compares, shortens or prints a task goes through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.common.errors import EcsSpecError

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TagTypeDef

# startedBy: "Up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward
# slashes (/), and underscores (_) are allowed" (RunTask API reference).
MAX_STARTED_BY = 128
STARTED_BY_PATTERN = re.compile(r"[A-Za-z0-9_/-]{1,128}")
_STARTED_BY_UNSAFE = re.compile(r"[^A-Za-z0-9/_-]")

# How many characters of a task id the run log shows; the CLI accepts any unique prefix.
SHORT_ID_LENGTH = 8


def task_id(task: str) -> str:
    """The task id of a task id or ARN: the last part of the ARN's resource path."""
    return task.rsplit("/", 1)[-1]


def short_task_id(task: str) -> str:
    """The first characters of the task id, as the run log and tables show it."""
    return task_id(task)[:SHORT_ID_LENGTH]


def cluster_name(cluster: str) -> str:
    """A cluster's name from its name or ARN (``arn:...:cluster/<name>``)."""
    return cluster.rsplit("/", 1)[-1]


def task_cluster(task_arn: str) -> str | None:
    """The cluster name in a task ARN (``...:task/<cluster>/<id>``); None for a task id or the
    older ``task/<id>`` form, which do not name it."""
    path = task_arn.split(":", 5)[-1] if task_arn.startswith("arn:") else ""
    parts = path.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "task" else None


def family_revision(task_definition_arn: str | None) -> str:
    """``family:revision`` from a task definition ARN (or the name it was given as)."""
    return task_definition_arn.rsplit("/", 1)[-1] if task_definition_arn else ""


def is_revision(task_definition: str) -> bool:
    """True when ``task_definition`` names one revision (``family:3`` or its ARN)."""
    return ":" in task_definition.rsplit("/", 1)[-1]


def family_and_revision(task_definition: str) -> tuple[str, int | None]:
    """The family and revision number of a task definition ARN, ``family:revision`` or family
    (None when it names no revision by number)."""
    family, _, revision = family_revision(task_definition).partition(":")
    return family, int(revision) if revision.isdigit() else None


def match_refs(refs: Iterable[str], found: Iterable[str]) -> dict[str, str]:
    """Each of ``found`` (ARNs ECS answered with) -> the caller's reference to the same task."""
    by_id = {task_id(ref): ref for ref in refs}
    return {arn: by_id[task_id(arn)] for arn in found if task_id(arn) in by_id}


def task_refs(value: object, field: str = "task_arns") -> list[str]:
    """The caller's task references, checked: a list of non-empty strings, not one string.

    A single ARN passed where a list is expected would otherwise be read as one-letter ids.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise EcsSpecError(field, f"must be a list of task ids or ARNs, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise EcsSpecError(f"{field}[{index}]", "must be a non-empty task id or ARN")
    return list(value)


def started_by_value(text: str) -> str:
    """``text`` as a valid startedBy: characters ECS refuses become '_', cut to 128."""
    return _STARTED_BY_UNSAFE.sub("_", text)[:MAX_STARTED_BY]


def tags_of(task: Mapping[str, Any]) -> dict[str, str]:
    """A described task's tags (DescribeTasks with include=["TAGS"]) as a dict."""
    return {
        str(tag["key"]): str(tag.get("value", ""))
        for tag in task.get("tags") or []
        if isinstance(tag, Mapping) and "key" in tag
    }


def tag_list(tags: Mapping[str, str]) -> list[TagTypeDef]:
    """A dict of tags in RunTask's ``[{"key": k, "value": v}]`` shape."""
    return [{"key": key, "value": value} for key, value in tags.items()]
