"""Launch plans for tests that drive ``launch`` / ``launch_many`` with a stubbed client."""

from __future__ import annotations

from typing import Any, NoReturn

from ecs_pipelines.ecs.launching import LaunchPlan, LaunchSettings, plan_launch


def _no_read(reference: Any) -> NoReturn:
    raise AssertionError(f"this plan reads no task definition, asked for {reference!r}")


def plan_of(**settings: Any) -> LaunchPlan:
    """The plan of a launch with ``settings`` alone (a named task definition, no container
    to pick): checked and built, reading nothing."""
    return plan_launch(LaunchSettings(**settings), describe=_no_read, resolve=_no_read)
