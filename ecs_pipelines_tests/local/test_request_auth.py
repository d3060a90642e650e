"""Every AWS API request to the embedded ECS must be SigV4-signed with credentials it issued.

The requests here are made by boto3 itself against the shared server; each refusal is the
error AWS answers in that service's protocol (``local/auth_errors.py`` cites the sources).
"""

from __future__ import annotations

import datetime
import secrets
import string
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from ecs_pipelines.cli.local_access import post_signed
from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.local.local_ecs_tools import NETWORK

NO_RETRIES = Config(retries={"total_max_attempts": 1})
_HOUR = datetime.timedelta(hours=1)


def _unknown_key_id() -> str:
    alphabet = string.ascii_uppercase + "234567"
    return "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))


def _client(local: LocalEcs, service: str, **credentials: Any) -> Any:
    config = credentials.pop("config", NO_RETRIES)
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=local.endpoint_url,
        region_name=local.region,
        config=config,
        **credentials,
    )


def _run_task_params() -> dict[str, Any]:
    marker = f"auth-{uuid.uuid4().hex[:8]}"
    return {
        "cluster": DEMO_CLUSTER,
        "taskDefinition": "ecs-pipelines-python",
        "launchType": "FARGATE",
        "networkConfiguration": NETWORK,
        "startedBy": marker,
    }


def _tasks_started_by(ecs_client: Any, started_by: str) -> list[str]:
    return [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs_client.list_tasks(
            cluster=DEMO_CLUSTER, startedBy=started_by, desiredStatus=status
        )["taskArns"]
    ]


def _refused_run_task(client: Any, ecs_client: Any) -> ClientError:
    params = _run_task_params()
    with pytest.raises(ClientError) as raised:
        client.run_task(**params)
    assert _tasks_started_by(ecs_client, params["startedBy"]) == []
    return raised.value


def _code(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def test_unsigned_run_task_is_refused_and_starts_nothing(
    local_ecs: LocalEcs, ecs_client: Any
) -> None:
    """A RunTask with no signature at all launches no process: AWS's missing-token error."""
    unsigned = _client(
        local_ecs, "ecs", config=NO_RETRIES.merge(Config(signature_version=UNSIGNED))
    )
    error = _refused_run_task(unsigned, ecs_client)
    assert _code(error) == ("MissingAuthenticationTokenException", 400)


def test_run_task_signed_with_an_unknown_key_is_refused(
    local_ecs: LocalEcs, ecs_client: Any
) -> None:
    """A key the server never issued ("testing", as every client used to send) runs nothing."""
    for key_id in ("testing", _unknown_key_id()):
        stranger = _client(
            local_ecs, "ecs", aws_access_key_id=key_id, aws_secret_access_key="testing"
        )
        error = _refused_run_task(stranger, ecs_client)
        assert _code(error) == ("UnrecognizedClientException", 400)


def test_run_task_signed_with_a_wrong_secret_is_refused(
    local_ecs: LocalEcs, ecs_client: Any
) -> None:
    """The server's own key id with another secret: the signature does not match."""
    forger = _client(
        local_ecs,
        "ecs",
        aws_access_key_id=local_ecs.credentials.access_key_id,
        aws_secret_access_key=secrets.token_urlsafe(30),
    )
    error = _refused_run_task(forger, ecs_client)
    assert _code(error) == ("InvalidSignatureException", 400)
    assert "signature we calculated does not match" in error.response["Error"]["Message"]


def test_the_servers_own_credentials_are_accepted(ecs_client: Any) -> None:
    """The fixtures' clients (the server's own keys) call the API as before."""
    assert any(DEMO_CLUSTER in arn for arn in ecs_client.list_clusters()["clusterArns"])


# --- every refusal, by protocol ----------------------------------------------------------------

# A call of each protocol that is harmless when it is accepted.
CALLS: dict[str, Callable[[Any], Any]] = {
    "ecs": lambda c: c.list_clusters(),
    "logs": lambda c: c.describe_log_groups(limit=1),
    "sqs": lambda c: c.list_queues(),
    "sts": lambda c: c.get_caller_identity(),
    "ec2": lambda c: c.describe_regions(),
    "s3": lambda c: c.list_buckets(),
}

# (code, HTTP status) per case and service: JSON (ecs, logs), JSON compatible with the query
# protocol (sqs: the query code), query (sts), EC2, and S3 (rest-xml).
EXPECTED: dict[str, dict[str, tuple[str, int]]] = {
    "unsigned": {
        "ecs": ("MissingAuthenticationTokenException", 400),
        "logs": ("MissingAuthenticationTokenException", 400),
        "sqs": ("MissingAuthenticationTokenException", 400),
        "sts": ("MissingAuthenticationToken", 403),
        "ec2": ("MissingAuthenticationToken", 401),
        "s3": ("AccessDenied", 403),
    },
    "unknown key": {
        "ecs": ("UnrecognizedClientException", 400),
        "logs": ("UnrecognizedClientException", 400),
        "sqs": ("InvalidClientTokenId", 403),
        "sts": ("InvalidClientTokenId", 403),
        "ec2": ("AuthFailure", 401),
        "s3": ("InvalidAccessKeyId", 403),
    },
    "wrong secret": {
        "ecs": ("InvalidSignatureException", 400),
        "logs": ("InvalidSignatureException", 400),
        "sqs": ("SignatureDoesNotMatch", 403),
        "sts": ("SignatureDoesNotMatch", 403),
        "ec2": ("AuthFailure", 401),
        "s3": ("SignatureDoesNotMatch", 403),
    },
    "skewed clock": {
        "ecs": ("InvalidSignatureException", 400),
        "logs": ("InvalidSignatureException", 400),
        "sqs": ("SignatureDoesNotMatch", 403),
        "sts": ("SignatureDoesNotMatch", 403),
        "ec2": ("RequestExpired", 400),
        "s3": ("RequestTimeTooSkewed", 403),
    },
    "missing token": {
        "ecs": ("UnrecognizedClientException", 400),
        "logs": ("UnrecognizedClientException", 400),
        "sqs": ("InvalidClientTokenId", 403),
        "sts": ("InvalidClientTokenId", 403),
        "ec2": ("AuthFailure", 401),
        "s3": ("InvalidToken", 400),
    },
    "wrong token": {
        "ecs": ("UnrecognizedClientException", 400),
        "logs": ("UnrecognizedClientException", 400),
        "sqs": ("InvalidClientTokenId", 403),
        "sts": ("InvalidClientTokenId", 403),
        "ec2": ("AuthFailure", 401),
        "s3": ("InvalidToken", 400),
    },
}


@pytest.fixture(scope="module")
def task_key(local_ecs: LocalEcs) -> Any:
    """Role credentials the server issued to a task (with their session token)."""
    return local_ecs.access_keys.issue_task_key(
        "arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-demo/auth-test",
        "arn:aws:iam::123456789012:role/ecs-pipelines-task",
    )


@pytest.fixture
def skewed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """botocore signs as if its clock were 20 minutes late (AWS allows 15)."""
    late = datetime.timedelta(minutes=20)
    real = datetime.datetime

    def now() -> datetime.datetime:
        return real.now(datetime.UTC).replace(tzinfo=None) - late

    monkeypatch.setattr("botocore.auth.get_current_datetime", now)
    yield


def _credentials_for(case: str, local: LocalEcs, task_key: Any) -> dict[str, Any]:
    own = local.credentials
    if case == "unsigned":
        return {"config": NO_RETRIES.merge(Config(signature_version=UNSIGNED))}
    if case == "unknown key":
        return {"aws_access_key_id": _unknown_key_id(), "aws_secret_access_key": "x" * 40}
    if case == "wrong secret":
        return {"aws_access_key_id": own.access_key_id, "aws_secret_access_key": "x" * 40}
    if case == "skewed clock":
        return own.boto3_kwargs()
    task = {
        "aws_access_key_id": task_key.access_key_id,
        "aws_secret_access_key": task_key.secret_access_key,
    }
    if case == "wrong token":
        task["aws_session_token"] = secrets.token_urlsafe(32)
    return task


@pytest.mark.parametrize("case", list(EXPECTED))
@pytest.mark.parametrize("service", list(CALLS))
def test_each_refusal_is_the_error_aws_answers_in_that_protocol(
    local_ecs: LocalEcs, task_key: Any, service: str, case: str, request: pytest.FixtureRequest
) -> None:
    """Unsigned, unknown key, wrong secret, skewed clock, missing or wrong session token: boto3
    raises ClientError with the code and HTTP status AWS uses for that service, never a 500."""
    if case == "skewed clock":
        request.getfixturevalue("skewed_clock")
    client = _client(local_ecs, service, **_credentials_for(case, local_ecs, task_key))
    with pytest.raises(ClientError) as raised:
        CALLS[service](client)
    assert _code(raised.value) == EXPECTED[case][service]


@pytest.mark.parametrize("service", list(CALLS))
def test_a_tasks_role_credentials_with_their_token_are_accepted(
    local_ecs: LocalEcs, task_key: Any, service: str
) -> None:
    """Credentials issued to a task, sent with their session token, are accepted everywhere."""
    client = _client(local_ecs, service, **task_key.boto3_kwargs())
    CALLS[service](client)


def test_expired_task_credentials_are_refused(local_ecs: LocalEcs) -> None:
    """Role credentials past their expiration are refused as AWS refuses an expired token."""
    expired = local_ecs.access_keys.issue_task_key(
        "arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-demo/expired",
        "arn:aws:iam::123456789012:role/ecs-pipelines-task",
        validity=datetime.timedelta(seconds=-1),
    )
    client = _client(local_ecs, "ecs", **expired.boto3_kwargs())
    with pytest.raises(ClientError) as raised:
        client.list_clusters()
    assert _code(raised.value) == ("ExpiredTokenException", 400)


def test_s3_put_object_and_presigned_urls(
    local_ecs: LocalEcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 as its SDK signs it: PutObject with a body (a key that needs encoding), and a
    presigned GET (SigV4); an expired presigned URL is refused as S3 refuses it, and a SigV2
    one (botocore's default for S3 presigning) with a message that names the fix."""
    sigv4 = NO_RETRIES.merge(Config(signature_version="s3v4"))
    s3 = _client(local_ecs, "s3", config=sigv4, **local_ecs.credentials.boto3_kwargs())
    bucket = f"auth-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key = "a dir/with space+plus%percent=équal"
    s3.put_object(Bucket=bucket, Key=key, Body=b"x" * 70_000)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"x" * 70_000
    an_hour_ago = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - _HOUR
    with monkeypatch.context() as clock:
        clock.setattr("botocore.auth.get_current_datetime", lambda: an_hour_ago)
        expired = s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60
        )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(expired, timeout=10)
    assert refused.value.code == 403
    assert b"<Code>AccessDenied</Code>" in refused.value.read()
    sigv2 = _client(local_ecs, "s3", **local_ecs.credentials.boto3_kwargs())
    old = sigv2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    assert "AWSAccessKeyId=" in old
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(old, timeout=10)
    assert refused.value.code == 400
    assert b"Signature Version 4" in refused.value.read()


def test_moto_admin_api_is_not_served_even_signed(local_ecs: LocalEcs) -> None:
    """moto's own API (/moto-api/...) is no route of ours: unsigned or signed with the server's
    own keys, it is not found."""
    url = f"{local_ecs.endpoint_url}/moto-api/reset"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 404
    status, _ = post_signed(url, local_ecs.credentials)
    assert status == 404
