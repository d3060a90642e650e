"""Reads secrets for task start-up from the embedded Secrets Manager and Parameter Store."""

from __future__ import annotations

from typing import Any

from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends

from ecs_pipelines.local.moto_bridge.state import BACKEND_LOCK
from ecs_pipelines.local.rules import (
    SECRETS_MANAGER,
    SecretRef,
    SecretUnavailable,
    json_value,
    not_found,
)


def read_secret(ref: SecretRef) -> str:
    """The value ``ref`` names; raises ``SecretUnavailable`` (naming the reference only)."""
    with BACKEND_LOCK:
        if ref.service == SECRETS_MANAGER:
            backend = secretsmanager_backends[ref.account_id][ref.region]
            try:
                # moto's GetSecretValue takes None for an absent id or stage, as its API does.
                version_id: Any = ref.version_id
                version_stage: Any = ref.version_stage
                found = backend.get_secret_value(ref.secret_id, version_id, version_stage)
            except Exception as exc:
                # moto's errors carry a code and a message about the secret, not its value.
                code = getattr(exc, "error_type", type(exc).__name__)
                detail = getattr(exc, "message", "") or "the secret could not be read"
                raise not_found(ref, f"{code}: {detail}") from None
            secret = found.get("SecretString")
            if secret is None:
                raise not_found(ref, "the secret has no string value")
            return json_value(ref, str(secret))
        try:
            parameter = ssm_backends[ref.account_id][ref.region].get_parameter(ref.secret_id)
        except Exception:
            parameter = None
        if parameter is None:
            raise not_found(ref, "ParameterNotFound")
        # ECS hands containers a SecureString decrypted (GetParameters WithDecryption).
        value = parameter.decrypt(parameter.value)
        if value is None:
            raise not_found(ref, "the parameter could not be decrypted")
        return str(value)


__all__ = ["SecretUnavailable", "read_secret"]
