"""Every ECS and CloudWatch Logs request passes here before moto sees it, and after.

Before: a request AWS would refuse up front (an unknown region or operation, a body that does
not fit the operation's input shape) gets AWS's 400 answer, so moto never parses it. After: an
exception moto or the bridge did not turn into an AWS error still gets a 400 in the service's
own vocabulary, never an HTTP 500 (which every AWS client retries, several times, for nothing).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from moto.core.base_backend import BackendDict
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import BaseResponse
from moto.ecs.models import ecs_backends
from moto.logs.models import logs_backends

from ecs_pipelines.local.rules import Rejection, check_body, operation_for

_log = logging.getLogger(__name__)

Dispatch = Callable[..., Any]

_BACKENDS: dict[str, BackendDict[Any]] = {"ecs": ecs_backends, "logs": logs_backends}
# The error each service answers for a request it cannot act on (both are HTTP 400):
# ECS's ClientException ("usually caused by a client action", ECS API reference, Errors) and
# CloudWatch Logs' InvalidParameterException ("A parameter is specified incorrectly").
_FALLBACK_ERROR = {"ecs": "ClientException", "logs": "InvalidParameterException"}
# An operation of the service model that moto does not implement.
_UNSUPPORTED_ERROR = {"ecs": "UnsupportedFeatureException", "logs": "InvalidOperationException"}
# What AWS answers a request signed for a region it does not serve (SigV4 credential scope).
_BAD_REGION = "InvalidSignatureException"


@cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def guarded(original: Dispatch) -> Dispatch:
    """Wrap moto's ``BaseResponse._dispatch`` of the ECS and Logs response classes."""

    def dispatch(
        self: BaseResponse, request: Any, full_url: str | None = None, headers: Any = None
    ) -> Any:
        service = str(self.service_name)
        rejection = _refusal(self, service, request)
        if rejection is not None:
            return error_response(service, rejection)
        try:
            return original(self, request, full_url, headers)
        except NotImplementedError as exc:
            return error_response(service, Rejection(_UNSUPPORTED_ERROR[service], str(exc)))
        except Exception as exc:
            _log.exception("%s request failed inside moto or the bridge", service)
            message = f"The embedded ECS could not process this request ({type(exc).__name__})."
            return error_response(service, Rejection(_FALLBACK_ERROR[service], message))

    return dispatch


def _refusal(response: BaseResponse, service: str, request: Any) -> Rejection | None:
    # moto picks the region from the URL, the User-Agent or the signature's credential scope.
    region = response.get_region_from_url(request, request.raw_url)
    if region not in _BACKENDS[service][DEFAULT_ACCOUNT_ID]:
        return Rejection(
            _BAD_REGION, f"Credential should be scoped to a valid region, not '{region}'."
        )
    operation = operation_for(_service_model(service), request.headers.get("X-Amz-Target"))
    if isinstance(operation, Rejection):
        return operation
    return check_body(operation, request.get_data())


def error_response(service: str, rejection: Rejection) -> tuple[int, dict[str, str], str]:
    """An AWS JSON-protocol error answer, shaped as moto shapes its own."""
    body = json.dumps({"__type": rejection.code, "message": rejection.message})
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amzn-ErrorType": rejection.code,
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return 400, headers, body
