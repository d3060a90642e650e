"""The SigV4 verifier against requests botocore itself signed, for each protocol, and against
the same requests altered on the way (no server: the prepared request is verified as sent)."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from ecs_pipelines.local.auth import AccessKeyStore, KeyPair, new_server_keys
from ecs_pipelines.local.auth.sigv4 import Problem, Refusal, SignedRequest, Verified, verify

ENDPOINT = "http://127.0.0.1:4590"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/demo/0123"
ROLE = "arn:aws:iam::123456789012:role/demo"


class _Captured(Exception):
    """Raised from botocore's before-send hook: the signed request, never sent."""

    def __init__(self, request: Any) -> None:
        super().__init__()
        self.request = request


def _capture(**_: Any) -> None:
    raise _Captured(_["request"])


def signed(
    service: str,
    call: Callable[[Any], Any],
    credentials: dict[str, str],
    config: Config | None = None,
) -> SignedRequest:
    """The request botocore signs for ``call`` on a client of ``service``, as the server
    receives it (path and query as on the request line, headers by lower-case name)."""
    client = boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        config=config,
        **credentials,
    )
    client.meta.events.register("before-send", _capture)
    with pytest.raises(_Captured) as captured:
        call(client)
    return as_received(captured.value.request)


def as_received(prepared: Any) -> SignedRequest:
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()
    }
    headers.setdefault("host", url.netloc)
    return SignedRequest(
        method=prepared.method,
        raw_path=url.path or "/",
        raw_query=url.query,
        headers=headers,
        body_sha256=lambda: hashlib.sha256(body).hexdigest(),
    )


def url_request(url: str) -> SignedRequest:
    """A GET of a presigned URL, as the server receives it."""
    parts = urlsplit(url)
    return SignedRequest(
        "GET", parts.path, parts.query, {"host": parts.netloc}, lambda: hashlib.sha256().hexdigest()
    )


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture
def keys() -> AccessKeyStore:
    return AccessKeyStore(new_server_keys())


def _server(keys: AccessKeyStore) -> dict[str, str]:
    return keys.server.boto3_kwargs()


SIGNED_CALLS: dict[str, tuple[str, Callable[[Any], Any], Config | None]] = {
    "ecs RunTask (json)": (
        "ecs",
        lambda c: c.run_task(
            cluster="demo",
            taskDefinition="family:1",
            overrides={"containerOverrides": [{"name": "main", "command": ["echo", "é ü"]}]},
        ),
        None,
    ),
    "logs PutLogEvents (json)": (
        "logs",
        lambda c: c.put_log_events(
            logGroupName="/ecs/demo",
            logStreamName="ecs/main/1",
            logEvents=[{"timestamp": 1, "message": "a  b\tc"}],
        ),
        None,
    ),
    "sqs SendMessage (json, query-compatible)": (
        "sqs",
        lambda c: c.send_message(QueueUrl=f"{ENDPOINT}/123456789012/q", MessageBody="m & n=1"),
        None,
    ),
    "sts GetCallerIdentity (query)": ("sts", lambda c: c.get_caller_identity(), None),
    "ec2 DescribeInstances (ec2 query)": (
        "ec2",
        lambda c: c.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["a b+c"]}]),
        None,
    ),
    "s3 PutObject (rest-xml, body)": (
        "s3",
        lambda c: c.put_object(Bucket="bucket", Key="dir/a b+c%d=é", Body=b"\x00data" * 999),
        None,
    ),
    "s3 ListObjectsV2 (query string)": (
        "s3",
        lambda c: c.list_objects_v2(Bucket="bucket", Prefix="a b/", Delimiter="/", MaxKeys=5),
        None,
    ),
    "s3 PutObject, path-style, unsigned payload": (
        "s3",
        lambda c: c.put_object(Bucket="bucket", Key="k", Body=b"x"),
        Config(s3={"payload_signing_enabled": False, "addressing_style": "path"}),
    ),
    "lambda Invoke (rest-json, encoded path)": (
        "lambda",
        lambda c: c.invoke(FunctionName="fn:alias", Payload=b"{}"),
        None,
    ),
}


@pytest.mark.parametrize("name", list(SIGNED_CALLS))
def test_requests_botocore_signs_with_the_servers_keys_are_verified(
    keys: AccessKeyStore, name: str
) -> None:
    """Each protocol's request, as botocore signs it, verifies with the server's own key."""
    service, call, config = SIGNED_CALLS[name]
    outcome = verify(signed(service, call, _server(keys), config), keys.lookup, now())
    assert isinstance(outcome, Verified), outcome
    assert outcome.key.is_server_key
    assert (outcome.service, outcome.region) == (service, "us-east-1")


@pytest.mark.parametrize("name", list(SIGNED_CALLS))
def test_a_tasks_role_credentials_verify_only_with_their_token(
    keys: AccessKeyStore, name: str
) -> None:
    """Role credentials verify with their session token, and not without it or with another."""
    service, call, config = SIGNED_CALLS[name]
    task_key = keys.issue_task_key(TASK, ROLE)
    with_token = signed(service, call, task_key.boto3_kwargs(), config)
    outcome = verify(with_token, keys.lookup, now())
    assert isinstance(outcome, Verified) and outcome.key.principal == TASK
    without = {k: v for k, v in task_key.boto3_kwargs().items() if k != "aws_session_token"}
    assert _problem(verify(signed(service, call, without, config), keys.lookup, now())) is (
        Problem.BAD_TOKEN
    )
    other = {**task_key.boto3_kwargs(), "aws_session_token": "another"}
    assert _problem(verify(signed(service, call, other, config), keys.lookup, now())) is (
        Problem.BAD_TOKEN
    )


def _problem(outcome: Verified | Refusal) -> Problem | None:
    return outcome.problem if isinstance(outcome, Refusal) else None


def _altered(request: SignedRequest, **changes: Any) -> SignedRequest:
    fields = {
        "method": request.method,
        "raw_path": request.raw_path,
        "raw_query": request.raw_query,
        "headers": dict(request.headers),
        "body_sha256": request.body_sha256,
    }
    fields.update(changes)
    return SignedRequest(**fields)


def test_a_request_altered_after_signing_is_refused(keys: AccessKeyStore) -> None:
    """Another body, path, query, method or signed header value: the signature no longer
    matches (the body is hashed, not taken from the client's own header)."""
    put = signed("s3", SIGNED_CALLS["s3 PutObject (rest-xml, body)"][1], _server(keys))
    listed = signed("s3", SIGNED_CALLS["s3 ListObjectsV2 (query string)"][1], _server(keys))
    run = signed("ecs", SIGNED_CALLS["ecs RunTask (json)"][1], _server(keys))
    other_body = hashlib.sha256(b"{}").hexdigest()
    altered = [
        _altered(run, body_sha256=lambda: other_body),
        _altered(put, raw_path=put.raw_path + "x"),
        _altered(listed, raw_query=listed.raw_query.replace("max-keys=5", "max-keys=6")),
        _altered(run, method="PUT"),
        _altered(run, headers={**run.headers, "x-amz-target": "Other.RunTask"}),
        _altered(run, headers={**run.headers, "host": "127.0.0.1:4591"}),
    ]
    for request in altered:
        assert _problem(verify(request, keys.lookup, now())) is Problem.BAD_SIGNATURE


def test_a_put_objects_declared_hash_must_be_its_bodys(keys: AccessKeyStore) -> None:
    """S3's X-Amz-Content-Sha256 (a hash) does not stand in for the body: a body swapped under
    it fails the signature."""
    put = signed("s3", SIGNED_CALLS["s3 PutObject (rest-xml, body)"][1], _server(keys))
    assert len(put.headers["x-amz-content-sha256"]) == 64
    swapped = _altered(put, body_sha256=lambda: hashlib.sha256(b"evil").hexdigest())
    assert _problem(verify(swapped, keys.lookup, now())) is Problem.BAD_SIGNATURE


def test_unknown_keys_and_wrong_secrets_are_refused(keys: AccessKeyStore) -> None:
    """A key the store never issued, and the server's key id with another secret."""
    call = SIGNED_CALLS["ecs RunTask (json)"][1]
    stranger = KeyPair("AKIAAAAAAAAAAAAAAAAA", "x" * 40).boto3_kwargs()
    forger = KeyPair(keys.server.access_key_id, "y" * 40).boto3_kwargs()
    assert _problem(verify(signed("ecs", call, stranger), keys.lookup, now())) is (
        Problem.UNKNOWN_KEY
    )
    assert _problem(verify(signed("ecs", call, forger), keys.lookup, now())) is (
        Problem.BAD_SIGNATURE
    )


def test_unsigned_and_malformed_signatures_are_told_apart(keys: AccessKeyStore) -> None:
    """No signature is MISSING; a SigV4 header missing a part, or another scheme, INCOMPLETE."""
    run = signed("ecs", SIGNED_CALLS["ecs RunTask (json)"][1], _server(keys))
    bare = {k: v for k, v in run.headers.items() if k != "authorization"}
    assert _problem(verify(_altered(run, headers=bare), keys.lookup, now())) is Problem.MISSING
    cut = run.headers["authorization"].split(", Signature=")[0]
    for authorization in (cut, "AWS AKIAAAAAAAAAAAAAAAAA:c2lnbmF0dXJl", "Bearer x"):
        headers = {**bare, "authorization": authorization}
        refused = verify(_altered(run, headers=headers), keys.lookup, now())
        assert _problem(refused) is Problem.INCOMPLETE
    no_host = run.headers["authorization"].replace("host;", "")
    headers = {**bare, "authorization": no_host}
    assert _problem(verify(_altered(run, headers=headers), keys.lookup, now())) is (
        Problem.INCOMPLETE
    )


def test_clock_skew_beyond_fifteen_minutes_is_refused(keys: AccessKeyStore) -> None:
    """A request signed 16 minutes before (or after) the server's clock is refused with AWS's
    "Signature expired" wording; 14 minutes is accepted."""
    run = signed("ecs", SIGNED_CALLS["ecs RunTask (json)"][1], _server(keys))
    signed_at = datetime.datetime.strptime(run.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.UTC
    )
    minutes = datetime.timedelta(minutes=1)
    assert isinstance(verify(run, keys.lookup, signed_at + 14 * minutes), Verified)
    late = verify(run, keys.lookup, signed_at + 16 * minutes)
    assert isinstance(late, Refusal) and late.problem is Problem.SKEWED
    assert late.detail.startswith(f"Signature expired: {run.headers['x-amz-date']} is now earlier")
    early = verify(run, keys.lookup, signed_at - 16 * minutes)
    assert _problem(early) is Problem.SKEWED


def test_a_scope_date_other_than_the_requests_is_refused(keys: AccessKeyStore) -> None:
    """The credential scope's date must be the X-Amz-Date's day."""
    run = signed("ecs", SIGNED_CALLS["ecs RunTask (json)"][1], _server(keys))
    day = run.headers["x-amz-date"][:8]
    moved = run.headers["authorization"].replace(f"/{day}/", "/20000101/")
    refused = verify(
        _altered(run, headers={**run.headers, "authorization": moved}), keys.lookup, now()
    )
    assert isinstance(refused, Refusal) and refused.problem is Problem.BAD_SIGNATURE
    assert "Date in Credential scope does not match" in refused.detail


def test_expired_task_credentials_are_refused(keys: AccessKeyStore) -> None:
    """Role credentials past their expiration are refused even with a good signature."""
    task_key = keys.issue_task_key(TASK, ROLE, validity=datetime.timedelta(minutes=5))
    run = signed("ecs", SIGNED_CALLS["ecs RunTask (json)"][1], task_key.boto3_kwargs())
    assert isinstance(verify(run, keys.lookup, now()), Verified)
    assert task_key.expires_at is not None
    later = task_key.expires_at + datetime.timedelta(seconds=1)
    assert _problem(verify(run, keys.lookup, later)) is Problem.EXPIRED_TOKEN


def test_presigned_urls_verify_until_they_expire(keys: AccessKeyStore) -> None:
    """An S3 presigned GET (SigV4, UNSIGNED-PAYLOAD) and a presigned STS GetCallerIdentity
    (the kind EKS tokens carry: the body's hash is signed) verify until X-Amz-Expires has
    passed."""
    s3 = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        config=Config(signature_version="s3v4"),
        **_server(keys),
    )
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "bucket", "Key": "a b/é"}, ExpiresIn=120
    )
    sts = boto3.client("sts", endpoint_url=ENDPOINT, region_name="us-east-1", **_server(keys))
    sts_url = sts.generate_presigned_url(
        "get_caller_identity", Params={}, ExpiresIn=120, HttpMethod="GET"
    )
    for presigned in (url, sts_url):
        request = url_request(presigned)
        assert isinstance(verify(request, keys.lookup, now()), Verified), presigned
        later = now() + datetime.timedelta(seconds=180)
        assert _problem(verify(request, keys.lookup, later)) is Problem.PRESIGN_EXPIRED
        tampered = url_request(presigned.replace("X-Amz-Expires=120", "X-Amz-Expires=600"))
        assert _problem(verify(tampered, keys.lookup, now())) is Problem.BAD_SIGNATURE
