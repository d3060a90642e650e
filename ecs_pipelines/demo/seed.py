"""The demo's account: its cluster, task definitions, log group and roles.

`make run`, `make ui` and the tests start the embedded ECS seeded with it (``seed_demo``: what
``ecs-pipelines local serve --seed`` names by default).

Only public AWS APIs through boto3 are used here, so the same calls would set the demo up on
a real account (apart from the fake EC2 container instance).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ecs_pipelines.cli.local_names import (
    LOCAL_CLUSTER,
    LOCAL_CONTAINER,
    LOCAL_REGION,
    LOCAL_SECURITY_GROUP,
    LOCAL_SUBNET,
    LOCAL_TASK_DEFINITION,
)

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

    from ecs_pipelines.local.auth import KeyPair

# The account the local target names (cli/local_names.py): what `ecs-pipelines` expects.
DEMO_CLUSTER = LOCAL_CLUSTER
DEMO_REGION = LOCAL_REGION
DEMO_LOG_GROUP = "/ecs/ecs-pipelines"
DEMO_TASK_ROLE_ARN = "arn:aws:iam::123456789012:role/ecs-pipelines-task"
DEMO_EXECUTION_ROLE_ARN = "arn:aws:iam::123456789012:role/ecs-pipelines-execution"
DEMO_SUBNET = LOCAL_SUBNET
DEMO_SECURITY_GROUP = LOCAL_SECURITY_GROUP
# The embedded EC2 accepts any image id; looking a real one up costs a second at start.
_ECS_AMI = "ami-0ec5pipelines0local"


def _log_configuration() -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": DEMO_LOG_GROUP,
            "awslogs-region": DEMO_REGION,
            "awslogs-stream-prefix": "ecs",
        },
    }


def _container(name: str, command: list[str], *, essential: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "image": "python:3.12-slim",
        "essential": essential,
        "command": command,
        "stopTimeout": 2,
        "logConfiguration": _log_configuration(),
    }


def _task_definition(
    family: str, containers: list[dict[str, Any]], *, task_role: bool = True
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": DEMO_EXECUTION_ROLE_ARN,
        "containerDefinitions": containers,
    }
    if task_role:
        definition["taskRoleArn"] = DEMO_TASK_ROLE_ARN
    return definition


_HELLO = ["python", "-c", "print('hello from ECS')"]
_MAIN_THEN_EXIT = [
    "python",
    "-c",
    "import time; print('main: working', flush=True); time.sleep(1); print('main: done')",
]
_SIDECAR_FAILS = ["python", "-c", "import sys; print('sidecar: giving up'); sys.exit(1)"]

DEMO_TASK_DEFINITIONS: list[dict[str, Any]] = [
    _task_definition(LOCAL_TASK_DEFINITION, [_container(LOCAL_CONTAINER, _HELLO)]),
    _task_definition(
        "ecs-pipelines-sidecar",
        [
            _container("main", _MAIN_THEN_EXIT),
            _container("sidecar", _SIDECAR_FAILS, essential=False),
        ],
    ),
    _task_definition("ecs-pipelines-no-role", [_container("main", _HELLO)], task_role=False),
]


def register_demo(ecs_client: ECSClient) -> list[str]:
    """Register the demo task definitions whose family does not exist yet; returns their ARNs."""
    registered = []
    for definition in DEMO_TASK_DEFINITIONS:
        family = definition["family"]
        families = ecs_client.list_task_definition_families(familyPrefix=family, status="ACTIVE")
        if family in families["families"]:
            continue
        response = ecs_client.register_task_definition(**definition)
        registered.append(response["taskDefinition"]["taskDefinitionArn"])
    return registered


def seed_demo(endpoint_url: str, credentials: KeyPair, region: str = DEMO_REGION) -> None:
    """Create the demo cluster (Fargate by default), its task definitions, its log group and
    one EC2 container instance, so that every launch type runs out of the box (signed with
    the server's own ``credentials``)."""
    import boto3

    kwargs: dict[str, Any] = {"endpoint_url": endpoint_url, "region_name": region}
    kwargs.update(credentials.boto3_kwargs())
    ecs = boto3.client("ecs", **kwargs)
    ecs.create_cluster(
        clusterName=DEMO_CLUSTER,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        # Each task's CPU and memory use is recorded (ecs/usage reads it back).
        settings=[{"name": "containerInsights", "value": "enhanced"}],
    )
    register_demo(ecs)
    logs = boto3.client("logs", **kwargs)
    if not logs.describe_log_groups(logGroupNamePrefix=DEMO_LOG_GROUP)["logGroups"]:
        logs.create_log_group(logGroupName=DEMO_LOG_GROUP)
    ec2 = boto3.client("ec2", **kwargs)
    instance = ec2.run_instances(ImageId=_ECS_AMI, MinCount=1, MaxCount=1)["Instances"][0]
    ecs.register_container_instance(
        cluster=DEMO_CLUSTER,
        instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]}),
    )
