"""What AWS answers a request it does not authenticate, in the protocol of the service asked.

The code, HTTP status and message of each refusal (``sigv4.Problem``) differ by protocol
family, and boto3 raises ``ClientError`` with that code only when the body is in the form its
parser for that service reads:

- JSON services (ECS, CloudWatch Logs, EventBridge, Secrets Manager, SSM, ...): 400 with
  ``{"__type": ..., "message": ...}``. Seen on the wire: Logs answers ``400 Bad Request
  {"__type":"UnrecognizedClientException","message":"The security token included in the
  request is invalid."}`` (github.com/maxbanton/cwh issue 119); "InvalidSignatureException:
  Signature expired: ... is now earlier than ... (... - 15 min.)", status 400
  (github.com/aws/aws-sdk-js issue 254); MissingAuthenticationTokenException with status 400
  (github.com/architect/dynalite issue 105, which mimics DynamoDB's front end). The AWS
  "Common Errors" pages list IncompleteSignature and ExpiredTokenException.
- JSON services compatible with the query protocol (SQS): the JSON answer plus the header
  ``x-amzn-query-error: <query code>;Sender``, from which botocore takes the query code
  (botocore ``parsers.py``, ``_do_query_compatible_error_parse``), with the query status.
- Query services (STS, IAM, SNS): 403 ``<ErrorResponse><Error><Type>Sender</Type>...``.
  STS answers "MissingAuthenticationToken: Request is missing Authentication Token" with
  StatusCode 403 (github.com/cert-manager/aws-privateca-issuer issue 40); InvalidClientTokenId
  and SignatureDoesNotMatch are 403 with moto's messages (``moto/core/exceptions.py``
  ``InvalidClientTokenIdError``, ``SignatureDoesNotMatchError``) and the AWS Common Errors
  table (InvalidClientTokenId, MissingAuthenticationToken: 403; IncompleteSignature: 400).
- EC2: ``<Response><Errors><Error>...``. A bad key or signature is "AuthFailure: AWS was not
  able to validate the provided access credentials", 401 (github.com/ansible/ansible issue
  5647 shows the raw answer; ``moto/core/exceptions.py`` ``AuthFailureError``); an old
  request or an expired token is RequestExpired (EC2 API reference, "Error codes").
- S3 (rest-xml): ``<Error><Code>...``. AccessDenied 403 "Access Denied"; InvalidAccessKeyId
  403; SignatureDoesNotMatch 403; RequestTimeTooSkewed 403; InvalidToken and ExpiredToken
  400; AuthorizationHeaderMalformed 400 (S3 API reference, "Error responses"; moto's
  ``moto/s3/exceptions.py`` messages); an expired presigned URL is AccessDenied "Request has
  expired".
- Other REST-JSON services (Lambda, ...): the JSON codes with 403 and ``x-amzn-ErrorType``.

No WSGI here: ``request_auth.py`` sends what ``refusal_answer`` decides. botocore's service
models are read (once per service) to tell a service's protocol from its signing name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from xml.sax.saxutils import escape

from ecs_pipelines.local.auth.sigv4 import Problem, Refusal


class Family(Enum):
    JSON = "json"
    QUERY = "query"
    EC2 = "ec2"
    S3 = "s3"
    REST_JSON = "rest-json"


_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_INVALID_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"

# Problem -> family -> (HTTP status, code, message); "" takes the verifier's detail.
_TABLE: dict[Problem, dict[Family, tuple[int, str, str]]] = {
    Problem.MISSING: {
        Family.JSON: (400, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        Family.QUERY: (
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ),
        Family.EC2: (
            401,
            "MissingAuthenticationToken",
            "The request must contain either a valid (registered) AWS access key ID or X.509 "
            "certificate.",
        ),
        Family.S3: (403, "AccessDenied", "Access Denied"),
    },
    Problem.INCOMPLETE: {
        Family.JSON: (400, "IncompleteSignatureException", ""),
        Family.QUERY: (400, "IncompleteSignature", ""),
        Family.EC2: (400, "IncompleteSignature", ""),
        Family.S3: (400, "AuthorizationHeaderMalformed", ""),
    },
    Problem.UNKNOWN_KEY: {
        Family.JSON: (400, "UnrecognizedClientException", _INVALID_TOKEN),
        Family.QUERY: (403, "InvalidClientTokenId", _INVALID_TOKEN),
        Family.EC2: (401, "AuthFailure", _AUTH_FAILURE),
        Family.S3: (
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
    },
    Problem.BAD_TOKEN: {
        Family.JSON: (400, "UnrecognizedClientException", _INVALID_TOKEN),
        Family.QUERY: (403, "InvalidClientTokenId", _INVALID_TOKEN),
        Family.EC2: (401, "AuthFailure", _AUTH_FAILURE),
        Family.S3: (400, "InvalidToken", "The provided token is malformed or otherwise invalid."),
    },
    Problem.EXPIRED_TOKEN: {
        Family.JSON: (400, "ExpiredTokenException", _EXPIRED_TOKEN),
        Family.QUERY: (403, "ExpiredToken", _EXPIRED_TOKEN),
        Family.EC2: (400, "RequestExpired", "Request has expired."),
        Family.S3: (400, "ExpiredToken", "The provided token has expired."),
    },
    Problem.BAD_SIGNATURE: {
        Family.JSON: (400, "InvalidSignatureException", _MISMATCH),
        Family.QUERY: (403, "SignatureDoesNotMatch", _MISMATCH),
        Family.EC2: (401, "AuthFailure", _AUTH_FAILURE),
        Family.S3: (
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        ),
    },
    Problem.SKEWED: {
        Family.JSON: (400, "InvalidSignatureException", ""),
        Family.QUERY: (403, "SignatureDoesNotMatch", ""),
        Family.EC2: (400, "RequestExpired", "Request has expired."),
        Family.S3: (
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ),
    },
    Problem.PRESIGN_EXPIRED: {
        Family.JSON: (400, "InvalidSignatureException", "Signature expired"),
        Family.QUERY: (403, "SignatureDoesNotMatch", "Signature expired"),
        Family.EC2: (400, "RequestExpired", "Request has expired."),
        Family.S3: (403, "AccessDenied", "Request has expired"),
    },
    # ECS's AccessDeniedException is a 400 (ECS API reference, "Common Errors" and each
    # action's errors); the query APIs and S3 answer AccessDenied, EC2 UnauthorizedOperation.
    Problem.ACCESS_DENIED: {
        Family.JSON: (400, "AccessDeniedException", ""),
        Family.QUERY: (403, "AccessDenied", ""),
        Family.EC2: (403, "UnauthorizedOperation", ""),
        Family.S3: (403, "AccessDenied", ""),
    },
}
# The messages of a mismatch whose cause the verifier can name (a scope date off) keep it.
_DETAIL_WINS = {Problem.BAD_SIGNATURE}

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status line, headers, body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class RequestShape:
    """What tells a request's protocol: its scope's service, its headers, whether it is a form
    (a query-protocol call) and the form's ``Version`` (EC2's tells it from other query APIs)."""

    service: str | None
    headers: Mapping[str, str]
    form_version: str | None


# EC2's API version (botocore's ec2 model, metadata.apiVersion): only EC2 query calls carry it.
EC2_API_VERSION = "2016-11-15"


def family_of(shape: RequestShape) -> Family:
    """The protocol family of a request: from its scope's service when it names S3 or EC2,
    else from the request itself (a JSON target, a form), else from the service's model."""
    if shape.service == "s3":
        return Family.S3
    if shape.service == "ec2" or shape.form_version == EC2_API_VERSION:
        return Family.EC2
    if "x-amz-target" in shape.headers or "amz-json" in shape.headers.get("content-type", ""):
        return Family.JSON
    if shape.form_version is not None:
        return Family.QUERY
    protocol = _protocol(shape.service) if shape.service is not None else None
    return _FAMILY_OF_PROTOCOL.get(protocol or "", Family.S3)


_FAMILY_OF_PROTOCOL = {
    "json": Family.JSON,
    "smithy-rpc-v2-cbor": Family.JSON,
    "query": Family.QUERY,
    "ec2": Family.EC2,
    "rest-json": Family.REST_JSON,
    "rest-xml": Family.S3,
}


def refusal_answer(refusal: Refusal, shape: RequestShape) -> Answer:
    """AWS's answer to ``refusal``, in the protocol of the request's service."""
    family = family_of(shape)
    table_family = Family.JSON if family is Family.REST_JSON else family
    status, code, message = _TABLE[refusal.problem][table_family]
    if not message or (refusal.problem in _DETAIL_WINS and refusal.detail):
        message = refusal.detail or message
    request_id = str(uuid.uuid4())
    if family is Family.REST_JSON:
        return _json(403, code, message, request_id, [("x-amzn-ErrorType", code)])
    if family is Family.JSON:
        query_code = _query_compatible_code(refusal.problem, shape.service)
        if query_code is None:
            return _json(status, code, message, request_id, [])
        query_status = _TABLE[refusal.problem][Family.QUERY][0]
        extra = [("x-amzn-query-error", f"{query_code};Sender")]
        return _json(query_status, code, message, request_id, extra)
    if family is Family.QUERY:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    elif family is Family.EC2:
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    else:
        body = (
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    payload = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
    return Answer(
        _status(status),
        [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))],
        payload,
    )


def _json(
    status: int, code: str, message: str, request_id: str, extra: list[tuple[str, str]]
) -> Answer:
    payload = json.dumps({"__type": code, "message": message}).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Length", str(len(payload))),
        ("x-amzn-RequestId", request_id),
        *extra,
    ]
    return Answer(_status(status), headers, payload)


def _status(code: int) -> str:
    return f"{code} {_REASONS[code]}"


def _query_compatible_code(problem: Problem, service: str | None) -> str | None:
    """The query protocol's code, for a JSON service that keeps its query-era codes."""
    if service is None or not _query_compatible(service):
        return None
    return _TABLE[problem][Family.QUERY][1]


@cache
def _service_model_metadata(service: str) -> dict[str, object] | None:
    """botocore's metadata of the service whose signing name is ``service`` (None if none)."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(_MODEL_NAMES.get(service, service))
    except UnknownServiceError:
        return None
    return dict(model.metadata)


# Signing names that are not the model's name.
_MODEL_NAMES = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions"}


def _protocol(service: str) -> str | None:
    metadata = _service_model_metadata(service)
    return None if metadata is None else str(metadata.get("protocol"))


def _query_compatible(service: str) -> bool:
    metadata = _service_model_metadata(service)
    return metadata is not None and "awsQueryCompatible" in metadata
