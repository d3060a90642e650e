"""Accounts on the embedded ECS: its STS AssumeRole issues credentials that verify, act in the
role's account and nowhere else, and expire; DurationSeconds is checked as STS does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.auth import ACCOUNT_HEADER
from ecs_pipelines_tests.local.local_ecs_tools import unique
from ecs_pipelines_tests.support.accounts import ACCOUNT_A, ACCOUNT_B, role_in
from ecs_pipelines_tests.support.polling import wait_until

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def _client(local: LocalEcs, service: str, config: Config = NO_RETRIES, **credentials: Any) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=local.endpoint_url,
        region_name=local.region,
        config=config,
        **credentials,
    )


def _issued(local: LocalEcs, account: str, **request: Any) -> dict[str, Any]:
    """AssumeRole's Credentials for a role in ``account``, asked with the server's own keys
    (boto3's own check of the request off: the server's is the one tested)."""
    unchecked = NO_RETRIES.merge(Config(parameter_validation=False))
    sts = _client(local, "sts", unchecked, **local.credentials.boto3_kwargs())
    answer = sts.assume_role(RoleArn=role_in(account), RoleSessionName=unique("session"), **request)
    return dict(answer["Credentials"])


def _assume(local: LocalEcs, account: str, **request: Any) -> dict[str, str]:
    """boto3 keyword arguments of fresh credentials for a role in ``account``."""
    issued = _issued(local, account, **request)
    return {
        "aws_access_key_id": issued["AccessKeyId"],
        "aws_secret_access_key": issued["SecretAccessKey"],
        "aws_session_token": issued["SessionToken"],
    }


def _naming_account(client: Any, account: str) -> Any:
    """``client`` sending moto's account header on every request."""

    def add(request: Any, **_: Any) -> None:
        request.headers[ACCOUNT_HEADER] = account

    client.meta.events.register("before-sign", add)
    return client


def test_assumed_role_credentials_act_in_the_roles_account_only(local_ecs: LocalEcs) -> None:
    """A cluster created with account A's role credentials is listed with them, not with B's
    nor the server's own; naming another account in moto's header changes nothing for them,
    while the server's own keys may act in the account the header names."""
    name = unique("accounts")
    in_a = _client(local_ecs, "ecs", **_assume(local_ecs, ACCOUNT_A))
    in_b = _client(local_ecs, "ecs", **_assume(local_ecs, ACCOUNT_B))
    server = _client(local_ecs, "ecs", **local_ecs.credentials.boto3_kwargs())
    arn = in_a.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    assert arn.split(":")[4] == ACCOUNT_A
    assert arn in in_a.list_clusters()["clusterArns"]
    assert arn not in in_b.list_clusters()["clusterArns"]
    assert arn not in server.list_clusters()["clusterArns"]
    assert arn not in _naming_account(in_b, ACCOUNT_A).list_clusters()["clusterArns"]
    assert arn in _naming_account(server, ACCOUNT_A).list_clusters()["clusterArns"]
    identity = _client(local_ecs, "sts", **_assume(local_ecs, ACCOUNT_B)).get_caller_identity()
    assert identity["Account"] == ACCOUNT_B


@pytest.mark.parametrize("seconds", [899, 43_201])
def test_assume_role_refuses_a_duration_sts_refuses(local_ecs: LocalEcs, seconds: int) -> None:
    """DurationSeconds outside 900..43200 is STS's ValidationError, and issues nothing."""
    with pytest.raises(ClientError, match="ValidationError") as raised:
        _issued(local_ecs, ACCOUNT_A, DurationSeconds=seconds)
    assert "900" in str(raised.value) and "43200" in str(raised.value)


@pytest.fixture
def one_second_role_credentials(local_ecs: LocalEcs) -> Iterator[None]:
    keys = local_ecs.access_keys
    before = keys.assumed_role_max_seconds
    keys.assumed_role_max_seconds = 1
    try:
        yield
    finally:
        keys.assumed_role_max_seconds = before


def test_assumed_role_credentials_are_refused_once_expired(
    local_ecs: LocalEcs, one_second_role_credentials: None
) -> None:
    """Credentials from a server that caps their lifetime at 1 s say so in AssumeRole's
    answer, work until then, and are refused after."""
    before = datetime.now(UTC)
    issued = _issued(local_ecs, ACCOUNT_A, DurationSeconds=900)
    assert issued["Expiration"] - before < timedelta(seconds=2)
    ecs = _client(
        local_ecs,
        "ecs",
        aws_access_key_id=issued["AccessKeyId"],
        aws_secret_access_key=issued["SecretAccessKey"],
        aws_session_token=issued["SessionToken"],
    )
    ecs.list_clusters()

    def refused() -> str | None:
        try:
            ecs.list_clusters()
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return None

    code = wait_until(refused, timeout=10, what="expired credentials refused")
    assert code in ("ExpiredTokenException", "UnrecognizedClientException")
