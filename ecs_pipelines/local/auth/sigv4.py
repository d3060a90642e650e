"""Verifying an AWS Signature Version 4, as an AWS service does before it runs a request.

AWS General Reference, "Signature Version 4 signing process" (and "Create a signed AWS API
request"): the signer builds a canonical request (method, URI path, sorted query, the signed
headers with trimmed values, the payload hash), hashes it into a string to sign with the date
and the credential scope (``<date>/<region>/<service>/aws4_request``), and signs that with a
key derived from its secret through the scope. The server redoes exactly that from what it
received and compares in constant time (``hmac.compare_digest``). Both forms are verified: the
``Authorization`` header, and the query string of a presigned URL (``X-Amz-Signature``).

What differs for S3 (a scope naming ``s3``), as in botocore's ``S3SigV4Auth``: the path is
used as sent, not normalised and encoded again; a presigned URL signs ``UNSIGNED-PAYLOAD``.
``X-Amz-Content-Sha256`` is taken as given when it is ``UNSIGNED-PAYLOAD`` or a
``STREAMING-*`` value (the chunks of such a body are not verified); any other payload hash is
the body's own sha256, so a body changed on the way fails the signature.

Pure: a ``SignedRequest`` in, ``Verified`` or a ``Refusal`` out. Keys come from a lookup
callable, the body's hash from another (only called when the signature covers the body).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum
from urllib.parse import unquote

from ecs_pipelines.local.auth.access_keys import IssuedKey
from ecs_pipelines.local.auth.sigv4_canonical import (
    ALGORITHM,
    SignedRequest,
    canonical_request,
    query_pairs,
    signature,
)

__all__ = ["Problem", "Refusal", "SignedRequest", "Verified", "verify"]

# AWS refuses a request whose date is more than 15 minutes from its own clock ("Signature
# expired" / RequestTimeTooSkewed; AWS General Reference, "Elements of an AWS API request
# signature": "the request must reach AWS within five minutes ... 15 minutes for some").
MAX_SKEW = timedelta(minutes=15)
# A presigned URL lives at most 7 days (S3 API reference, "Authenticating Requests: Using
# Query Parameters": X-Amz-Expires, 1 to 604800 seconds).
MAX_PRESIGNED_SECONDS = 604_800
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


class Problem(Enum):
    """Why a request is refused; ``auth_errors.py`` turns each into AWS's answer."""

    MISSING = "missing"  # no signature at all
    INCOMPLETE = "incomplete"  # a signature that is not a well-formed SigV4 one
    UNKNOWN_KEY = "unknown_key"
    BAD_TOKEN = "bad_token"  # session token missing, wrong, or given with a long-term key
    EXPIRED_TOKEN = "expired_token"
    BAD_SIGNATURE = "bad_signature"
    SKEWED = "skewed"  # request time too far from the server's clock
    PRESIGN_EXPIRED = "presign_expired"
    # A valid signature by a key not allowed the action (a task's, on a server-only route).
    ACCESS_DENIED = "access_denied"


@dataclass(frozen=True)
class Refusal:
    problem: Problem
    # AWS's own wording where it varies with the request (a skew, a missing part); else "".
    detail: str = ""
    # The service the signature's scope names, when there is one (picks the error protocol).
    service: str | None = None


@dataclass(frozen=True)
class Verified:
    key: IssuedKey
    service: str
    region: str


KeyLookup = Callable[[str], IssuedKey | None]


@dataclass(frozen=True)
class _Signature:
    access_key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: str
    signature: str
    amz_date: str
    presigned_seconds: int | None  # X-Amz-Expires of a presigned URL
    session_token: str | None


def verify(request: SignedRequest, lookup: KeyLookup, now: datetime) -> Verified | Refusal:
    """Whether ``request`` carries a valid SigV4 signature by a key ``lookup`` knows."""
    parsed = _parse(request)
    if isinstance(parsed, Refusal):
        return parsed
    service = parsed.service

    def refuse(problem: Problem, detail: str = "") -> Refusal:
        return Refusal(problem, detail, service)

    if parsed.amz_date[:8] != parsed.scope_date:
        return refuse(
            Problem.BAD_SIGNATURE,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{parsed.scope_date}' != '{parsed.amz_date[:8]}', from "
            f"'{parsed.amz_date}'.",
        )
    key = lookup(parsed.access_key_id)
    if key is None:
        return refuse(Problem.UNKNOWN_KEY)
    if not _token_matches(key.session_token, parsed.session_token):
        return refuse(Problem.BAD_TOKEN)
    if key.expired(now):
        return refuse(Problem.EXPIRED_TOKEN)
    timing = _time_problem(parsed, now)
    if timing is not None:
        return refuse(*timing)
    canonical = canonical_request(
        request,
        signed_headers=parsed.signed_headers,
        service=service,
        presigned=parsed.presigned_seconds is not None,
    )
    scope = f"{parsed.scope_date}/{parsed.region}/{service}/aws4_request"
    expected = signature(
        key.secret_access_key, amz_date=parsed.amz_date, scope=scope, canonical=canonical
    )
    if not hmac.compare_digest(expected.encode(), parsed.signature.encode()):
        return refuse(Problem.BAD_SIGNATURE)
    return Verified(key, service, parsed.region)


# --- reading the signature ---------------------------------------------------------------------


def _parse(request: SignedRequest) -> _Signature | Refusal:
    authorization = request.headers.get("authorization")
    query = query_pairs(request.raw_query)
    if authorization is not None:
        return _parse_header(authorization, request.headers)
    names = {name for name, _ in query}
    if "X-Amz-Algorithm" in names:
        return _parse_presigned(dict(query))
    if {"AWSAccessKeyId", "Signature"} <= names:
        return Refusal(Problem.INCOMPLETE, _SIGV2_REFUSED)
    return Refusal(Problem.MISSING)


# Signature Version 2 (AWSAccessKeyId and Signature in the query, or "AWS <id>:<signature>")
# is what botocore presigns S3 URLs with unless told s3v4; AWS retired it.
_SIGV2_REFUSED = (
    "Only AWS Signature Version 4 is accepted (for S3 presigned URLs: "
    "botocore.config.Config(signature_version='s3v4'))."
)


def _parse_header(authorization: str, headers: Mapping[str, str]) -> _Signature | Refusal:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        return Refusal(
            Problem.INCOMPLETE,
            _SIGV2_REFUSED
            if algorithm == "AWS"
            else (f"Unsupported authorization scheme {algorithm[:40]!r}."),
        )
    parts: dict[str, str] = {}
    for piece in rest.split(","):
        name, equals, value = piece.strip().partition("=")
        if not equals:
            return Refusal(
                Problem.INCOMPLETE,
                f"'{piece.strip()[:80]}' not a valid key=value pair (missing equal-sign) in "
                "Authorization header.",
            )
        parts[name] = value
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not parts.get(n)]
    if missing:
        return Refusal(
            Problem.INCOMPLETE,
            " ".join(f"Authorization header requires '{n}' parameter." for n in missing),
        )
    amz_date = headers.get("x-amz-date") or _iso_from_http_date(headers.get("date"))
    if amz_date is None:
        return Refusal(
            Problem.INCOMPLETE,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    return _signature_from(
        parts["Credential"],
        signed_headers=parts["SignedHeaders"],
        signature=parts["Signature"],
        amz_date=amz_date,
        presigned_seconds=None,
        session_token=headers.get("x-amz-security-token"),
    )


def _parse_presigned(query: Mapping[str, str]) -> _Signature | Refusal:
    values = {name: unquote(value) for name, value in query.items()}
    if values.get("X-Amz-Algorithm") != ALGORITHM:
        return Refusal(Problem.INCOMPLETE, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".')
    required = ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
    missing = [name for name in (*required, "X-Amz-Expires") if not values.get(name)]
    if missing:
        return Refusal(
            Problem.INCOMPLETE,
            "Query-string authentication requires the " + ", ".join(missing) + " parameters.",
        )
    try:
        seconds = int(values["X-Amz-Expires"])
    except ValueError:
        seconds = -1
    if not 0 < seconds <= MAX_PRESIGNED_SECONDS:
        return Refusal(
            Problem.INCOMPLETE,
            f"X-Amz-Expires must be between 1 and {MAX_PRESIGNED_SECONDS} seconds.",
        )
    return _signature_from(
        values["X-Amz-Credential"],
        signed_headers=values["X-Amz-SignedHeaders"],
        signature=values["X-Amz-Signature"],
        amz_date=values["X-Amz-Date"],
        presigned_seconds=seconds,
        session_token=values.get("X-Amz-Security-Token"),
    )


def _signature_from(
    credential: str,
    *,
    signed_headers: str,
    signature: str,
    amz_date: str,
    presigned_seconds: int | None,
    session_token: str | None,
) -> _Signature | Refusal:
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        return Refusal(
            Problem.INCOMPLETE,
            "Credential should be scoped to a valid region, service and terminated by "
            f"'aws4_request', not '{'/'.join(scope[1:])[:80]}'.",
        )
    access_key_id, scope_date, region, service, _ = scope
    if _parse_amz_date(amz_date) is None:
        return Refusal(Problem.INCOMPLETE, f"Invalid X-Amz-Date '{amz_date[:40]}'.", service)
    names = signed_headers.lower().split(";")
    if "host" not in names:
        return Refusal(
            Problem.INCOMPLETE,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            service,
        )
    return _Signature(
        access_key_id=access_key_id,
        scope_date=scope_date,
        region=region,
        service=service,
        signed_headers=signed_headers.lower(),
        signature=signature.strip().lower(),
        amz_date=amz_date,
        presigned_seconds=presigned_seconds,
        session_token=session_token,
    )


def _parse_amz_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        return None


def _iso_from_http_date(value: str | None) -> str | None:
    """The ``Date`` header (RFC 7231) in SigV4's basic ISO 8601 form."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(_AMZ_DATE)


def _token_matches(expected: str | None, given: str | None) -> bool:
    """A task key needs its own token; a long-term key takes none (AWS refuses a token it did
    not issue with the key it came with)."""
    if expected is None or given is None:
        return expected is None and given is None
    return hmac.compare_digest(expected.encode(), given.encode())


def _time_problem(parsed: _Signature, now: datetime) -> tuple[Problem, str] | None:
    signed_at = _parse_amz_date(parsed.amz_date)
    assert signed_at is not None  # checked by _signature_from
    stamp = now.astimezone(UTC).strftime(_AMZ_DATE)
    if signed_at > now + MAX_SKEW:
        later = (now + MAX_SKEW).strftime(_AMZ_DATE)
        return (
            Problem.SKEWED,
            f"Signature not yet current: {parsed.amz_date} is still later than {later} "
            f"({stamp} + 15 min.)",
        )
    if parsed.presigned_seconds is not None:
        if now > signed_at + timedelta(seconds=parsed.presigned_seconds):
            return Problem.PRESIGN_EXPIRED, "Request has expired"
        return None
    if signed_at < now - MAX_SKEW:
        earlier = (now - MAX_SKEW).strftime(_AMZ_DATE)
        return (
            Problem.SKEWED,
            f"Signature expired: {parsed.amz_date} is now earlier than {earlier} "
            f"({stamp} - 15 min.)",
        )
    return None
