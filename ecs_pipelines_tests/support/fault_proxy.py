"""An HTTP proxy in front of the embedded ECS that injects AWS faults by API operation.

Faults are deterministic (every n-th call, the first k calls, the first s seconds of a task)
so that a failing test fails the same way every time.

The embedded ECS answers only its own Host (against DNS rebinding) and checks every SigV4
signature, whose scope includes the Host: so the proxy forwards each request to the upstream's
own address and, as a signing proxy would, signs it again with the upstream's keys (found as
any client of this user finds them, in the server's record).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ecs_pipelines.cli.local_credentials import require_credentials_of

Fault = Callable[["Call"], "Reply | None"]


@dataclass
class Call:
    """One proxied request: its operation (e.g. ``RunTask``) and per-operation call number."""

    operation: str
    number: int
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    reset: bool = False  # drop the connection without an answer
    forward_first: bool = False  # forward upstream, then drop the answer (request took effect)
    hang: bool = False  # accept the request and never answer (a hung server, a black hole)


def aws_error(code: str, status: int = 400, message: str = "injected") -> Reply:
    body = json.dumps({"__type": code, "message": message}).encode()
    return Reply(status=status, body=body)


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    # Rewrites a forwarded JSON answer (e.g. to hide young tasks from DescribeTasks).
    rewrites: list[Callable[[Call, dict[str, Any]], dict[str, Any]]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._closing = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                proxy.handle(self)

            def do_GET(self) -> None:
                proxy.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # hung requests end with the proxy
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        target = request.headers.get("X-Amz-Target", "")
        operation = target.rsplit(".", 1)[-1] if target else request.path
        with self._lock:
            self.calls[operation] += 1
            call = Call(operation, self.calls[operation], body)
        reply = next((r for f in self.faults if (r := f(call)) is not None), None)
        if reply is not None:
            self.injected[operation] += 1
            if reply.hang:
                self._closing.wait()
                request.close_connection = True
                return
            if reply.forward_first:
                self.forward(request, call)
            if reply.reset or reply.forward_first:
                request.close_connection = True
                request.connection.shutdown(socket.SHUT_RDWR)
                return
            self.respond(request, reply.status, reply.body, "application/x-amz-json-1.1")
            return
        status, payload, content_type = self.forward(request, call)
        if self.rewrites and content_type.startswith("application/x-amz-json") and status == 200:
            document = json.loads(payload or b"{}")
            for rewrite in self.rewrites:
                document = rewrite(call, document)
            payload = json.dumps(document).encode()
        self.respond(request, status, payload, content_type)

    def forward(self, request: BaseHTTPRequestHandler, call: Call) -> tuple[int, bytes, str]:
        parsed = urlparse(self.upstream)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        headers = self.resigned(request, call.body, parsed.netloc)
        connection.request(request.command, request.path, body=call.body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        content_type = response.getheader("Content-Type", "application/x-amz-json-1.1")
        connection.close()
        return response.status, payload, content_type

    def resigned(
        self, request: BaseHTTPRequestHandler, body: bytes, upstream_host: str
    ) -> dict[str, str]:
        """The request's headers for the upstream: its Host, and a signature for it."""
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        authorization = headers.pop("Authorization", "")
        if not authorization.startswith("AWS4-HMAC-SHA256 "):
            return {**headers, "Host": upstream_host}
        # Credential=<key>/<date>/<region>/<service>/aws4_request: sign for the same scope.
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        region, service = scope[2], scope[3]
        for name in ("X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"):
            headers.pop(name, None)
        keys = require_credentials_of(self.upstream)
        signed = AWSRequest(
            method=request.command,
            url=f"http://{upstream_host}{request.path}",
            data=body,
            headers=headers,
        )
        SigV4Auth(
            Credentials(keys.access_key_id, keys.secret_access_key), service, region
        ).add_auth(signed)
        return {**dict(signed.headers.items()), "Host": upstream_host}

    @staticmethod
    def respond(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


# --- fault builders -----------------------------------------------------------------------


def every_other(operations: set[str], reply: Callable[[], Reply]) -> Fault:
    """Half of all calls of these operations fail (the odd-numbered ones)."""
    return lambda call: reply() if call.operation in operations and call.number % 2 else None


def first_calls(operation: str, count: int, reply: Callable[[], Reply]) -> Fault:
    return lambda call: reply() if call.operation == operation and call.number <= count else None


def always(operation: str, reply: Callable[[], Reply]) -> Fault:
    return lambda call: reply() if call.operation == operation else None


def hide_young_tasks(seconds: float) -> Callable[[Call, dict[str, Any]], dict[str, Any]]:
    """DescribeTasks answers MISSING for a task during its first ``seconds`` (eventual
    consistency right after RunTask)."""
    first_seen: dict[str, float] = {}
    lock = threading.Lock()

    def rewrite(call: Call, document: dict[str, Any]) -> dict[str, Any]:
        if call.operation == "RunTask":
            with lock:
                for task in document.get("tasks", []):
                    first_seen.setdefault(task["taskArn"], time.monotonic())
            return document
        if call.operation != "DescribeTasks":
            return document
        now = time.monotonic()
        visible, hidden = [], []
        for task in document.get("tasks", []):
            born = first_seen.get(task["taskArn"], now - seconds)
            (hidden if now - born < seconds else visible).append(task)
        document["tasks"] = visible
        document["failures"] = document.get("failures", []) + [
            {"arn": t["taskArn"], "reason": "MISSING"} for t in hidden
        ]
        return document

    return rewrite
