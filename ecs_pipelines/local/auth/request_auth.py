"""WSGI middleware: every AWS API request must carry a SigV4 signature by a key the server knows.

Everything the embedded ECS answers that is not one of its own ``/_local/`` routes is an AWS
API (moto's services; moto's own ``/moto-api/`` is not served at all): it reaches the app
behind only with a valid signature (``sigv4.verify``) by the server's own key pair or a
task's role credentials (``access_keys.AccessKeyStore``); anything else gets AWS's refusal in
the service's protocol
(``auth_errors.py``). A ``/_local/`` route that acts for the server's user calls
``require_server_signature`` itself.

Thin on purpose: this reads the request off the WSGI environ, hands it to the pure verifier and
sends the answer; the rules live in ``sigv4.py`` and ``auth_errors.py``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import parse_qs, quote, urlsplit

from ecs_pipelines.local.auth.access_keys import AccessKeyStore, IssuedKey
from ecs_pipelines.local.auth.auth_errors import Answer, RequestShape, refusal_answer
from ecs_pipelines.local.auth.sigv4 import Problem, Refusal, SignedRequest, Verified, verify

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

LOCAL_ROUTES = "/_local/"
# moto's header naming the account a request acts in (moto.core.responses get_current_account).
ACCOUNT_HEADER = "x-moto-account-id"
_ACCOUNT_ENVIRON = "HTTP_" + ACCOUNT_HEADER.upper().replace("-", "_")
# A body hashed for its signature is kept in memory up to this size, in a temporary file above.
_BODY_IN_MEMORY = 8 * 1024 * 1024
_CHUNK = 1024 * 1024
# Enough of a form body to find its Version (what tells EC2 from other query APIs).
_FORM_PEEK = 64 * 1024


class RequestAuth:
    """In front of ``app``: passes ``/_local/...`` through, and every other request only when
    it is signed by a key ``keys`` knows."""

    def __init__(
        self,
        app: WsgiApp,
        keys: AccessKeyStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._app = app
        self._keys = keys
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(LOCAL_ROUTES):
            return self._app(environ, start_response)
        outcome = authenticate(environ, self._keys, self._clock())
        if isinstance(outcome, Answer):
            return send(outcome, start_response)
        scope_to_account(environ, outcome.key)
        return self._app(environ, start_response)


def scope_to_account(environ: dict[str, Any], key: IssuedKey) -> None:
    """The request acts in ``key``'s account: a temporary key's own, never one the client
    names; the server's own key in the one its request names, if any."""
    if key.account_id is not None:
        environ[_ACCOUNT_ENVIRON] = key.account_id


def require_server_signature(
    environ: dict[str, Any],
    start_response: StartResponse,
    keys: AccessKeyStore,
    *,
    now: datetime | None = None,
) -> Iterable[bytes] | None:
    """For a ``/_local/`` route that acts as the server's user (a reset, say): None when the
    request is SigV4-signed with the server's own key pair; else the refusal, sent (in JSON, as
    the server's own routes answer, whatever the request looks like). A task's role
    credentials are refused here: a task may call the AWS APIs, not the server's controls."""
    outcome = authenticate(environ, keys, now or datetime.now(UTC), shape=_OWN_ROUTE)
    if isinstance(outcome, Answer):
        return send(outcome, start_response)
    if not outcome.key.is_server_key:
        refusal = Refusal(
            Problem.ACCESS_DENIED,
            f"{outcome.key.principal} is not authorized to perform this action: only the "
            "server's own credentials are.",
        )
        return send(refusal_answer(refusal, _OWN_ROUTE), start_response)
    return None


# The server's own routes answer refusals as a JSON service does.
_OWN_ROUTE = RequestShape("ecs", {}, None)


def authenticate(
    environ: dict[str, Any],
    keys: AccessKeyStore,
    now: datetime,
    *,
    shape: RequestShape | None = None,
) -> Verified | Answer:
    """The verified signer of the WSGI request, or the answer that refuses it (in the
    protocol ``shape`` tells, else the request's own)."""
    body = _Body(environ)
    request = SignedRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        raw_path=_raw_path(environ),
        raw_query=str(environ.get("QUERY_STRING", "")),
        headers=_headers(environ),
        body_sha256=body.sha256,
    )
    outcome = verify(request, keys.lookup, now)
    if isinstance(outcome, Verified):
        return outcome
    return refusal_answer(outcome, shape or _shape(environ, outcome.service))


def send(answer: Answer, start_response: StartResponse) -> list[bytes]:
    start_response(answer.status, answer.headers)
    return [answer.body]


# moto's request handler keeps the spelling of S3 metadata headers whose names hold "_" here
# (environ key -> name as sent): WSGI folds "_" and "-" together, the signature does not.
_PRESERVED_NAMES = "moto.preserved_header_names"


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers by lower-case name (WSGI joins a repeated header's values with ",")."""
    preserved: dict[str, str] = environ.get(_PRESERVED_NAMES) or {}
    headers = {
        preserved.get(key, key[5:].replace("_", "-")).lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = str(environ[key])
    return headers


def _raw_path(environ: dict[str, Any]) -> str:
    """The path as the client sent it, still percent-encoded (werkzeug keeps the request
    line's target in RAW_URI / REQUEST_URI); rebuilt from PATH_INFO otherwise."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        # Absolute-form targets ("http://host/path") carry the path after the authority.
        path = urlsplit(raw).path if "://" in raw.split("?", 1)[0] else raw.split("?", 1)[0]
        return path or "/"
    path_info = str(environ.get("PATH_INFO", "")).encode("latin-1")
    return quote(path_info, safe="/-_.~!$&'()*+,;=:@") or "/"


class _Body:
    """The request body, read and hashed only when the signature covers it, then handed on to
    the app as a fresh stream (in memory up to a bound, spooled to a file beyond)."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self._environ = environ
        self._digest: str | None = None

    def sha256(self) -> str:
        if self._digest is None:
            self._digest = self._read_and_replace()
        return self._digest

    def _read_and_replace(self) -> str:
        source: IO[bytes] = self._environ["wsgi.input"]
        length = _content_length(self._environ)
        kept = tempfile.SpooledTemporaryFile(max_size=_BODY_IN_MEMORY)  # noqa: SIM115
        digest = hashlib.sha256()
        remaining = length
        while remaining is None or remaining > 0:
            chunk = source.read(_CHUNK if remaining is None else min(_CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            kept.write(chunk)
            if remaining is not None:
                remaining -= len(chunk)
        kept.seek(0)
        self._environ["wsgi.input"] = kept
        return digest.hexdigest()


def _content_length(environ: dict[str, Any]) -> int | None:
    """The body's length; None when it runs to the end of the stream (a chunked body, which
    the server has de-chunked)."""
    given = environ.get("CONTENT_LENGTH")
    if not given:
        return None if environ.get("wsgi.input_terminated") else 0
    try:
        return max(int(given), 0)
    except ValueError:
        return 0


def _shape(environ: dict[str, Any], service: str | None) -> RequestShape:
    headers = _headers(environ)
    return RequestShape(service, headers, _form_version(environ, headers))


def _form_version(environ: dict[str, Any], headers: dict[str, str]) -> str | None:
    """A query-protocol call's ``Version``, from its query string or (peeked) form body; None
    when the request is no such call."""
    given = parse_qs(str(environ.get("QUERY_STRING", "")))
    if "Action" in given:
        return given.get("Version", [""])[0]
    if "application/x-www-form-urlencoded" not in headers.get("content-type", ""):
        return None
    # Only a refused request is read here: the app never sees this body.
    stream: IO[bytes] = environ["wsgi.input"]
    length = _content_length(environ)
    peeked = stream.read(_FORM_PEEK if length is None else min(length, _FORM_PEEK))
    form = parse_qs(peeked.decode("utf-8", "replace"))
    return form.get("Version", [""])[0] if "Action" in form else None
