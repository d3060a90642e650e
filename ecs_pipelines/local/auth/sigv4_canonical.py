"""The canonical request of AWS Signature Version 4, and the signature over it.

AWS General Reference, "Create a canonical request for Signature Version 4": the method, the
URI path, the query, the signed headers with their trimmed values, the list of their names and
the payload hash, one per line; then the string to sign (algorithm, date, scope, the hash of
that) signed with a key derived from the secret through the scope. Built from the request as
the server received it (``SignedRequest``), the way botocore's ``SigV4Auth`` and
``S3SigV4Auth`` build it when they sign.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class SignedRequest:
    """A request as it reached the server.

    ``raw_path`` and ``raw_query`` exactly as on the request line (still percent-encoded);
    ``headers`` by lower-case name, repeated headers joined with ",".
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    body_sha256: Callable[[], str]


def canonical_request(
    request: SignedRequest, *, signed_headers: str, service: str, presigned: bool
) -> str:
    """The canonical request of ``request`` as its signer built it, for ``signed_headers``
    (";"-joined, lower case) and the scope's ``service``."""
    names = signed_headers.split(";")
    headers = "".join(f"{name}:{_trimmed(request.headers.get(name, ''))}\n" for name in names)
    return "\n".join(
        [
            request.method.upper(),
            _canonical_path(request.raw_path, s3=service == "s3"),
            _canonical_query(request.raw_query, presigned=presigned),
            headers,
            signed_headers,
            _payload_hash(request, s3=service == "s3", presigned=presigned),
        ]
    )


def _trimmed(value: str) -> str:
    """SigV4's Trimall: no space around the value, runs of spaces made one."""
    return " ".join(value.split())


def _canonical_path(raw_path: str, *, s3: bool) -> str:
    """S3 signs the path as sent; every other service its normalised path, each segment
    URI-encoded once more (botocore: ``quote(normalize_url_path(path), safe='/~')``)."""
    if s3:
        return raw_path or "/"
    return quote(_remove_dot_segments(raw_path) or "/", safe="/~")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, and empty segments removed, as AWS services (and botocore) do."""
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    trailing = "/" if path.endswith("/") and kept else ""
    leading = "/" if path.startswith("/") else ""
    return leading + "/".join(kept) + trailing


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    if not raw_query:
        return []
    return [(name, value) for name, _, value in (p.partition("=") for p in raw_query.split("&"))]


def _canonical_query(raw_query: str, *, presigned: bool) -> str:
    """Each name and value URI-encoded (RFC 3986 unreserved characters kept), sorted by name
    then value; a presigned URL's own X-Amz-Signature left out."""
    pairs = [
        (_uri_encode(unquote(name)), _uri_encode(unquote(value)))
        for name, value in query_pairs(raw_query)
        if not (presigned and name == "X-Amz-Signature")
    ]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _uri_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _payload_hash(request: SignedRequest, *, s3: bool, presigned: bool) -> str:
    given = request.headers.get("x-amz-content-sha256")
    if given is not None and (given == UNSIGNED_PAYLOAD or given.startswith("STREAMING-")):
        return given
    if presigned and s3:
        return given or UNSIGNED_PAYLOAD
    return request.body_sha256()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signature(secret: str, *, amz_date: str, scope: str, canonical: str) -> str:
    """The hex signature of ``canonical`` at ``amz_date`` in ``scope``
    (``<date>/<region>/<service>/aws4_request``), by a key derived from ``secret``."""
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
