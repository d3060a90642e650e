"""Credentials of an assumed IAM role, renewed before they expire: tasks in other accounts.

An EcsResource with ``role_arn`` signs every call (ECS, CloudWatch Logs, SQS, task
definitions, ECS Exec) with the role's temporary credentials: STS AssumeRole, called with the
resource's own credentials (profile, keys or the environment's), with ``role_external_id``
when the role's trust policy asks for one (docs/iam-trust-policy.json). The credentials are
fetched on first use and renewed ahead of their expiry by botocore's refreshable credentials,
so a wait longer than their lifetime keeps going: in the advisory window one thread renews
while the others go on with the current credentials; in the mandatory window every call waits
for the new ones.

botocore renews 15 and 10 minutes before expiry, which suits an hour's session; for shorter
ones (AssumeRole's minimum is 15 minutes) that would call STS before every request, so the
windows shrink with the lifetime (``refresh_windows``). Credentials are shared by every client
of the process that assumes the same role with the same identity, so a sensor tick or a step
does not call AssumeRole anew.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.credentials import DeferredRefreshableCredentials

from ecs_pipelines.ecs.common import BoundedMap, Retrier, iam_role_arn, int_range, matching

# STS AssumeRole's limits (STS API reference, AssumeRole request parameters).
MIN_DURATION_SECONDS, MAX_DURATION_SECONDS = 900, 43_200
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
# botocore's own windows (credentials.py: _DEFAULT_ADVISORY_REFRESH_TIMEOUT, _MANDATORY_...).
ADVISORY_SECONDS, MANDATORY_SECONDS = 15 * 60, 10 * 60
# Roles assumed at once in one process (one per role, identity and endpoint): a bound only.
MAX_SHARED_CREDENTIALS = 64


@dataclass(frozen=True)
class RoleToAssume:
    """What AssumeRole is asked: the role, the session's name and length, the external id."""

    role_arn: str
    session_name: str
    duration_seconds: int
    external_id: str | None = None

    def check(self) -> RoleToAssume:
        """Each value against AssumeRole's limits, naming the resource's field."""
        iam_role_arn("role_arn", self.role_arn)
        matching(
            "role_session_name",
            self.session_name,
            SESSION_NAME,
            "2..64 letters, digits and +=,.@_-",
        )
        int_range(
            "role_duration_seconds",
            self.duration_seconds,
            MIN_DURATION_SECONDS,
            MAX_DURATION_SECONDS,
        )
        if self.external_id is not None:
            matching(
                "role_external_id",
                self.external_id,
                EXTERNAL_ID,
                "2..1224 letters, digits and +=,.@:/_-",
            )
        return self

    def request(self) -> dict[str, Any]:  # AssumeRole's request (no mypy-boto3-sts here)
        request: dict[str, Any] = {
            "RoleArn": self.role_arn,
            "RoleSessionName": self.session_name,
            "DurationSeconds": self.duration_seconds,
        }
        if self.external_id is not None:
            request["ExternalId"] = self.external_id
        return request


class StsClient(Protocol):
    """The one call of boto3's STS client used here."""

    def assume_role(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class RefreshWindows:
    """How long before expiry credentials are renewed: ``advisory`` by one thread while the
    others go on, ``mandatory`` with every caller waiting (seconds)."""

    advisory: float
    mandatory: float


def refresh_windows(lifetime_seconds: float) -> RefreshWindows:
    """botocore's windows (15 and 10 minutes) for credentials that live an hour or more; half
    and a third of the lifetime for shorter ones, so each set serves half its life at least."""
    lifetime = max(lifetime_seconds, 0.0)
    return RefreshWindows(
        advisory=min(ADVISORY_SECONDS, lifetime / 2),
        mandatory=min(MANDATORY_SECONDS, lifetime / 3),
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AssumedRoleCredentials(DeferredRefreshableCredentials):
    """botocore credentials that call ``assume`` on first use and again ahead of expiry, their
    refresh windows sized to the lifetime of each set issued (``refresh_windows``)."""

    def __init__(
        self,
        assume: Callable[[], Mapping[str, Any]],
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(refresh_using=self._fetch, method="assume-role", time_fetcher=clock)
        self._assume = assume
        self._clock = clock

    def _fetch(self) -> dict[str, str]:
        issued = self._assume()
        expiration: datetime = issued["Expiration"]
        windows = refresh_windows((expiration - self._clock()).total_seconds())
        # botocore reads its windows from these attributes (set the same way by its __init__).
        self._advisory_refresh_timeout = windows.advisory
        self._mandatory_refresh_timeout = windows.mandatory
        return {
            "access_key": issued["AccessKeyId"],
            "secret_key": issued["SecretAccessKey"],
            "token": issued["SessionToken"],
            "expiry_time": expiration.isoformat(),
        }


def assume_with(sts: StsClient, role: RoleToAssume, retrier: Retrier) -> Callable[[], Any]:
    """A call of AssumeRole for ``role`` through the retry layer; answers its Credentials."""

    def assume() -> Any:
        return retrier.call(lambda: sts.assume_role(**role.request()))["Credentials"]

    return assume


_shared: BoundedMap[Hashable, AssumedRoleCredentials] = BoundedMap(
    "assumed-role credentials", MAX_SHARED_CREDENTIALS, name_keys=False
)


def shared_credentials(
    identity: Hashable, make: Callable[[], AssumedRoleCredentials]
) -> AssumedRoleCredentials:
    """The process's credentials for ``identity`` (role, caller, endpoint), made once."""
    found = _shared.get(identity)
    if found is None:
        _shared.add(identity, make())
        found = _shared.get(identity)
    assert found is not None  # just added; a bound of 64 keeps it
    return found


def credential_variables(credentials: AssumedRoleCredentials) -> dict[str, str]:
    """The credentials as the variables every SDK reads (for session-manager-plugin, which
    runs as a process of its own): current ones, renewed first when near their expiry."""
    frozen = credentials.get_frozen_credentials()
    return {
        "AWS_ACCESS_KEY_ID": str(frozen.access_key),
        "AWS_SECRET_ACCESS_KEY": str(frozen.secret_key),
        "AWS_SESSION_TOKEN": str(frozen.token),
    }
