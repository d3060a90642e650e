"""How ``valueFrom`` is read (pure): Secrets Manager ARNs with their suffixes, parameters."""

from __future__ import annotations

import pytest

from ecs_pipelines.local.rules.secret_refs import (
    PARAMETER_STORE,
    SECRETS_MANAGER,
    SecretRef,
    SecretUnavailable,
    json_value,
    parse_value_from,
)

ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"


def _parse(value_from: str) -> SecretRef:
    return parse_value_from(value_from, region="us-east-1", account_id="123456789012")


def test_a_bare_name_is_a_parameter_of_the_task_s_region() -> None:
    """A name that is no ARN is a Parameter Store parameter in the task's Region and account."""
    assert _parse("/app/token") == SecretRef(
        PARAMETER_STORE, "us-east-1", "123456789012", "/app/token"
    )


def test_a_parameter_arn_names_its_own_region() -> None:
    """A parameter ARN is read in the Region and account it names."""
    ref = _parse("arn:aws:ssm:eu-west-1:111122223333:parameter/app/token")
    assert (ref.service, ref.region, ref.account_id) == (
        PARAMETER_STORE,
        "eu-west-1",
        "111122223333",
    )


def test_a_secret_arn_with_key_stage_and_id() -> None:
    """``arn...:secret:name:json-key:version-stage:version-id``; empty parts mean none."""
    assert _parse(ARN) == SecretRef(SECRETS_MANAGER, "eu-west-1", "111122223333", ARN)
    keyed = _parse(f"{ARN}:password:AWSPREVIOUS:")
    assert (keyed.secret_id, keyed.json_key, keyed.version_stage, keyed.version_id) == (
        ARN,
        "password",
        "AWSPREVIOUS",
        None,
    )
    assert _parse(f"{ARN}::" + ":v-1").version_id == "v-1"


def test_a_stage_and_an_id_together_are_refused() -> None:
    """ECS takes a version stage or a version id, not both."""
    with pytest.raises(SecretUnavailable, match="not both"):
        _parse(f"{ARN}:key:AWSCURRENT:v-1")


def test_an_arn_of_another_service_is_refused() -> None:
    """Only Secrets Manager secrets and Systems Manager parameters can be referenced."""
    with pytest.raises(SecretUnavailable, match="neither"):
        _parse("arn:aws:s3:::bucket/key")


def test_json_key_values() -> None:
    """A JSON key's string value is given as is, another JSON value as JSON."""
    ref = _parse(f"{ARN}:port::")
    assert json_value(ref, '{"port": 5432}') == "5432"
    assert json_value(_parse(f"{ARN}:user::"), '{"user": "u"}') == "u"
    with pytest.raises(SecretUnavailable, match="did not contain json key port"):
        json_value(ref, "plain text")
