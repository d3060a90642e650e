"""deploy/task-events.yaml (the rule, the queue and its policy, one stack per consumer) says
what ``local.task_events_queue`` makes on the embedded ECS, and deployed with CloudFormation
on the embedded ECS it delivers a task's events to every consumer's queue."""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_pipelines.demo import task_events_queue as local_setup
from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.local.local_ecs_tools import run_task
from ecs_pipelines_tests.support.task_events import (
    client,
    demo_cluster_arn,
    received_events,
    stopped_event_of,
)

TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "task-events.yaml"
QUEUE_ARN = {"Fn::GetAtt": ["TaskEventsQueue", "Arn"]}
RULE_ARN = {"Fn::GetAtt": ["TaskStateChangeRule", "Arn"]}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())
    return loaded


def resource(template: dict[str, Any], name: str, kind: str) -> dict[str, Any]:
    found = template["Resources"][name]
    assert found["Type"] == kind
    properties: dict[str, Any] = found["Properties"]
    return properties


def test_the_rule_matches_the_clusters_task_state_changes(template: dict[str, Any]) -> None:
    """The rule's pattern is the one the embedded setup uses, on the ClusterArn parameter,
    and its one target is the queue."""
    rule = resource(template, "TaskStateChangeRule", "AWS::Events::Rule")
    assert rule["EventPattern"] == local_setup.task_state_rule_pattern({"Ref": "ClusterArn"})
    assert rule["State"] == "ENABLED"
    assert rule["Targets"] == [{"Id": local_setup.RULE_TARGET_ID, "Arn": QUEUE_ARN}]


def test_only_the_rule_may_send_to_the_queue(template: dict[str, Any]) -> None:
    """The queue policy lets events.amazonaws.com send, on behalf of this rule alone."""
    policy = resource(template, "TaskEventsQueuePolicy", "AWS::SQS::QueuePolicy")
    assert policy["Queues"] == [{"Ref": "TaskEventsQueue"}]
    assert policy["PolicyDocument"] == local_setup.queue_policy(QUEUE_ARN, RULE_ARN)


def test_the_queue_keeps_events_an_hour_encrypted(template: dict[str, Any]) -> None:
    """Retention, visibility and long polling as the embedded setup has them; SSE-SQS on
    (events carry the tasks' overrides)."""
    queue = resource(template, "TaskEventsQueue", "AWS::SQS::Queue")
    retention = template["Parameters"]["MessageRetentionSeconds"]
    assert queue["MessageRetentionPeriod"] == {"Ref": "MessageRetentionSeconds"}
    assert retention["Default"] == local_setup.RETENTION_SECONDS
    assert queue["VisibilityTimeout"] == local_setup.VISIBILITY_SECONDS
    assert queue["ReceiveMessageWaitTimeSeconds"] == local_setup.RECEIVE_WAIT_SECONDS
    assert queue["SqsManagedSseEnabled"] is True
    assert set(template["Outputs"]) == {"QueueUrl", "QueueArn", "RuleArn"}


def deploy(local: LocalEcs, consumer: str) -> str:
    """Creates the stack for ``consumer``; the queue URL on the embedded endpoint."""
    cloudformation = client(local, "cloudformation")
    with warnings.catch_warnings():
        # moto's CloudFormation has no AWS::SQS::QueuePolicy (its SQS enforces no policy).
        warnings.simplefilter("ignore", UserWarning)
        cloudformation.create_stack(
            StackName=f"task-events-{consumer}",
            TemplateBody=TEMPLATE.read_text(),
            Parameters=[
                {"ParameterKey": "ClusterArn", "ParameterValue": demo_cluster_arn(local)},
                {"ParameterKey": "ConsumerName", "ParameterValue": consumer},
            ],
        )
    [stack] = cloudformation.describe_stacks(StackName=f"task-events-{consumer}")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    name = f"ecs-pipelines-task-events-{consumer}"
    return str(client(local, "sqs").get_queue_url(QueueName=name)["QueueUrl"])


def test_deployed_on_the_embedded_ecs_each_consumer_gets_every_event(
    local_ecs: LocalEcs, ecs_client: Any
) -> None:
    """Two stacks (two consumers): EventBridge delivers a task's state changes to both queues."""
    consumers = [f"c{uuid.uuid4().hex[:8]}" for _ in range(2)]
    queues = [deploy(local_ecs, consumer) for consumer in consumers]
    try:
        task = run_task(ecs_client, command=["python", "-c", "print('both')"])
        for queue in queues:
            envelopes = received_events(local_ecs, queue, stopped_event_of(task["taskArn"]))
            assert {e["detail"]["clusterArn"] for e in envelopes} == {demo_cluster_arn(local_ecs)}
            assert DEMO_CLUSTER in envelopes[0]["detail"]["clusterArn"]
    finally:
        cloudformation = client(local_ecs, "cloudformation")
        for consumer in consumers:
            cloudformation.delete_stack(StackName=f"task-events-{consumer}")
