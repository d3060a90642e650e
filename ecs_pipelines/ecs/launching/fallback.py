"""Where a launch may run, in order: its own capacity, then each ``capacity_fallback``. Pure.

A launch asks for capacity once, in its RunTask request: a launch type, a capacity provider
strategy, or neither (the cluster's default strategy). ``capacity_fallback`` names more
strategies, typically FARGATE after FARGATE_SPOT: when the launch's own capacity still refuses
it once its ``capacity_retry_seconds`` are spent, ``launcher.launch`` tries the next one, with
a budget of its own. A strategy replaces the request's launch type, as RunTask takes one or
the other.

Each stage after the first launches under its own token (derived from the launch's token and
the stage), so that a refusal replayed for one token cannot block the next capacity, and a
stage's tasks can never be started again by another stage's retry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ecs_pipelines.ecs.launching.plan import LaunchPlan
from ecs_pipelines.ecs.launching.tokens import derive_client_token

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import (
        CapacityProviderStrategyItemTypeDef,
        RunTaskRequestTypeDef,
    )

CLUSTER_DEFAULT = "the cluster's default capacity provider strategy"


@dataclass(frozen=True)
class CapacityStage:
    """One capacity a launch may run on: RunTask's request for it (no token yet) and its name."""

    index: int  # 0: the launch's own capacity
    request: RunTaskRequestTypeDef
    capacity: str


def capacity_name(request: Mapping[str, Any]) -> str:
    """What a request runs on, in words: its providers (with weights when several), its launch
    type, or the cluster's default strategy."""
    strategy: Sequence[Mapping[str, Any]] = request.get("capacityProviderStrategy") or ()
    if len(strategy) == 1:
        return str(strategy[0]["capacityProvider"])
    if strategy:
        return ", ".join(f"{i['capacityProvider']} (weight {i.get('weight', 0)})" for i in strategy)
    launch_type = request.get("launchType")
    return f"launch type {launch_type}" if launch_type else CLUSTER_DEFAULT


def capacity_stages(plan: LaunchPlan) -> list[CapacityStage]:
    """The plan's own capacity, then one stage per fallback strategy, in order."""
    stages = [CapacityStage(0, plan.request.copy(), capacity_name(plan.request))]
    for index, strategy in enumerate(plan.capacity_fallback, start=1):
        request = plan.request.copy()
        request.pop("launchType", None)
        items = [dict(item) for item in strategy]
        request["capacityProviderStrategy"] = cast(
            "list[CapacityProviderStrategyItemTypeDef]", items
        )
        stages.append(CapacityStage(index, request, capacity_name(request)))
    return stages


def stage_token(base: str, stage: CapacityStage) -> str:
    """The token a stage's attempts derive theirs from: the launch's own for the first."""
    return (
        base
        if stage.index == 0
        else derive_client_token(base, "capacity-fallback", str(stage.index))
    )
