"""Many consumers of one SQS queue on the embedded server, as many steps sharing `make ui`'s
task events queue are: each receive answers, and a message is in one consumer's hands at once.
A message past the queue's retention period is gone, as SQS deletes it."""

from __future__ import annotations

import sys
import threading
import uuid
from collections import Counter
from typing import Any

from botocore.config import Config
from moto.sqs.models import sqs_backends

from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import local_client

CONSUMERS, MESSAGES = 12, 150


def test_concurrent_consumers_each_get_a_message_once_and_no_receive_fails(
    local_ecs: LocalEcs,
) -> None:
    """12 consumers long-polling one queue while 150 messages arrive: no ReceiveMessage call
    fails (no retry hides one), and each message is delivered exactly once while its visibility
    timeout holds it."""
    once = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=2)
    sqs = local_client(local_ecs, "sqs", config=once)
    url = sqs.create_queue(QueueName=f"consumers-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    received: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def consume() -> None:
        client = local_client(local_ecs, "sqs", config=once)
        while not done.is_set():
            try:
                answer = client.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
                )
                # Kept in flight (not deleted): the queue holds many received messages, as
                # a shared queue does while its consumers wait for their own.
                for message in answer.get("Messages", []):
                    with lock:
                        received[message["Body"]] += 1
            except Exception as error:  # counted: the assertion names it
                with lock:
                    failures.append(repr(error))

    threads = [threading.Thread(target=consume) for _ in range(CONSUMERS)]
    # The server runs in this process: threads switch every microsecond instead of every
    # 5 ms, so that interleavings a loaded host sees now and then are seen on every run.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    for thread in threads:
        thread.start()
    try:
        for index in range(MESSAGES):
            sqs.send_message(QueueUrl=url, MessageBody=str(index))
        # Until every message is received or a failure is seen (each thread's calls end
        # within a second of being told).
        for _ in range(600):
            with lock:
                if len(received) == MESSAGES or failures:
                    break
            done.wait(0.05)
    finally:
        sys.setswitchinterval(interval)
        done.set()
        for thread in threads:
            thread.join(timeout=30)
        sqs.delete_queue(QueueUrl=url)
    assert failures == [], failures[:3]
    assert set(received) == {str(index) for index in range(MESSAGES)}
    twice: dict[str, Any] = {body: n for body, n in received.items() if n > 1}
    assert twice == {}, f"{len(twice)} messages delivered more than once"


def test_a_message_past_the_retention_period_is_deleted_and_the_next_one_is_received(
    local_ecs: LocalEcs,
) -> None:
    """A message older than the queue's MessageRetentionPeriod is deleted (no longer counted or
    received), and a receive returns the younger message behind it at once."""
    sqs = local_client(local_ecs, "sqs")
    url = sqs.create_queue(
        QueueName=f"retention-{uuid.uuid4().hex[:8]}", Attributes={"MessageRetentionPeriod": "60"}
    )["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody="old")
        # Sent 61 s ago: the server runs in this process, so its queue can be aged in place.
        account_id, name = url.rstrip("/").split("/")[-2:]
        [old] = sqs_backends[account_id][local_ecs.region].get_queue(name)._messages
        old.sent_timestamp -= 61_000
        sqs.send_message(QueueUrl=url, MessageBody="new")
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        assert [m["Body"] for m in answer.get("Messages", [])] == ["new"]
        counts = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        assert counts == {
            "ApproximateNumberOfMessages": "0",
            "ApproximateNumberOfMessagesNotVisible": "1",
        }
    finally:
        sqs.delete_queue(QueueUrl=url)
