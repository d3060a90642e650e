"""STS AssumeRole on the embedded ECS: moto makes the credentials, the key store learns them.

moto answers AssumeRole for any role ARN, in any account (it checks no trust policy and no
external id), and files the new access key under the role's account, which is how moto maps a
key to its account. The server verifies every signature against its own key store, so each
set of credentials AssumeRole issues is registered there too, with the role's account and its
expiry: a request signed with them verifies until they expire, and acts in that account only
(``local/auth/request_auth.py``). DurationSeconds is checked as STS does (900 s to 12 hours);
the store may shorten the lifetime it asks (``AccessKeyStore.assumed_role_max_seconds``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from moto.sts.exceptions import STSValidationError
from moto.sts.models import AssumedRole, STSBackend

from ecs_pipelines.local.contract import CredentialsRegistry
from ecs_pipelines.local.moto_bridge.state import BACKEND_LOCK

# STS AssumeRole's DurationSeconds: 900 seconds to 12 hours (STS API reference, AssumeRole;
# a role's MaxSessionDuration may allow less, the embedded ECS does not check it).
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43_200

AssumeRole = Callable[..., AssumedRole]


def registering(original: AssumeRole, credentials: CredentialsRegistry) -> AssumeRole:
    """``STSBackend.assume_role`` that checks DurationSeconds, lets ``credentials`` set the
    lifetime, and registers what it issued there."""

    def assume_role(self: STSBackend, **kwargs: Any) -> AssumedRole:
        duration = int(kwargs["duration"])
        if not MIN_DURATION_SECONDS <= duration <= MAX_DURATION_SECONDS:
            raise STSValidationError(
                f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed "
                f"to satisfy constraint: Member must have value between {MIN_DURATION_SECONDS} "
                f"and {MAX_DURATION_SECONDS}"
            )
        kwargs["duration"] = credentials.assumed_role_seconds(duration)
        with BACKEND_LOCK:  # moto files the key in its IAM backend: not thread safe
            role = original(self, **kwargs)
        credentials.register_assumed_role(
            access_key_id=role.access_key_id,
            secret_access_key=role.secret_access_key,
            session_token=role.session_token,
            # moto keeps naive UTC times; the same instant as its answer says, to the microsecond.
            expires_at=role.expiration.replace(tzinfo=UTC),
            role_arn=role.role_arn,
            principal=role.arn,
            account_id=role.account_id,
        )
        return role

    return assume_role
