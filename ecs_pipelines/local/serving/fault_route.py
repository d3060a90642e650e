"""``POST /_local/faults``: replace the embedded ECS's fault plan while it runs (for tests).

The body is the plan, in ``local serve --faults``'s syntax or as JSON (``local/rules/
fault_plan``). An empty body clears it. The new plan's counts and windows start when it is set.
The request is guarded as a reset is (``reset_route.py``): it must carry
``X-Ecs-Pipelines-Action: faults`` (no web page can send it without a CORS preflight, which
the server never grants) and, unless the server authenticates nobody, it must be signed with
the server's own keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ecs_pipelines.local.rules import FaultPlan, FaultPlanError, parse_fault_plan
from ecs_pipelines.local.serving.reset_route import ACTION_HEADER, Authorize
from ecs_pipelines.local.serving.routes import Route, StartResponse, json_response

FAULTS_PATH = "/_local/faults"
FAULTS_ACTION = "faults"
MAX_PLAN_BYTES = 64 * 1024  # a plan is a few lines; a bigger body is refused unread
_ACTION_KEY = "HTTP_" + ACTION_HEADER.upper().replace("-", "_")


class FaultRoute:
    """``POST /_local/faults`` parses the body and hands the plan to ``set_plan``, once
    ``authorize`` (if any) lets the request through."""

    def __init__(
        self, set_plan: Callable[[FaultPlan], None], authorize: Authorize | None = None
    ) -> None:
        self._set_plan = set_plan
        self._authorize = authorize

    def routes(self) -> list[Route]:
        return [Route(FAULTS_PATH, self.answer, methods=("POST",))]

    def answer(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != FAULTS_PATH:
            message = {"message": f"No route for {environ.get('PATH_INFO')}."}
            return json_response(start_response, "404 Not Found", message)
        if environ.get(_ACTION_KEY) != FAULTS_ACTION:
            message = {"message": f"A fault plan must carry the header {ACTION_HEADER}: faults."}
            return json_response(start_response, "403 Forbidden", message)
        length = _content_length(environ)
        if length is None or length > MAX_PLAN_BYTES:
            message = {"message": f"A fault plan is 0..{MAX_PLAN_BYTES} bytes with a length."}
            return json_response(start_response, "413 Content Too Large", message)
        if self._authorize is not None:
            refusal = self._authorize(environ, start_response)
            if refusal is not None:
                return refusal
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            plan = parse_fault_plan(body.decode("utf-8"))
        except (UnicodeDecodeError, FaultPlanError) as exc:
            return json_response(start_response, "400 Bad Request", {"message": str(exc)})
        self._set_plan(plan)
        answer = {"status": "ok", "faults": len(plan.faults), "seed": plan.seed}
        return json_response(start_response, "200 OK", answer)


def _content_length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
