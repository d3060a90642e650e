"""Thin I/O over the ECS API: launch, describe in batches, stop, list. Every call is retried.

The boto3 client is injected, so the same code drives AWS, the embedded local ECS and a
botocore Stubber. Decisions (what a task's state means, how long to wait) live elsewhere.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.errors import EcsLaunchError
from ecs_pipelines.ecs.retry import Retrier
from ecs_pipelines.ecs.spec import TaskLaunchSpec, to_run_task_kwargs

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

DESCRIBE_BATCH = 100  # DescribeTasks accepts at most 100 tasks per call
STOP_REASON_LIMIT = 255  # StopTask truncates longer reasons; cut them ourselves, visibly


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def new_client_token() -> str:
    """A fresh token, so that a RunTask retried after a dropped connection cannot launch twice."""
    return uuid.uuid4().hex


@dataclass
class DescribeResult:
    """DescribeTasks over any number of tasks: the described ones and the ones ECS did not know."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # task ARN -> failure reason


def format_failures(failures: Sequence[dict[str, Any]]) -> str:
    parts = []
    for failure in failures:
        text = failure.get("reason", "unknown reason")
        if failure.get("detail"):
            text += f" ({failure['detail']})"
        if failure.get("arn"):
            text += f" for {failure['arn']}"
        parts.append(text)
    return "; ".join(parts)


class EcsTaskClient:
    """ECS calls the project makes, each retried on throttling, 5xx and dropped connections."""

    def __init__(
        self,
        ecs_client: ECSClient,
        *,
        retrier: Retrier | None = None,
        token_factory: Callable[[], str] = new_client_token,
    ) -> None:
        self.ecs = ecs_client
        self.retrier = retrier or Retrier()
        self.token_factory = token_factory
        self.calls: Counter[str] = Counter()
        self._task_definitions: dict[str, dict[str, Any]] = {}

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        method = getattr(self.ecs, operation)

        def attempt() -> dict[str, Any]:
            self.calls[operation] += 1
            response: dict[str, Any] = method(**kwargs)
            return response

        return self.retrier.call(attempt)

    def launch(self, spec: TaskLaunchSpec) -> list[str]:
        """RunTask with a clientToken; all or nothing: a partial launch is stopped, then raised."""
        kwargs = to_run_task_kwargs(spec)
        kwargs.setdefault("clientToken", self.token_factory())
        response = self._call("run_task", **kwargs)
        arns = [task["taskArn"] for task in response.get("tasks", [])]
        failures = response.get("failures", [])
        if failures or len(arns) != spec.count:
            # A half-launched request leaves tasks nobody watches: stop them before raising.
            for arn in arns:
                self.stop(spec.cluster, arn, reason="Launch incomplete: RunTask reported failures")
            detail = format_failures(failures) or f"{len(arns)} of {spec.count} tasks started"
            raise EcsLaunchError(
                f"RunTask on cluster {spec.cluster} for {spec.task_definition} failed: {detail}",
                failures=list(failures),
                task_arns=arns,
            )
        return arns

    def describe(self, cluster: str, task_arns: Sequence[str]) -> DescribeResult:
        """DescribeTasks in batches of 100, with the tasks' tags."""
        result = DescribeResult()
        unique = list(dict.fromkeys(task_arns))
        for batch in batches(unique, DESCRIBE_BATCH):
            response = self._call("describe_tasks", cluster=cluster, tasks=batch, include=["TAGS"])
            for task in response.get("tasks", []):
                result.tasks[task["taskArn"]] = task
            for failure in response.get("failures", []):
                arn = failure.get("arn", "")
                result.missing[self._match_arn(arn, batch)] = failure.get("reason", "MISSING")
        return result

    @staticmethod
    def _match_arn(arn: str, batch: Sequence[str]) -> str:
        # ECS may echo a short task id or a long ARN for a missing task; map it back to ours.
        if arn in batch:
            return arn
        suffix = arn.rsplit("/", 1)[-1]
        return next((a for a in batch if a.rsplit("/", 1)[-1] == suffix), arn)

    def stop(self, cluster: str, task_arn: str, *, reason: str) -> dict[str, Any]:
        response = self._call(
            "stop_task", cluster=cluster, task=task_arn, reason=reason[:STOP_REASON_LIMIT]
        )
        task: dict[str, Any] = response.get("task", {})
        return task

    def list_task_arns(
        self,
        cluster: str,
        *,
        family: str | None = None,
        started_by: str | None = None,
        desired_status: str | None = None,
        page_size: int = 100,
    ) -> Iterator[str]:
        """ListTasks across every page (ECS pages by 100)."""
        kwargs: dict[str, Any] = {"cluster": cluster, "maxResults": page_size}
        if family:
            kwargs["family"] = family
        if started_by:
            kwargs["startedBy"] = started_by
        if desired_status:
            kwargs["desiredStatus"] = desired_status
        while True:
            response = self._call("list_tasks", **kwargs)
            yield from response.get("taskArns", [])
            token = response.get("nextToken")
            if not token:
                return
            kwargs["nextToken"] = token

    def task_definition(self, task_definition_arn: str) -> dict[str, Any]:
        """DescribeTaskDefinition, cached: a revision ARN never changes."""
        cached = self._task_definitions.get(task_definition_arn)
        if cached is None:
            response = self._call("describe_task_definition", taskDefinition=task_definition_arn)
            cached = response["taskDefinition"]
            if ":" in task_definition_arn.rsplit("/", 1)[-1]:
                self._task_definitions[task_definition_arn] = cached
        return cached
