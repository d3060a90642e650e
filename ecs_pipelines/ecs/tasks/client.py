"""Thin I/O over the ECS API: launch, describe in batches, stop, list. Every call is retried.

The boto3 client is injected, so the same code drives AWS, the embedded local ECS and a
botocore Stubber. Decisions (what a task's state means, how long to wait) live elsewhere. Each
call takes an optional deadline; without one it is bounded by the caller's enclosing deadline
(``deadline.bounded_by``), if any.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, cast

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.common import (
    MISSING,
    BoundedMap,
    Deadline,
    Retrier,
    family_and_revision,
    family_revision,
    install_deadline_timeouts,
    is_revision,
    match_refs,
    tag_list,
    tags_of,
)

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.literals import DesiredStatusType
    from mypy_boto3_ecs.type_defs import (
        DescribeTasksResponseTypeDef,
        ListTaskDefinitionsRequestTypeDef,
        ListTasksRequestTypeDef,
        RegisterTaskDefinitionRequestTypeDef,
        RunTaskRequestTypeDef,
        RunTaskResponseTypeDef,
        TaskDefinitionTypeDef,
        TaskTypeDef,
    )

T = TypeVar("T")

DESCRIBE_BATCH = 100  # DescribeTasks accepts at most 100 tasks per call
STOP_REASON_LIMIT = 255  # StopTask truncates longer reasons; cut them ourselves, visibly
# Described revisions a client keeps, each under every name it was asked by (ARN,
# family:revision). A client lives as long as its resource, a code server's or a daemon's life.
MAX_TASK_DEFINITIONS = 256


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def new_client_token() -> str:
    """A fresh token, so that a RunTask retried after a dropped connection cannot launch twice."""
    return uuid.uuid4().hex


@dataclass
class DescribeResult:
    """DescribeTasks over any number of tasks, keyed by the caller's references (id or ARN)."""

    tasks: dict[str, TaskTypeDef] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # reference -> failure reason


def _revision_number(task_definition: str) -> int:
    return family_and_revision(task_definition)[1] or 0


class EcsTaskClient:
    """ECS calls the project makes, each retried on throttling, 5xx and dropped connections."""

    def __init__(
        self,
        ecs_client: ECSClient,
        *,
        retrier: Retrier | None = None,
        token_factory: Callable[[], str] = new_client_token,
        max_task_definitions: int = MAX_TASK_DEFINITIONS,
    ) -> None:
        self.ecs: ECSClient = install_deadline_timeouts(ecs_client)
        self.retrier = retrier or Retrier()
        self.token_factory = token_factory
        self.calls: Counter[str] = Counter()
        # A revision never changes: a dropped one costs a DescribeTaskDefinition, never a
        # wrong answer.
        self.task_definition_cache: BoundedMap[str, TaskDefinitionTypeDef] = BoundedMap(
            "The client's cache of described task definitions", max_task_definitions
        )

    def _call(self, operation: str, call: Callable[[], T], deadline: Deadline | None = None) -> T:
        """``call()`` (the boto3 call named ``operation``), counted and retried."""

        def attempt() -> T:
            self.calls[operation] += 1
            return call()

        return self.retrier.call(attempt, deadline=deadline)

    def run_task(self, request: RunTaskRequestTypeDef) -> RunTaskResponseTypeDef:
        """One RunTask with ``request`` as it is (retried: give it a clientToken)."""
        return self._call("run_task", lambda: self.ecs.run_task(**request))

    def describe(
        self, cluster: str, tasks: Sequence[str], *, deadline: Deadline | None = None
    ) -> DescribeResult:
        """DescribeTasks in batches of 100, with the tasks' tags; ``tasks`` are ids or ARNs."""
        result = DescribeResult()
        unique = list(dict.fromkeys(tasks))
        for batch in batches(unique, DESCRIBE_BATCH):
            response = self._describe_batch(cluster, batch, deadline)
            found = {task["taskArn"]: task for task in response.get("tasks", [])}
            for arn, ref in match_refs(batch, found).items():
                result.tasks[ref] = found[arn]
            for failure in response.get("failures", []):
                # ECS may echo a short id or a long ARN for a missing task; map it to ours.
                refs = match_refs(batch, [failure.get("arn", "")])
                for ref in refs.values() or [failure.get("arn", "")]:
                    result.missing[ref] = failure.get("reason", MISSING)
        return result

    def _describe_batch(
        self, cluster: str, batch: list[str], deadline: Deadline | None
    ) -> DescribeTasksResponseTypeDef:
        return self._call(
            "describe_tasks",
            lambda: self.ecs.describe_tasks(cluster=cluster, tasks=batch, include=["TAGS"]),
            deadline,
        )

    def stop(
        self, cluster: str, task: str, *, reason: str, deadline: Deadline | None = None
    ) -> TaskTypeDef:
        """One StopTask. To give up on tasks, use ``stopping.stop_tasks``."""
        response = self._call(
            "stop_task",
            lambda: self.ecs.stop_task(
                cluster=cluster, task=task, reason=reason[:STOP_REASON_LIMIT]
            ),
            deadline,
        )
        return response.get("task", {})

    def list_task_arns(
        self,
        cluster: str,
        *,
        family: str | None = None,
        started_by: str | None = None,
        desired_status: str | None = None,
        page_size: int = 100,
        deadline: Deadline | None = None,
    ) -> Iterator[str]:
        """ListTasks across every page (ECS pages by 100)."""
        request: ListTasksRequestTypeDef = {"cluster": cluster, "maxResults": page_size}
        if family:
            request["family"] = family
        if started_by:
            request["startedBy"] = started_by
        if desired_status:
            request["desiredStatus"] = cast("DesiredStatusType", desired_status)
        while True:
            response = self._call("list_tasks", lambda: self.ecs.list_tasks(**request), deadline)
            yield from response.get("taskArns", [])
            token = response.get("nextToken")
            if not token:
                return
            request["nextToken"] = token

    def task_definition(self, task_definition: str) -> TaskDefinitionTypeDef:
        """DescribeTaskDefinition, cached per revision (bounded: the least recently used is
        dropped): a revision never changes."""
        cached = self.task_definition_cache.get(task_definition)
        if cached is None:
            response = self._call(
                "describe_task_definition",
                lambda: self.ecs.describe_task_definition(taskDefinition=task_definition),
            )
            cached = response["taskDefinition"]
            if is_revision(task_definition):
                self.task_definition_cache.put(task_definition, cached)
            # A family names its latest revision, which may change: it is not a key. The
            # revision it named is, under its ARN, the name a launched task gives it.
            self.remember_task_definition(cached)
        return cached

    # --- task definitions (register-or-reuse lives in ``task_definitions``) ---------------

    def remember_task_definition(self, definition: TaskDefinitionTypeDef) -> None:
        """Caches a revision already known (registered or described with its tags), under its
        ARN and ``family:revision``, so that no DescribeTaskDefinition repeats it."""
        arn = str(definition["taskDefinitionArn"])
        self.task_definition_cache.put(arn, definition)
        self.task_definition_cache.put(family_revision(arn), definition)

    def describe_task_definition_tags(
        self, task_definition: str
    ) -> tuple[TaskDefinitionTypeDef, dict[str, str]] | None:
        """DescribeTaskDefinition with the revision's tags; None when ECS knows no such
        family or revision (its ClientException). A family names its latest ACTIVE revision."""
        try:
            response = self._call(
                "describe_task_definition",
                lambda: self.ecs.describe_task_definition(
                    taskDefinition=task_definition, include=["TAGS"]
                ),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ClientException":
                return None
            raise
        return response["taskDefinition"], tags_of(response)

    def active_revisions(self, family: str, *, page_size: int = 100) -> Iterator[str]:
        """ARNs of the family's ACTIVE revisions, newest first, page after page (ListTaskDefinitions
        takes at most 100 a page): the caller stops reading when it has found what it needs."""
        request: ListTaskDefinitionsRequestTypeDef = {
            "familyPrefix": family,
            "status": "ACTIVE",
            "sort": "DESC",
            "maxResults": page_size,
        }
        while True:
            response = self._call(
                "list_task_definitions", lambda: self.ecs.list_task_definitions(**request)
            )
            # Sorted again on our side: an endpoint that ignores ``sort`` is still read newest
            # first within each page.
            yield from sorted(
                response.get("taskDefinitionArns", []), key=_revision_number, reverse=True
            )
            token = response.get("nextToken")
            if not token:
                return
            request["nextToken"] = token

    def register_task_definition(
        self, request: RegisterTaskDefinitionRequestTypeDef, *, tags: dict[str, str]
    ) -> TaskDefinitionTypeDef:
        """RegisterTaskDefinition with ``tags`` on the new revision; returns the revision."""
        tagged = request.copy()
        tagged["tags"] = tag_list(tags)
        response = self._call(
            "register_task_definition", lambda: self.ecs.register_task_definition(**tagged)
        )
        return response["taskDefinition"]

    def deregister_task_definition(self, task_definition: str) -> None:
        """DeregisterTaskDefinition: the revision becomes INACTIVE (running tasks go on)."""
        self._call(
            "deregister_task_definition",
            lambda: self.ecs.deregister_task_definition(taskDefinition=task_definition),
        )
