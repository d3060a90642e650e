"""The names the local target uses on the embedded ECS: its region, cluster, task definition,
container and network. The demo seeds an embedded ECS with exactly these (``demo/seed.py``),
so `ecs-pipelines` and `make run` meet on the same account.

No imports: the embedded ECS's seed reads these without loading the rest of the CLI.
"""

from __future__ import annotations

LOCAL_REGION = "us-east-1"
LOCAL_CLUSTER = "ecs-pipelines-demo"
LOCAL_TASK_DEFINITION = "ecs-pipelines-python"
LOCAL_CONTAINER = "main"
# Any subnet and security group id is accepted by the embedded ECS (no networking is
# simulated); awsvpc tasks need a network configuration there as on AWS.
LOCAL_SUBNET = "subnet-0ec5pipelines0local"
LOCAL_SECURITY_GROUP = "sg-0ec5pipelines0local"
