"""A queue of one cluster's task state change events, set up the AWS way on an endpoint.

What ``deploy/task-events.yaml`` creates with CloudFormation on AWS (a test checks that the
two agree), made here with the API
calls (for ``make ui`` and tests on the embedded ECS): an SQS queue, an EventBridge rule on the
default bus matching the cluster's "ECS Task State Change" events, the queue as the rule's
target, and a queue policy that lets only that rule send to the queue. Each consumer (a
waiting step's resource, a sensor) needs a queue of its own: call this once per consumer with
its own ``queue_name``; the rules all match the same events (EventBridge delivers each event to
every matching rule).

The calls are idempotent: SQS returns the existing queue for the same name and attributes,
PutRule and PutTargets update what is there. ``delete_task_events_queue`` undoes them.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import boto3

from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_REGION
from ecs_pipelines.local.auth import KeyPair

DETAIL_TYPE = "ECS Task State Change"
RULE_TARGET_ID = "task-events-queue"
# A message older than this is of no use: every consumer's sweep (every few minutes) has
# described its tasks since; SQS's shortest retention is 60 s, its default 4 days.
RETENTION_SECONDS = 3600
# How long a received message stays hidden from other consumers when the consumer does not
# say (a waiting step deletes what it applied at once; a sensor asks for longer itself).
VISIBILITY_SECONDS = 60
# ReceiveMessage's default long poll on the queue (a consumer names its own wait anyway).
RECEIVE_WAIT_SECONDS = 20


def task_state_rule_pattern(cluster_arn: object) -> dict[str, Any]:
    """The rule's event pattern: task state changes of one cluster (ECS developer guide,
    "Amazon ECS task state change events"; EventBridge matches the detail's clusterArn).
    ``cluster_arn`` may be a CloudFormation reference (the template's parameter)."""
    return {
        "source": ["aws.ecs"],
        "detail-type": [DETAIL_TYPE],
        "detail": {"clusterArn": [cluster_arn]},
    }


def queue_policy(queue_arn: object, rule_arn: object) -> dict[str, Any]:
    """Only the rule may send to the queue (EventBridge user guide, "Permissions for Amazon
    SQS": the events.amazonaws.com principal, conditioned on aws:SourceArn)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TaskStateChangesFromTheRule",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }


# The queue of each consumer of the demo, by the environment variable that names it: the
# steps' (EcsResource.task_events_queue_url, also read by the CLI's waits) and each sensor's.
QUEUE_NAME_PREFIX = "ecs-pipelines-task-events-"
DEMO_CONSUMERS = {
    "ECS_PIPELINES_TASK_EVENTS_QUEUE_URL": "steps",
    "ECS_PIPELINES_DETACHED_SENSOR_QUEUE_URL": "detached-sensor",
    "ECS_PIPELINES_COMPLETION_SENSOR_QUEUE_URL": "completion-sensor",
}


def demo_task_events_environment(
    endpoint_url: str,
    credentials: KeyPair,
    region: str = DEMO_REGION,
    cluster: str = DEMO_CLUSTER,
) -> dict[str, str]:
    """One queue (and rule) per demo consumer on the embedded ECS at ``endpoint_url``, named
    as ``deploy/task-events.yaml`` names them; returns environment variable -> queue URL, for
    the process that loads the code location (``make ui``). Idempotent."""
    _, _, ecs = _clients(endpoint_url, region, credentials, with_ecs=True)
    [found] = ecs.describe_clusters(clusters=[cluster])["clusters"]
    return {
        variable: create_task_events_queue(
            endpoint_url,
            region,
            found["clusterArn"],
            queue_name=QUEUE_NAME_PREFIX + consumer,
            credentials=credentials,
        )
        for variable, consumer in DEMO_CONSUMERS.items()
    }


def _clients(
    endpoint_url: str, region: str, credentials: KeyPair, *, with_ecs: bool = False
) -> tuple[Any, ...]:
    options: dict[str, Any] = {"endpoint_url": endpoint_url, "region_name": region}
    options.update(credentials.boto3_kwargs())
    clients = [boto3.client("sqs", **options), boto3.client("events", **options)]
    if with_ecs:
        clients.append(boto3.client("ecs", **options))
    return tuple(clients)


def create_task_events_queue(
    endpoint_url: str, region: str, cluster_arn: str, *, queue_name: str, credentials: KeyPair
) -> str:
    """Creates (or finds) the queue, the rule (named like the queue) and the queue policy;
    returns the queue URL, for ``EcsResource(task_events_queue_url=...)``."""
    sqs, events = _clients(endpoint_url, region, credentials)
    queue_url = sqs.create_queue(
        QueueName=queue_name,
        Attributes={
            "MessageRetentionPeriod": str(RETENTION_SECONDS),
            "VisibilityTimeout": str(VISIBILITY_SECONDS),
            "ReceiveMessageWaitTimeSeconds": str(RECEIVE_WAIT_SECONDS),
            "SqsManagedSseEnabled": "true",
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    rule_arn = events.put_rule(
        Name=queue_name,
        EventPattern=json.dumps(task_state_rule_pattern(cluster_arn)),
        State="ENABLED",
        Description=f"ECS task state changes of {cluster_arn} to the SQS queue {queue_name}",
    )["RuleArn"]
    events.put_targets(Rule=queue_name, Targets=[{"Id": RULE_TARGET_ID, "Arn": queue_arn}])
    policy = json.dumps(queue_policy(queue_arn, rule_arn))
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})
    return str(queue_url)


def delete_task_events_queue(
    endpoint_url: str, region: str, queue_url: str, *, credentials: KeyPair
) -> None:
    """Removes the rule named like the queue, then the queue; what is gone already is fine."""
    sqs, events = _clients(endpoint_url, region, credentials)
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    gone = (events.exceptions.ResourceNotFoundException, sqs.exceptions.QueueDoesNotExist)
    with contextlib.suppress(*gone):
        events.remove_targets(Rule=name, Ids=[RULE_TARGET_ID])
    with contextlib.suppress(*gone):
        events.delete_rule(Name=name)
    with contextlib.suppress(*gone):
        sqs.delete_queue(QueueUrl=queue_url)
