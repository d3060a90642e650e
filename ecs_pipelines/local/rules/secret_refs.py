"""Task-definition ``secrets``: what each ``valueFrom`` names, and ECS's words when it fails.

Pure: parsing and the error text; the values come from the embedded Secrets Manager and
Parameter Store (``moto_bridge.secret_store``). As the ECS developer guide describes it
("Pass sensitive data to an Amazon ECS container"):

- a Secrets Manager secret is named by its ARN, optionally followed by
  ``:json-key:version-stage:version-id`` ("arn:aws:secretsmanager:region:aws_account_id:secret:
  secret-name:json-key:version-stage:version-id"); an empty json-key means the whole secret
  string, an empty stage and id mean AWSCURRENT; a stage and an id must not both be given;
- a Systems Manager parameter is named by its ARN, or by its name when it is in the task's
  Region; a SecureString is given to the container decrypted.

ECS fails the task to start when any of them cannot be read (stopCode TaskFailedToStart,
stoppedReason "ResourceInitializationError: unable to pull secrets or registry auth: ...").
The messages here name the reference, never a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ecs_pipelines.ecs.common import EcsError

SECRETS_MANAGER = "secretsmanager"
PARAMETER_STORE = "ssm"
_PULL_FAILED = "ResourceInitializationError: unable to pull secrets or registry auth"


# Derives from the project's one error base; it stays here because the server turns it into a
# stoppedReason, and the core must never know the server's wire.
class SecretUnavailable(EcsError):
    """A secret or parameter a task needs cannot be read; ``str()`` is the stoppedReason."""


@dataclass(frozen=True)
class SecretRef:
    """One ``valueFrom``, resolved to where it lives."""

    service: str  # SECRETS_MANAGER or PARAMETER_STORE
    region: str
    account_id: str
    secret_id: str  # a Secrets Manager ARN, a parameter ARN or name
    json_key: str | None = None
    version_stage: str | None = None
    version_id: str | None = None


def parse_value_from(value_from: str, *, region: str, account_id: str) -> SecretRef:
    """The secret ``value_from`` names; a name (not an ARN) is a parameter in the task's
    Region and account. Raises ``SecretUnavailable`` for an ARN of another service."""
    if not value_from.startswith("arn:"):
        return SecretRef(PARAMETER_STORE, region, account_id, value_from)
    parts = value_from.split(":")
    if len(parts) < 6:
        raise SecretUnavailable(f"{_PULL_FAILED}: invalid secret ARN: {value_from}")
    service, arn_region, arn_account = parts[2], parts[3], parts[4]
    if service == PARAMETER_STORE:
        return SecretRef(PARAMETER_STORE, arn_region, arn_account, value_from)
    if service != SECRETS_MANAGER or parts[5] != "secret" or len(parts) < 7:
        raise SecretUnavailable(
            f"{_PULL_FAILED}: {value_from} is neither a Secrets Manager secret nor a "
            "Systems Manager parameter"
        )
    extra = [*parts[7:10], "", "", ""][:3]
    json_key, stage, version_id = (piece or None for piece in extra)
    if stage and version_id:
        raise SecretUnavailable(
            f"{_PULL_FAILED}: secret {value_from}: specify a version stage or a version id, "
            "not both"
        )
    return SecretRef(
        SECRETS_MANAGER,
        arn_region,
        arn_account,
        ":".join(parts[:7]),
        json_key=json_key,
        version_stage=stage,
        version_id=version_id,
    )


def json_value(ref: SecretRef, secret_string: str) -> str:
    """The secret string, or the value of ``ref.json_key`` in it (a non-string value as JSON)."""
    if ref.json_key is None:
        return secret_string
    try:
        document = json.loads(secret_string)
    except ValueError:
        document = None
    if not isinstance(document, dict) or ref.json_key not in document:
        raise SecretUnavailable(
            f"{_PULL_FAILED}: execution resource retrieval failed: unable to retrieve secret "
            f"from asm: retrieved secret from Secrets Manager did not contain json key "
            f"{ref.json_key}"
        )
    value = document[ref.json_key]
    return value if isinstance(value, str) else json.dumps(value)


def not_found(ref: SecretRef, error: str) -> SecretUnavailable:
    """The failure ECS reports for a secret or parameter it could not fetch."""
    if ref.service == SECRETS_MANAGER:
        return SecretUnavailable(
            f"{_PULL_FAILED}: execution resource retrieval failed: unable to retrieve secret "
            f"from asm: service call has been retried 1 time(s): failed to fetch secret "
            f"{ref.secret_id} from secrets manager: {error}"
        )
    return SecretUnavailable(
        f"{_PULL_FAILED}: execution resource retrieval failed: unable to retrieve secrets from "
        f"ssm: service call has been retried 1 time(s): invalid ssm parameters: {ref.secret_id}"
    )
