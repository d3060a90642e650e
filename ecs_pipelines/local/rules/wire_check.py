"""Checks a JSON-protocol request body against botocore's service model, as AWS does first.

AWS's JSON services (ECS and CloudWatch Logs among them) deserialise the body into the
operation's input shape before any service code runs, and refuse what does not fit with a
400: ``SerializationException`` for malformed JSON or a value of the wrong type (messages as
the service sends them, e.g. "NUMBER_VALUE can not be converted to a String", "Expected list or
null"), then a validation error for a required member that is absent. Unknown members are
ignored, as AWS ignores them. moto checks none of this and answers HTTP 500 on most of it, which
every AWS client retries; so the embedded ECS refuses such requests here, before moto.

Pure functions over botocore's models: no moto, no I/O.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from botocore.model import (
    ListShape,
    MapShape,
    OperationModel,
    OperationNotFoundError,
    ServiceModel,
    Shape,
    StructureShape,
)

SERIALIZATION = "SerializationException"
UNKNOWN_OPERATION = "UnknownOperationException"
# ECS and CloudWatch Logs both model this error for "a parameter is specified incorrectly".
INVALID_PARAMETER = "InvalidParameterException"

# Nesting deeper than any ECS or Logs shape; a body nested further is refused, not recursed.
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Rejection:
    """An AWS error answer: the error code and its message (always HTTP 400 here)."""

    code: str
    message: str


def operation_for(service: ServiceModel, target: str | None) -> OperationModel | Rejection:
    """The operation an ``X-Amz-Target`` header names (``<targetPrefix>.<Operation>``)."""
    prefix, _, name = (target or "").rpartition(".")
    if prefix != service.metadata.get("targetPrefix") or not name:
        return Rejection(UNKNOWN_OPERATION, f"The operation {target or ''!r} is not known.")
    try:
        return service.operation_model(name)
    except OperationNotFoundError:
        return Rejection(UNKNOWN_OPERATION, f"The operation {name!r} is not known.")


def check_body(operation: OperationModel, body: bytes) -> Rejection | None:
    """Why AWS would refuse ``body`` for ``operation`` before running it, or None."""
    if not body.strip():
        # botocore sends "{}" for no parameters; an empty body means the same to AWS.
        params: Any = {}
    else:
        try:
            params = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            return Rejection(SERIALIZATION, f"The request body is not valid JSON: {exc}")
    shape = operation.input_shape
    if shape is None:
        return None
    wrong = type_error(shape, params)
    if wrong is not None:
        return Rejection(SERIALIZATION, wrong)
    missing = missing_member(shape, params)
    if missing is not None:
        return Rejection(
            INVALID_PARAMETER,
            f"1 validation error detected: Value null at '{missing}' failed to satisfy "
            "constraint: Member must not be null",
        )
    return None


def _token(value: Any) -> str:
    """The JSON token name AWS's deserialiser names in its messages."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    return "NUMBER_VALUE"


_SCALAR_NAMES = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "boolean": "a Boolean",
    "double": "a Double",
    "float": "a Float",
    "timestamp": "a Date",
    "blob": "a ByteBuffer",
}


def type_error(shape: Shape, value: Any, depth: int = 0) -> str | None:
    """The first value in ``value`` whose JSON type does not fit ``shape`` (AWS's message)."""
    if value is None:
        return None  # null is "absent" for every member
    if depth > _MAX_DEPTH:
        return "The request body is nested too deeply."
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return _container_mismatch(value)
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is not None:
                wrong = type_error(member, member_value, depth + 1)
                if wrong is not None:
                    return wrong
        return None
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return _container_mismatch(value)
        for item in value.values():
            wrong = type_error(shape.value, item, depth + 1)
            if wrong is not None:
                return wrong
        return None
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return "Expected list or null"
        for item in value:
            wrong = type_error(shape.member, item, depth + 1)
            if wrong is not None:
                return wrong
        return None
    return _scalar_error(shape.type_name, value)


def _container_mismatch(value: Any) -> str:
    # What AWS answers where a structure or map is expected and something else is found.
    if isinstance(value, list):
        return "Start of list found where not expected"
    return "Expected null"


def _scalar_error(type_name: str, value: Any) -> str | None:
    if isinstance(value, dict):
        return "Start of structure or map found where not expected."
    if isinstance(value, list):
        return "Start of list found where not expected"
    if type_name in ("string", "blob"):
        # Blobs travel as base64 strings in the JSON protocol.
        fits = isinstance(value, str)
    elif type_name == "boolean":
        fits = isinstance(value, bool)
    elif type_name in ("integer", "long"):
        bits = 31 if type_name == "integer" else 63
        fits = (
            _is_number(value) and float(value).is_integer() and -(2**bits) <= int(value) < 2**bits
        )
    else:  # double, float, timestamp (epoch seconds on the wire)
        fits = _is_number(value)
    if fits:
        return None
    return f"{_token(value)} can not be converted to {_SCALAR_NAMES.get(type_name, type_name)}"


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def missing_member(shape: Shape, value: Any, path: str = "", depth: int = 0) -> str | None:
    """The path of the first required member absent from ``value`` (already type-checked)."""
    if value is None or depth > _MAX_DEPTH:
        return None
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name in shape.required_members:
            if value.get(name) is None:
                return f"{path}{name}"
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is not None:
                found = missing_member(member, member_value, f"{path}{name}.", depth + 1)
                if found is not None:
                    return found
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            # AWS numbers list members from 1: "overrides.containerOverrides.1.member.name".
            found = missing_member(shape.member, item, f"{path}{index}.member.", depth + 1)
            if found is not None:
                return found
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            found = missing_member(shape.value, item, f"{path}{key}.", depth + 1)
            if found is not None:
                return found
    return None
