"""Task role credentials and the endpoint of a task's own SDK calls: boto3 inside a task with
a task role works against the embedded server with no credentials or endpoint configured."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.moto_bridge import BACKEND_LOCK
from ecs_pipelines_tests.local.local_ecs_tools import (
    log_messages,
    register,
    run_task,
    wait_for_log,
    wait_for_status,
)
from ecs_pipelines_tests.support.polling import wait_until

# Writes an object to S3 with the SDK's default chain, and prints how it found credentials.
PUT_OBJECT = r"""
import json, os, sys, boto3
session = boto3.session.Session()
credentials = session.get_credentials()
session.client("s3").put_object(Bucket=sys.argv[1], Key="made-by-the-task", Body=b"hello")
clusters = boto3.client("ecs").list_clusters()["clusterArns"]
print(json.dumps({
    "clusters": clusters,
    "method": credentials.method,
    "access_key": credentials.access_key,
    "uri": os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
}))
"""

# Prints the credentials endpoint's answer, asked as the SDKs ask it (with the token).
READ_ROLE = r"""
import os, urllib.request
request = urllib.request.Request(
    os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
    headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]},
)
print(urllib.request.urlopen(request).read().decode())
"""

# Prints its credentials URI, then waits to be stopped.
SHOW_URI_AND_WAIT = r"""
import os, time
print("uri", os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], flush=True)
time.sleep(60)
"""

# Once the marker file (argv[1]) exists, asks for its credentials as botocore's container
# provider does (2 s timeout) and prints how long the answer took.
FETCH_ON_MARKER = r"""
import os, sys, time, urllib.request
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
request = urllib.request.Request(
    os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
    headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]},
)
started = time.monotonic()
try:
    urllib.request.urlopen(request, timeout=2).read()
    print(f"answered in {time.monotonic() - started:.2f} s", flush=True)
except Exception as error:
    print(f"no answer: {type(error).__name__}", flush=True)
"""
# Prints what a role-less task is given.
SHOW_ENVIRONMENT = r"""
import json, os
print(json.dumps({k: os.environ.get(k) for k in (
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID")}))
"""


def _bucket(local_ecs: LocalEcs) -> tuple[Any, str]:
    s3 = boto3.client(
        "s3",
        endpoint_url=local_ecs.endpoint_url,
        region_name="us-east-1",
        **local_ecs.credentials.boto3_kwargs(),
    )
    name = f"task-credentials-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    return s3, name


def _last_json(logs_client: Any, ecs_client: Any, task_arn: str) -> dict[str, Any]:
    stopped = wait_for_status(ecs_client, task_arn, "STOPPED", timeout=60)
    lines = log_messages(logs_client, task_arn)
    assert stopped["containers"][0]["exitCode"] == 0, lines
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def test_boto3_in_a_task_with_a_role_reaches_the_embedded_services(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any
) -> None:
    """With a task role and nothing configured, the task's SDK finds the role's credentials
    at the container credentials endpoint and its call lands on the embedded server."""
    s3, bucket = _bucket(local_ecs)
    task = run_task(ecs_client, command=["python", "-c", PUT_OBJECT, bucket])
    found = _last_json(logs_client, ecs_client, task["taskArn"])
    assert found["method"] == "container-role"
    assert found["access_key"].startswith("ASIA")
    assert any(DEMO_CLUSTER in arn for arn in found["clusters"])
    assert found["uri"].startswith(f"{local_ecs.endpoint_url}/_local/credentials/")
    assert found["endpoint"] == local_ecs.endpoint_url
    assert s3.get_object(Bucket=bucket, Key="made-by-the-task")["Body"].read() == b"hello"


def test_credentials_endpoint_answers_the_tasks_role_as_ecs_does(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any
) -> None:
    """The endpoint answers AccessKeyId, SecretAccessKey, Token, Expiration and RoleArn (the
    override's role when RunTask gives one); an unknown container gets 404."""
    role = "arn:aws:iam::123456789012:role/override-role"
    task = run_task(
        ecs_client,
        overrides={
            "taskRoleArn": role,
            "containerOverrides": [{"name": "main", "command": ["python", "-c", READ_ROLE]}],
        },
    )
    answer = _last_json(logs_client, ecs_client, task["taskArn"])
    assert set(answer) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
    assert answer["RoleArn"] == role
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{local_ecs.endpoint_url}/_local/credentials/{'0' * 64}")
    assert raised.value.code == 404


def test_a_task_without_a_role_gets_no_credentials_and_keeps_its_own_endpoint(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any
) -> None:
    """No task role: no credentials variable (as on ECS); an AWS_ENDPOINT_URL the task sets
    itself is kept."""
    family = register(
        ecs_client,
        [{"name": "main", "command": ["python", "-c", SHOW_ENVIRONMENT]}],
        taskRoleArn=None,
    )
    own = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
    task = run_task(ecs_client, family=family, environment=own)
    shown = _last_json(logs_client, ecs_client, task["taskArn"])
    assert shown["AWS_CONTAINER_CREDENTIALS_FULL_URI"] is None
    assert shown["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] is None
    assert shown["AWS_ACCESS_KEY_ID"] is None
    assert shown["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"


def _fetch(url: str, token: str | None) -> int:
    headers = {} if token is None else {"Authorization": token}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10):
            return 200
    except urllib.error.HTTPError as refused:
        return refused.code


def test_credentials_endpoint_refuses_a_request_without_the_tasks_token(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any
) -> None:
    """Only the task holding AWS_CONTAINER_AUTHORIZATION_TOKEN gets its role's credentials:
    another process that learns the URI (another local user, a web page) gets 401."""
    task = run_task(ecs_client, command=["python", "-c", SHOW_URI_AND_WAIT])
    try:
        [line] = wait_for_log(logs_client, task["taskArn"], "uri ")
        uri = line.split()[1]
        assert _fetch(uri, None) == 401
        assert _fetch(uri, "not-the-token") == 401
        assert _fetch(uri, "") == 401
    finally:
        ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])


def test_credentials_are_answered_while_a_long_api_call_holds_the_backend(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any, tmp_path: Path
) -> None:
    """A task's credential request is answered within botocore's 2 s while another request
    holds the embedded ECS's backend for 3 s, as the ECS agent answers it apart from the API."""
    marker = tmp_path / "fetch"
    task = run_task(ecs_client, command=["python", "-c", FETCH_ON_MARKER, str(marker)])
    wait_for_status(ecs_client, task["taskArn"], "RUNNING")
    with BACKEND_LOCK:  # what a long ListTasks or FilterLogEvents does
        marker.touch()
        threading.Event().wait(3.0)  # the long call's length: the task asks meanwhile
    said = wait_until(
        lambda: [
            m
            for m in log_messages(logs_client, task["taskArn"])
            if m.startswith(("answered in ", "no answer"))
        ],
        what="the task's credential request to end",
    )
    [line] = said
    assert line.startswith("answered in "), line
    assert float(line.split()[2]) < 2.0
