"""``POST /_local/reset``: a fresh embedded ECS, for test suites (moto's own runs one per test).

Every task process is stopped, every task and every resource forgotten (clusters, task
definitions, log groups, secrets...). A control of the server's (``server_actions.py``): the
request carries ``X-Ecs-Pipelines-Action: reset`` and is signed with the server's own keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecs_pipelines.local.serving.server_actions import ServerAction

RESET_PATH = "/_local/reset"
ACTION = "reset"


def reset_action(reset: Callable[[], None]) -> ServerAction:
    """The reset control: calls ``reset``."""

    def perform(_body: bytes) -> tuple[str, dict[str, Any]]:
        reset()
        return "200 OK", {"status": "ok"}

    return ServerAction(RESET_PATH, ACTION, "A reset", perform)
