"""The embedded ECS's HTTP boundary: what a web browser on this machine can make of the server.

The server runs commands as the developer, and any web page the developer opens can make the
browser send it requests: "simple" cross-site ones (a text/plain POST, an <img>, a form) that
go out without asking first, and, through a name that a hostile DNS re-points at 127.0.0.1
(DNS rebinding), requests with any header, whose answers the page may read. So every request
passes here before any route or moto sees it, and every answer on its way out:

1. **Host** (against DNS rebinding): a request must name the server as the address it is bound
   to, or ``localhost``, with its port (``127.0.0.1:4590``, ``localhost:4590``, ``[::1]:4590``
   when bound there). Anything else (a rebound name, another port, no Host) is a 400 before
   anything runs. An IP literal cannot be re-pointed and browsers resolve ``localhost``
   themselves, so a page can only reach the server under another name, which is refused.
2. **moto's admin API** (``/moto-api/...``: its data dump with every secret, its request
   recorder that replays what is uploaded to it, its reset) is not served: 404, as any unknown
   path. The server's own controls (reset, fault plan) are guarded POSTs (``server_actions.py``).
3. **No CORS grant**: a preflight (OPTIONS with ``Access-Control-Request-Method``) is refused
   without one, so a page never sends a request that needs one (a custom header, a JSON
   content type); every ``Access-Control-*`` header is taken off the answers (moto's server
   adds them to every route), so no page on another origin reads an answer.
4. **Security headers** on every answer: a Content-Security-Policy that lets a page load only
   the server's own scripts, styles and data and post no form, no framing, no MIME sniffing,
   no referrer, and no cross-origin embedding of the answer.

Decisions are pure functions of the WSGI environ; ``HttpBoundary`` applies them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    # A page on another origin cannot even load an answer as an <img> or <script>.
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
_REPLACED = {name.lower() for name, _ in SECURITY_HEADERS}

# Every path moto's dispatcher hands to its admin app (moto_server/werkzeug_app.py:
# ``path_info.startswith("/moto-api") or path_info == "/favicon.ico"``); repeated slashes are
# one, as URL routing folds them.
_MOTO_ADMIN = re.compile(r"^/+moto-api|^/+favicon\.ico$")


def own_hosts(bound_host: str, port: int) -> frozenset[str]:
    """The Host values (lower case) that name a server bound to ``bound_host:port``."""
    host = bound_host.strip("[]").lower()
    names: set[str] = set()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name, not an address: only that name (and localhost's addresses)
        address = None
        names.add(host)
    if host == "localhost":
        names |= {"127.0.0.1", "[::1]"}
    elif address is not None:
        names.add(f"[{address}]" if address.version == 6 else str(address))
        if address.is_loopback or address.is_unspecified:
            names.add("localhost")
        if address.is_unspecified:  # every address: loopback is one of them
            names |= {"127.0.0.1"} if address.version == 4 else {"127.0.0.1", "[::1]"}
    with_port = {f"{name}:{port}" for name in names}
    # A browser leaves the default port out of Host.
    return frozenset(with_port | names if port == 80 else with_port)


def refusal(environ: dict[str, Any]) -> tuple[str, str] | None:
    """Why this request is refused before any route runs: (HTTP status, message), or None."""
    # SERVER_NAME and SERVER_PORT are the address the socket is bound to, set by the server
    # (werkzeug), never taken from the request.
    bound, port = str(environ.get("SERVER_NAME", "")), int(environ.get("SERVER_PORT", 0))
    host = str(environ.get("HTTP_HOST", "")).lower()
    if host not in own_hosts(bound, port):
        names = " or ".join(sorted(own_hosts(bound, port)))
        return "400 Bad Request", f"This server answers only to the Host {names}."
    if environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in (
        environ
    ):
        return "403 Forbidden", "This server grants no cross-origin request."
    if _MOTO_ADMIN.match(str(environ.get("PATH_INFO", ""))):
        return "404 Not Found", f"No route for {environ.get('PATH_INFO')}."
    return None


def answer_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` without any CORS grant, with the security headers (these replace any)."""
    kept = [
        (name, value)
        for name, value in headers
        if not name.lower().startswith("access-control-") and name.lower() not in _REPLACED
    ]
    return kept + list(SECURITY_HEADERS)


class HttpBoundary:
    """WSGI middleware around the whole server: refuses what ``refusal`` names, and hardens
    every answer's headers (``answer_headers``)."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def hardened(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, answer_headers(headers), *exc_info)

        refused = refusal(environ)
        if refused is None:
            return self._app(environ, hardened)
        status, message = refused
        payload = message.encode()
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(payload))),
        ]
        hardened(status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [payload]
