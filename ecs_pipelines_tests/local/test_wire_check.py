"""The body checks AWS makes before an operation runs, as pure functions (no server)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecs_pipelines.local.rules import Rejection, check_body, operation_for
from ecs_pipelines_tests.local.wire_requests import service_model


def _check(operation: str, body: Any) -> Rejection | None:
    model = service_model("ecs").operation_model(operation)
    return check_body(model, json.dumps(body).encode())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"taskDefinition": 5}, "NUMBER_VALUE can not be converted to a String"),
        ({"taskDefinition": True}, "TRUE_VALUE can not be converted to a String"),
        ({"taskDefinition": "f", "count": "2"}, "STRING_VALUE can not be converted to an Integer"),
        ({"taskDefinition": "f", "count": 2**40}, "NUMBER_VALUE can not be converted to an "),
        ({"taskDefinition": "f", "tags": "x"}, "Expected list or null"),
        ({"taskDefinition": "f", "overrides": []}, "Start of list found where not expected"),
        ({"taskDefinition": {}}, "Start of structure or map found where not expected."),
        ({"taskDefinition": "f", "enableExecuteCommand": "yes"}, "STRING_VALUE can not be "),
    ],
)
def test_wrong_types_get_the_serialization_message_aws_sends(
    body: dict[str, Any], message: str
) -> None:
    """A value of the wrong JSON type is a SerializationException worded as AWS words it."""
    rejection = _check("RunTask", body)
    assert rejection is not None
    assert rejection.code == "SerializationException"
    assert rejection.message.startswith(message)


def test_nested_missing_required_member_is_named_by_its_path() -> None:
    """A required member missing deep in the body is named by AWS's path notation."""
    body = {"taskDefinition": "f", "overrides": {"containerOverrides": [{"name": "a"}, {}]}}
    rejection = _check("RunTask", {**body, "tags": [{"key": "k", "value": "v"}]})
    assert rejection is None  # containerOverrides[].name is optional in the model
    rejection = _check(
        "RunTask",
        {
            "taskDefinition": "f",
            "overrides": {"containerOverrides": [{"environmentFiles": [{"value": "s3://b/k"}]}]},
        },
    )
    assert rejection is not None and rejection.code == "InvalidParameterException"
    assert "'overrides.containerOverrides.1.member.environmentFiles.1.member.type'" in (
        rejection.message
    )


def test_unknown_members_and_nulls_are_ignored() -> None:
    """Members the model does not have, and nulls, are ignored as AWS ignores them."""
    assert _check("RunTask", {"taskDefinition": "f", "surprise": [1, 2], "count": None}) is None


def test_operation_is_taken_from_the_target_header() -> None:
    """X-Amz-Target must carry the service's prefix and an operation of its model."""
    model = service_model("ecs")
    found = operation_for(model, "AmazonEC2ContainerServiceV20141113.RunTask")
    assert not isinstance(found, Rejection) and found.name == "RunTask"
    prefix = "AmazonEC2ContainerServiceV20141113"
    for target in (None, "", "RunTask", "Logs_20140328.RunTask", f"{prefix}.", f"{prefix}.Nope"):
        rejected = operation_for(model, target)
        assert isinstance(rejected, Rejection) and rejected.code == "UnknownOperationException"
