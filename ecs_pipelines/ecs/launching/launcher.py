"""A launch: one RunTask of a plan, with a clientToken, all or nothing.

RunTask may start some of the tasks asked for and report ``failures`` for the rest; a half
launch leaves tasks nobody watches, so they are stopped (``tasks.stop_tasks``) before the
failure is raised as ``EcsLaunchError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ecs_pipelines.ecs.common import EcsLaunchError
from ecs_pipelines.ecs.launching.plan import LaunchPlan
from ecs_pipelines.ecs.tasks import EcsTaskClient, stop_tasks

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import FailureTypeDef

PARTIAL_LAUNCH_REASON = "Launch incomplete: RunTask reported failures"


def format_failures(failures: Sequence[FailureTypeDef]) -> str:
    parts = []
    for failure in failures:
        text = failure.get("reason", "unknown reason")
        if failure.get("detail"):
            text += f" ({failure['detail']})"
        if failure.get("arn"):
            text += f" for {failure['arn']}"
        parts.append(text)
    return "; ".join(parts)


def launch(client: EcsTaskClient, plan: LaunchPlan) -> list[str]:
    """RunTask with a clientToken; all or nothing: a partial launch is stopped, then raised."""
    request = plan.request.copy()
    request.setdefault("clientToken", client.token_factory())
    response = client.run_task(request)
    arns = [task["taskArn"] for task in response.get("tasks", [])]
    failures = response.get("failures", [])
    if failures or len(arns) != plan.count:
        # A half-launched request leaves tasks nobody watches: stop them before raising.
        stop_tasks(client, plan.cluster, arns, reason=PARTIAL_LAUNCH_REASON)
        detail = format_failures(failures) or f"{len(arns)} of {plan.count} tasks started"
        raise EcsLaunchError(
            f"RunTask on cluster {plan.cluster} for {plan.task_definition} failed: {detail}",
            failures=list(failures),
            task_arns=arns,
        )
    return arns
