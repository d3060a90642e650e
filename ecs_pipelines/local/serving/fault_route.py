"""``POST /_local/faults``: replace the embedded ECS's fault plan while it runs (for tests).

The body is the plan, in ``local serve --faults``'s syntax or as JSON (``local/rules/
fault_plan``). An empty body clears it. The new plan's counts and windows start when it is set.
A control of the server's (``server_actions.py``): the request carries
``X-Ecs-Pipelines-Action: faults`` and is signed with the server's own keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecs_pipelines.local.rules import FaultPlan, FaultPlanError, parse_fault_plan
from ecs_pipelines.local.serving.server_actions import ServerAction

FAULTS_PATH = "/_local/faults"
FAULTS_ACTION = "faults"
MAX_PLAN_BYTES = 64 * 1024  # a plan is a few lines; a bigger body is refused unread


def fault_action(set_plan: Callable[[FaultPlan], None]) -> ServerAction:
    """The fault plan control: parses the body and hands the plan to ``set_plan``."""

    def perform(body: bytes) -> tuple[str, dict[str, Any]]:
        try:
            plan = parse_fault_plan(body.decode("utf-8"))
        except (UnicodeDecodeError, FaultPlanError) as exc:
            return "400 Bad Request", {"message": str(exc)}
        set_plan(plan)
        return "200 OK", {"status": "ok", "faults": len(plan.faults), "seed": plan.seed}

    return ServerAction(FAULTS_PATH, FAULTS_ACTION, "A fault plan", perform, MAX_PLAN_BYTES)
