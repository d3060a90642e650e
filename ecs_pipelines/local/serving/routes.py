"""The embedded ECS's own HTTP routes (``/_local/...``): what has no AWS API.

Each route is a path prefix and a handler; modules with routes of their own (the health and
exec routes here, the task pages, the task metadata endpoint, the reset) add theirs to the
table that ``LocalRoutes`` serves, and everything else goes to moto. A route answers only its
methods (GET, and so HEAD, unless it says otherwise): another method is a 405 naming them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from ecs_pipelines.local.runtime import ExecSessions

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Handler = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Route:
    """``prefix`` (under ``/_local/``) answered by ``handler`` for ``methods``."""

    prefix: str
    handler: Handler
    methods: tuple[str, ...] = ("GET",)


def json_response(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    payload = json.dumps(body, default=str).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def text_response(
    start_response: StartResponse, status: str, body: str, content_type: str
) -> list[bytes]:
    payload = body.encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
    return [payload]


def query(environ: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(environ.get("QUERY_STRING", ""))


class LocalRoutes:
    """WSGI middleware: ``/_local/...`` from the route table, everything else to moto."""

    def __init__(self, app: WsgiApp, routes: Sequence[Route]) -> None:
        self._app = app
        # Longest prefix first, so /_local/tasks/x/logs wins over /_local/tasks/.
        self._routes = sorted(routes, key=lambda r: len(r.prefix), reverse=True)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith("/_local/"):
            return self._app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        route = next((r for r in self._routes if path.startswith(r.prefix)), None)
        if route is None:
            message = {"message": f"No route for {path}."}
            return json_response(start_response, "404 Not Found", message)
        allowed = _allowed_methods(route)
        if method not in allowed:
            # RFC 9110, 15.5.6: a 405 carries Allow, the methods the resource supports.
            message = {"message": f"{path} answers {', '.join(allowed)} only."}
            payload = json.dumps(message).encode()
            start_response(
                "405 Method Not Allowed",
                [
                    ("Allow", ", ".join(allowed)),
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(payload))),
                ],
            )
            return [payload]
        if method == "HEAD":
            # GET's status and headers, no body (the WSGI server would send one).
            environ = {**environ, "REQUEST_METHOD": "GET"}
            answer = route.handler(environ, start_response)
            _close(answer)
            return []
        return route.handler(environ, start_response)


def _allowed_methods(route: Route) -> tuple[str, ...]:
    return (*route.methods, "HEAD") if "GET" in route.methods else route.methods


def _close(answer: Iterable[bytes]) -> None:
    close = getattr(answer, "close", None)
    if close is not None:
        close()


class ServiceRoutes:
    """The health check (``local stop`` and readiness) and the ECS Exec session results."""

    def __init__(self, sessions: ExecSessions, instance_id: str) -> None:
        self._sessions = sessions
        self._instance_id = instance_id
        # Set once the demo cluster and task definitions exist: the server answers the API
        # before that (it registers the demo through its own API), but is not ready for users.
        self.ready = threading.Event()

    def routes(self) -> list[Route]:
        return [Route("/_local/health", self.health), Route("/_local/exec/", self.exec_result)]

    def health(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if not self.ready.is_set():
            return json_response(start_response, "503 Service Unavailable", {"status": "starting"})
        # The pid lets `ecs-pipelines local stop` end a server started in the background;
        # the instance id lets it check first that the server is its own (instance.py).
        health = {
            "status": "ok",
            "pid": os.getpid(),
            "instance": self._instance_id,
        }
        return json_response(start_response, "200 OK", health)

    def exec_result(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        given = query(environ)
        try:
            timeout = float(given["timeout"][0]) if "timeout" in given else None
        except ValueError:
            return json_response(start_response, "400 Bad Request", {"message": "Bad timeout."})
        path: str = environ.get("PATH_INFO", "")
        result = self._sessions.wait(path.rsplit("/", 1)[-1], timeout=timeout)
        if result is None:
            return json_response(start_response, "404 Not Found", {"message": "Unknown session."})
        return json_response(start_response, "200 OK", result)
