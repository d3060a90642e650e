"""Launching many tasks: RunTask calls of up to 10 tasks each, paced, each with its own token.

RunTask starts at most 10 tasks per call, and ECS throttles RunTask per account (Fargate
launches about 20 calls a second). ``launch_many`` starts ``total`` identical tasks of one plan in
ceil(total / 10) calls; ``launch_each`` starts one call per plan, for tasks whose overrides
differ (RunTask's overrides apply to every task of a call). Plans are checked when they are
made, so a bad one fails before the first call of a fan-out.

Every call carries its own clientToken, derived from the launch's base token and the call's
index, so a call retried after a dropped connection or a throttling answer cannot start its
tasks twice, and re-running the same fan-out with the same base token starts nothing new.
Throttling is retried by ``EcsTaskClient``'s Retrier; a ``calls_per_second`` pace keeps a
fan-out under the account's RunTask rate in the first place.

All or nothing, like ``EcsTaskClient.launch``: when a call fails for good, the tasks already
started by this fan-out are stopped and the error names how many had been launched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ecs_pipelines.ecs.common import EcsLaunchError, EcsSpecError
from ecs_pipelines.ecs.launching.launcher import launch
from ecs_pipelines.ecs.launching.plan import LaunchPlan
from ecs_pipelines.ecs.launching.tokens import derive_client_token
from ecs_pipelines.ecs.tasks import EcsTaskClient, stop_tasks

RUN_TASK_MAX_COUNT = 10  # RunTask's ``count`` is 1..10
FANOUT_STOP_REASON = "Fan-out launch failed: stopping the tasks it had started"

LaunchCallback = Callable[[list[str]], None]  # the ARNs of one RunTask call, as they arrive


def chunk_counts(total: int, size: int = RUN_TASK_MAX_COUNT) -> list[int]:
    """``total`` split into RunTask counts of at most ``size``: 25 -> [10, 10, 5]."""
    if total < 1:
        raise EcsSpecError("total", f"must be at least 1, got {total}")
    if not 1 <= size <= RUN_TASK_MAX_COUNT:
        raise EcsSpecError("chunk_size", f"must be 1..{RUN_TASK_MAX_COUNT}, got {size}")
    full, rest = divmod(total, size)
    return [size] * full + ([rest] if rest else [])


def chunk_token(base: str, index: int) -> str:
    """The clientToken of call ``index`` of a fan-out whose base token is ``base``."""
    return derive_client_token(base, "fanout", str(index))


@dataclass
class Pacer:
    """Spaces calls at least ``1 / calls_per_second`` apart; no pacing when the rate is None."""

    calls_per_second: float | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _next: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.calls_per_second is not None and self.calls_per_second <= 0:
            raise EcsSpecError("calls_per_second", f"must be positive, got {self.calls_per_second}")

    def wait(self) -> None:
        if self.calls_per_second is None:
            return
        now = self.clock()
        if self._next is not None and now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + 1.0 / self.calls_per_second


def launch_many(
    client: EcsTaskClient,
    plan: LaunchPlan,
    total: int,
    *,
    calls_per_second: float | None = None,
    chunk_size: int = RUN_TASK_MAX_COUNT,
    on_launch: LaunchCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """Starts ``total`` tasks of ``plan`` (its ``count`` is ignored) in calls of ``chunk_size``.

    Call i's clientToken derives from the plan's client token (or a fresh token) and i.
    Returns every task ARN, in launch order.
    """
    base = plan.client_token or client.token_factory()
    calls = [
        plan.for_call(count=count, client_token=chunk_token(base, index))
        for index, count in enumerate(chunk_counts(total, chunk_size))
    ]
    return _launch_all(client, calls, Pacer(calls_per_second, sleep, clock), on_launch)


def launch_each(
    client: EcsTaskClient,
    plans: Sequence[LaunchPlan],
    *,
    calls_per_second: float | None = None,
    on_launch: LaunchCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """One RunTask per plan (distinct overrides cannot share a call), paced; all or nothing.

    A plan without a clientToken gets one derived from a fresh base token and its index.
    """
    if not plans:
        return []
    base = client.token_factory()
    tokened = [
        plan
        if plan.client_token
        else plan.for_call(count=plan.count, client_token=chunk_token(base, i))
        for i, plan in enumerate(plans)
    ]
    return _launch_all(client, tokened, Pacer(calls_per_second, sleep, clock), on_launch)


def _launch_all(
    client: EcsTaskClient,
    plans: Sequence[LaunchPlan],
    pacer: Pacer,
    on_launch: LaunchCallback | None,
) -> list[str]:
    launched: list[tuple[str, str]] = []  # (cluster, task ARN)
    try:
        for plan in plans:
            pacer.wait()
            arns = launch(client, plan)
            launched.extend((plan.cluster, arn) for arn in arns)
            if on_launch:
                on_launch(arns)
    except BaseException as error:
        # Whatever ends the fan-out early (a failed call, Ctrl-C, a terminated run) must not
        # leave the tasks it already started running with nobody watching them.
        _stop(client, launched)
        arns = [arn for _, arn in launched]
        if isinstance(error, EcsLaunchError):
            raise EcsLaunchError(
                f"{error} (after {len(arns)} task(s) of this fan-out had started; "
                "they were stopped)",
                failures=error.failures,
                task_arns=arns + error.task_arns,
            ) from error
        if arns:
            error.add_note(f"{len(arns)} task(s) this fan-out had launched were stopped: {arns}")
        raise
    return [arn for _, arn in launched]


def _stop(client: EcsTaskClient, launched: Sequence[tuple[str, str]]) -> None:
    by_cluster: dict[str, list[str]] = {}
    for cluster, arn in launched:
        by_cluster.setdefault(cluster, []).append(arn)
    for cluster, arns in by_cluster.items():
        stop_tasks(client, cluster, arns, reason=FANOUT_STOP_REASON)
