"""The server's own controls (reset, the fault plan): POST routes that act as its user.

A control answers only a request that carries ``X-Ecs-Pipelines-Action`` naming it: a web page
cannot send a custom header to another origin without a CORS preflight, which the server never
grants (``http_boundary.py``), so no page the developer opens can use one. And, unless the
server authenticates nobody, the request must be SigV4-signed with the server's own keys
(``request_auth.require_server_signature``): a task's role credentials may call AWS's APIs,
not the server's controls, and another local user holds no key at all. A control that takes a
body names its bound; the body is read only once both checks pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ecs_pipelines.local.serving.routes import Route, StartResponse, json_response

ACTION_HEADER = "X-Ecs-Pipelines-Action"
_ACTION_KEY = "HTTP_" + ACTION_HEADER.upper().replace("-", "_")

# None when the request may act as the server's user; else the refusal, already sent.
Authorize = Callable[[dict[str, Any], StartResponse], Iterable[bytes] | None]
# What a control does with the request's body: the answer's status line and JSON.
Perform = Callable[[bytes], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class ServerAction:
    """One control: ``POST path`` with ``X-Ecs-Pipelines-Action: action`` calls ``perform``.
    ``max_body_bytes`` None: the control takes no body (none is read)."""

    path: str
    action: str
    what: str  # how the refusal names it: "A reset", "A fault plan"
    perform: Perform
    max_body_bytes: int | None = None


def action_routes(actions: Sequence[ServerAction], authorize: Authorize | None) -> list[Route]:
    """The routes of ``actions``, each guarded by its header and ``authorize`` (if any)."""
    return [
        Route(action.path, partial(_answer, action, authorize), methods=("POST",))
        for action in actions
    ]


def _answer(
    action: ServerAction,
    authorize: Authorize | None,
    environ: dict[str, Any],
    start_response: StartResponse,
) -> Iterable[bytes]:
    if environ.get("PATH_INFO") != action.path:
        message = {"message": f"No route for {environ.get('PATH_INFO')}."}
        return json_response(start_response, "404 Not Found", message)
    if environ.get(_ACTION_KEY) != action.action:
        message = {
            "message": f"{action.what} must carry the header {ACTION_HEADER}: {action.action}."
        }
        return json_response(start_response, "403 Forbidden", message)
    length = 0
    if action.max_body_bytes is not None:
        given = _content_length(environ)
        if given is None or given > action.max_body_bytes:
            message = {
                "message": f"{action.what} is 0..{action.max_body_bytes} bytes with a length."
            }
            return json_response(start_response, "413 Content Too Large", message)
        length = given
    if authorize is not None:
        refusal = authorize(environ, start_response)
        if refusal is not None:
            return refusal
    body = environ["wsgi.input"].read(length) if length else b""
    status, answer = action.perform(body)
    return json_response(start_response, status, answer)


def _content_length(environ: dict[str, Any]) -> int | None:
    """The body's declared length; None when it is no length (a negative one would read the
    whole stream, past any bound)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return length if length >= 0 else None
