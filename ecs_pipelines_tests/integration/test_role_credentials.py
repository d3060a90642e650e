"""Assumed-role credentials: fetched on first use, renewed ahead of expiry in windows sized to
their lifetime, and the role settings checked before any call. A fake clock, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from ecs_pipelines.ecs.common import Retrier
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.role_credentials import (
    AssumedRoleCredentials,
    RoleToAssume,
    assume_with,
    refresh_windows,
)

ROLE = "arn:aws:iam::111122223333:role/ecs-pipelines"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeSts:
    """AssumeRole's answers: numbered credentials living ``lifetime`` seconds from the clock."""

    def __init__(self, clock: Clock, lifetime: float) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.requests: list[dict[str, Any]] = []
        self.failing = False

    def assume_role(self, **request: Any) -> dict[str, Any]:
        if self.failing:
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}
            raise ClientError(error, "AssumeRole")
        self.requests.append(request)
        n = len(self.requests)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{n:016d}",
                "SecretAccessKey": f"secret-{n}",
                "SessionToken": f"token-{n}",
                "Expiration": self.clock() + timedelta(seconds=self.lifetime),
            }
        }


def _credentials(lifetime: float) -> tuple[AssumedRoleCredentials, FakeSts, Clock]:
    clock = Clock()
    sts = FakeSts(clock, lifetime)
    role = RoleToAssume(ROLE, "ecs-pipelines", 900)
    assume = assume_with(sts, role, Retrier(max_attempts=1))
    return AssumedRoleCredentials(assume, clock=clock), sts, clock


def test_refresh_windows_are_botocores_for_an_hour_and_shrink_with_the_lifetime() -> None:
    """An hour's credentials renew 15 (advisory) and 10 (mandatory) minutes ahead, as botocore
    does; shorter ones at half and a third of their lifetime."""
    hour = refresh_windows(3600)
    assert (hour.advisory, hour.mandatory) == (900, 600)
    quarter = refresh_windows(900)
    assert (quarter.advisory, quarter.mandatory) == (450, 300)
    short = refresh_windows(3)
    assert (short.advisory, short.mandatory) == (1.5, 1.0)
    assert refresh_windows(-5).advisory == 0


def test_credentials_are_fetched_on_first_use_and_kept_until_the_advisory_window() -> None:
    """No AssumeRole until a client signs; then the same credentials until half of a 15-minute
    session has passed, and new ones after."""
    credentials, sts, clock = _credentials(900)
    assert sts.requests == []
    first = credentials.get_frozen_credentials()
    assert first.access_key == f"ASIA{1:016d}" and first.token == "token-1"
    clock.advance(449)
    assert credentials.get_frozen_credentials().access_key == first.access_key
    assert len(sts.requests) == 1
    clock.advance(2)  # 451 s in: less than 450 s left
    renewed = credentials.get_frozen_credentials()
    assert renewed.access_key == f"ASIA{2:016d}" and renewed.secret_key == "secret-2"
    assert sts.requests[0] == {
        "RoleArn": ROLE,
        "RoleSessionName": "ecs-pipelines",
        "DurationSeconds": 900,
    }


def test_a_failed_renewal_keeps_the_current_credentials_until_the_mandatory_window() -> None:
    """AssumeRole failing in the advisory window leaves the current (still valid) credentials
    in use; in the mandatory window the failure reaches the caller."""
    credentials, sts, clock = _credentials(900)
    first = credentials.get_frozen_credentials()
    sts.failing = True
    clock.advance(500)  # 400 s left: advisory (450), not mandatory (300)
    assert credentials.get_frozen_credentials().access_key == first.access_key
    clock.advance(200)  # 200 s left: mandatory
    with pytest.raises(ClientError, match="AccessDenied"):
        credentials.get_frozen_credentials()
    sts.failing = False
    assert credentials.get_frozen_credentials().access_key == f"ASIA{2:016d}"


def test_a_wait_longer_than_many_lifetimes_always_signs_with_unexpired_credentials() -> None:
    """Credentials living 3 s, read every half second for a minute: every read gets a set with
    half its lifetime left at least, and each set serves half its life before it is renewed."""
    credentials, sts, clock = _credentials(3)
    for _ in range(120):
        frozen = credentials.get_frozen_credentials()
        issued = int(frozen.access_key[4:])
        assert issued == len(sts.requests)  # the newest set is the one in use
        assert credentials._seconds_remaining() >= 1.5
        clock.advance(0.5)
    assert len(sts.requests) == 30


def test_the_external_id_goes_to_assume_role_when_set() -> None:
    """A role whose trust policy asks for an ExternalId gets it in AssumeRole's request."""
    role = RoleToAssume(ROLE, "nightly-batch", 3600, external_id="a1b2c3d4")
    assert role.check().request() == {
        "RoleArn": ROLE,
        "RoleSessionName": "nightly-batch",
        "DurationSeconds": 3600,
        "ExternalId": "a1b2c3d4",
    }


@pytest.mark.parametrize(
    ("fields", "field", "limit"),
    [
        ({"role_arn": "arn:aws:iam::1234:role/x"}, "role_arn", "IAM role ARN"),
        ({"role_arn": ROLE, "role_session_name": "a b"}, "role_session_name", "2..64"),
        ({"role_arn": ROLE, "role_duration_seconds": 899}, "role_duration_seconds", "900"),
        ({"role_arn": ROLE, "role_duration_seconds": 43_201}, "role_duration_seconds", "43200"),
        ({"role_arn": ROLE, "role_external_id": "x"}, "role_external_id", "2..1224"),
        ({"role_external_id": "a1b2c3d4"}, "role_external_id", "needs role_arn"),
    ],
)
def test_bad_role_settings_fail_when_the_resource_is_built(
    fields: dict[str, Any], field: str, limit: str
) -> None:
    """Each role setting AssumeRole would refuse fails naming the field and the limit, before
    any call (there is no endpoint to call here)."""
    with pytest.raises(ValidationError) as raised:
        EcsResource(region_name="us-east-1", cluster="demo", **fields)
    assert field in str(raised.value) and limit in str(raised.value)
