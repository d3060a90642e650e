"""Task state change events on the embedded ECS, for tests: a queue set up the AWS way, and
the ECS calls a resource's clients make.

Import the fixtures into a test module (``events_queue_fixture``, ``ecs_calls_fixture``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.demo.task_events_queue import (
    create_task_events_queue,
    delete_task_events_queue,
)
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import ApiCalls, local_client
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.resource_clients import hook_resource_clients


# Fixtures are named apart from their functions so that test modules can import them.
@pytest.fixture(name="ecs_calls")
def ecs_calls_fixture(monkeypatch: pytest.MonkeyPatch, local_ecs: LocalEcs) -> ApiCalls:
    """Counts the ECS calls of every client a resource builds (a job's or a sensor's too)."""
    calls = ApiCalls(client(local_ecs, "ecs"))
    hook_resource_clients(monkeypatch, "before-parameter-build.ecs.*", calls._count)
    hook_resource_clients(monkeypatch, "after-call.ecs.DescribeTasks", calls._described)
    return calls


def client(local: LocalEcs, service: str) -> Any:
    return local_client(local, service)


def demo_cluster_arn(local: LocalEcs) -> str:
    [cluster] = client(local, "ecs").describe_clusters(clusters=[DEMO_CLUSTER])["clusters"]
    return str(cluster["clusterArn"])


def new_queue(local: LocalEcs, cluster_arn: str | None = None) -> str:
    """A queue (and its rule) of the demo cluster's (or ``cluster_arn``'s) task events."""
    name = f"test-task-events-{uuid.uuid4().hex[:12]}"
    cluster = cluster_arn or demo_cluster_arn(local)
    return create_task_events_queue(
        local.endpoint_url, local.region, cluster, queue_name=name, credentials=local.credentials
    )


@pytest.fixture(name="events_queue")
def events_queue_fixture(local_ecs: LocalEcs) -> Iterator[str]:
    """The URL of a fresh queue of the demo cluster's task events; removed afterwards."""
    url = new_queue(local_ecs)
    yield url
    delete_task_events_queue(
        local_ecs.endpoint_url, local_ecs.region, url, credentials=local_ecs.credentials
    )


def received_events(
    local: LocalEcs, queue_url: str, until: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Envelopes received from the queue (and deleted) until ``until(envelopes)`` holds."""
    sqs = client(local, "sqs")
    found: list[dict[str, Any]] = []

    def probe() -> bool:
        # What is there, in batches of 10 (a queue of the session's cluster also holds the
        # events of other tests' tasks), then one long poll.
        for _ in range(20):
            response = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            messages = response.get("Messages", [])
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if until(found) or not messages:
                break
        return until(found)

    wait_until(probe, timeout=60, what="task state events on the queue")
    return found


def stopped_event_of(task_arn: str) -> Callable[[list[dict[str, Any]]], bool]:
    def seen(envelopes: list[dict[str, Any]]) -> bool:
        return any(
            e["detail"]["taskArn"] == task_arn and e["detail"]["lastStatus"] == "STOPPED"
            for e in envelopes
        )

    return seen


# An account, region and cluster other than the embedded ECS's.
ELSEWHERE_ACCOUNT, ELSEWHERE_REGION, ELSEWHERE_CLUSTER = "999999999999", "eu-west-3", "elsewhere"


def forged_stop(
    known: dict[str, Any], *, version: int, elsewhere: bool = False, exit_code: int = 0
) -> dict[str, Any]:
    """An "ECS Task State Change" envelope saying the task ``known`` (as DescribeTasks gave it)
    stopped with ``exit_code``, at ``version``: with its own ARN, or (``elsewhere``) with the
    same task id under another account, region and cluster."""
    arn, cluster_arn = str(known["taskArn"]), str(known["clusterArn"])
    account, region = arn.split(":")[4], arn.split(":")[3]
    if elsewhere:
        account, region = ELSEWHERE_ACCOUNT, ELSEWHERE_REGION
        prefix = f"arn:aws:ecs:{region}:{account}"
        arn = f"{prefix}:task/{ELSEWHERE_CLUSTER}/{arn.rsplit('/', 1)[-1]}"
        cluster_arn = f"{prefix}:cluster/{ELSEWHERE_CLUSTER}"
    container = {"name": "main", "lastStatus": "STOPPED", "exitCode": exit_code}
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": account,
        "region": region,
        "resources": [arn],
        "detail": {
            "taskArn": arn,
            "clusterArn": cluster_arn,
            "taskDefinitionArn": known["taskDefinitionArn"],
            "startedBy": known.get("startedBy", ""),
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [container],
            "version": version,
        },
    }


def send_events(local: LocalEcs, queue_url: str, *envelopes: dict[str, Any]) -> None:
    """Puts ``envelopes`` on the queue as an EventBridge rule would (the body is the envelope)."""
    sqs = client(local, "sqs")
    for envelope in envelopes:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope))
