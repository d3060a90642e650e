"""Setting an embedded ECS's fault plan from a test: the signed ``POST /_local/faults``."""

from __future__ import annotations

import json
from typing import Any

from ecs_pipelines.cli.local_access import post_signed
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving import ACTION_HEADER, FAULTS_ACTION, FAULTS_PATH


def post_fault_plan(endpoint_url: str, credentials: KeyPair, plan: str) -> tuple[int, Any]:
    """The route's status and JSON answer for ``plan`` (text or JSON; "" clears it)."""
    url = endpoint_url.rstrip("/") + FAULTS_PATH
    status, body = post_signed(
        url, credentials, headers={ACTION_HEADER: FAULTS_ACTION}, body=plan.encode()
    )
    return status, json.loads(body)


def set_fault_plan(endpoint_url: str, credentials: KeyPair, plan: str) -> None:
    """Replace the plan of the embedded ECS at ``endpoint_url``; fails the test if refused."""
    status, answer = post_fault_plan(endpoint_url, credentials, plan)
    if status != 200:
        raise AssertionError(f"the embedded ECS refused the fault plan: {status} {answer}")
