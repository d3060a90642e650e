"""Other accounts on the embedded ECS: roles to assume in them, each set up as the demo's."""

from __future__ import annotations

from typing import Any

from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_LOG_GROUP, register_demo
from ecs_pipelines.integration.resource import EcsResource

# Two accounts besides the embedded ECS's default one (123456789012).
ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"


def role_in(account: str) -> str:
    return f"arn:aws:iam::{account}:role/ecs-pipelines-launcher"


def set_up_like_the_demo(ecs: EcsResource) -> None:
    """The demo's cluster, task definitions and log group in the account of ``ecs``'s role,
    through its own clients, as one would on a new account (each call harmless when repeated)."""
    client: Any = ecs.ecs_client()
    clusters = client.describe_clusters(clusters=[DEMO_CLUSTER])["clusters"]
    if not [c for c in clusters if c["status"] == "ACTIVE"]:
        client.create_cluster(clusterName=DEMO_CLUSTER)
    register_demo(client)
    logs: Any = ecs.logs_client()
    if not logs.describe_log_groups(logGroupNamePrefix=DEMO_LOG_GROUP)["logGroups"]:
        logs.create_log_group(logGroupName=DEMO_LOG_GROUP)
