"""The health route says ready only once the demo cluster and task definitions exist."""

from __future__ import annotations

import json
from typing import Any

from ecs_pipelines.local.runtime import ExecSessions
from ecs_pipelines.local.serving.routes import LocalRoutes, ServiceRoutes


def health(routes: LocalRoutes) -> tuple[str, dict[str, Any]]:
    answer: list[str] = []
    body = routes(
        {"PATH_INFO": "/_local/health", "REQUEST_METHOD": "GET"},
        lambda status, headers: answer.append(status),
    )
    return answer[0], json.loads(b"".join(body))


def test_health_is_503_until_ready_then_200_with_pid() -> None:
    """Before the demo is registered the health route answers 503; afterwards 200, the pid
    and the instance id."""
    service = ServiceRoutes(ExecSessions(), "ab" * 16)
    routes = LocalRoutes(lambda environ, start: [], service.routes())
    status, body = health(routes)
    assert status.startswith("503") and body["status"] == "starting"
    service.ready.set()
    status, body = health(routes)
    assert status.startswith("200") and isinstance(body["pid"], int)
    assert body["instance"] == "ab" * 16
