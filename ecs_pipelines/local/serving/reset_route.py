"""``POST /_local/reset``: a fresh embedded ECS, for test suites (moto's own runs one per test).

Every task process is stopped, every task and every resource forgotten (clusters, task
definitions, log groups, secrets...). The request must carry ``X-Ecs-Pipelines-Action: reset``:
a web page cannot send a custom header to another origin without a CORS preflight, which the
server never grants (``http_boundary.py``), so no page the developer opens can reset it. And,
unless the server runs without authentication, it must be SigV4-signed with the server's own
keys (``request_auth.require_server_signature``): a task's role credentials may call AWS's
APIs, not the server's controls, and another local user holds no key at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ecs_pipelines.local.serving.routes import Route, StartResponse, json_response

RESET_PATH = "/_local/reset"
ACTION_HEADER = "X-Ecs-Pipelines-Action"
ACTION = "reset"
_ACTION_KEY = "HTTP_" + ACTION_HEADER.upper().replace("-", "_")

# None when the request may act as the server's user; else the refusal, already sent.
Authorize = Callable[[dict[str, Any], StartResponse], Iterable[bytes] | None]


class ResetRoute:
    """``POST /_local/reset`` with ``X-Ecs-Pipelines-Action: reset`` calls ``reset``, once
    ``authorize`` (if any) lets the request through."""

    def __init__(self, reset: Callable[[], None], authorize: Authorize | None = None) -> None:
        self._reset = reset
        self._authorize = authorize

    def routes(self) -> list[Route]:
        return [Route(RESET_PATH, self.answer, methods=("POST",))]

    def answer(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != RESET_PATH:
            message = {"message": f"No route for {environ.get('PATH_INFO')}."}
            return json_response(start_response, "404 Not Found", message)
        if environ.get(_ACTION_KEY) != ACTION:
            message = {"message": f"A reset must carry the header {ACTION_HEADER}: {ACTION}."}
            return json_response(start_response, "403 Forbidden", message)
        if self._authorize is not None:
            refusal = self._authorize(environ, start_response)
            if refusal is not None:
                return refusal
        self._reset()
        return json_response(start_response, "200 OK", {"status": "ok"})
