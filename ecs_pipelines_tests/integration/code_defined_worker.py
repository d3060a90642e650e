"""A separate process that materialises one code-defined asset, for the concurrency test.

``python -m ecs_pipelines_tests.integration.code_defined_worker ENDPOINT ASSET BARRIER_DIR ID``
imports everything, says it is ready (``BARRIER_DIR/ready-ID``), waits for ``BARRIER_DIR/go``,
materialises the asset and prints the ARN of the task definition its task ran as one JSON line.

A Dagster run's start-up varies by more than a lookup and a registration take on loopback, so
left alone the second worker would mostly find the first one's revision. To test the race
itself, each worker waits after its lookup (which found nothing) until the other has looked up
too (``BARRIER_DIR/looked-ID``): both then register the same content.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, materialize

from ecs_pipelines.cli.local_credentials import require_credentials_of
from ecs_pipelines.demo.seed import (
    DEMO_CLUSTER,
    DEMO_EXECUTION_ROLE_ARN,
    DEMO_SECURITY_GROUP,
    DEMO_SUBNET,
)
from ecs_pipelines.ecs.task_definitions import (
    ResolvedTaskDefinition,
    TaskDefinitionRegistry,
    TaskDefinitionSpec,
)
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.support.dagster_helpers import tasks_of_run
from ecs_pipelines_tests.support.polling import wait_until

SPEC = TaskDefinitionSpec(
    image="python:3.12-slim", command=["python", "-c", "print('one of two workers')"]
)


def register_after_both_looked_up(barrier: Path, worker_id: str) -> None:
    register = TaskDefinitionRegistry.register

    def after_both(
        self: TaskDefinitionRegistry, request: Any, digest: str, *, after: int
    ) -> ResolvedTaskDefinition:
        (barrier / f"looked-{worker_id}").touch()
        wait_until(lambda: len(list(barrier.glob("looked-*"))) == 2, timeout=60, interval=0.01)
        return register(self, request, digest, after=after)

    TaskDefinitionRegistry.register = after_both  # type: ignore[method-assign]


def main(endpoint_url: str, asset_name: str, barrier: Path, worker_id: str) -> None:
    register_after_both_looked_up(barrier, worker_id)
    ecs = EcsResource(
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        # Found as any client on this host finds them: this user's record of the server.
        **require_credentials_of(endpoint_url).boto3_kwargs(),
        cluster=DEMO_CLUSTER,
        launch_type="FARGATE",
        subnets=[DEMO_SUBNET],
        security_groups=[DEMO_SECURITY_GROUP],
        poll_interval_seconds=0.5,
        code_task_definitions={"execution_role_arn": DEMO_EXECUTION_ROLE_ARN},
    )
    asset_def = ecs_task_asset(asset_name, task_definition_spec=SPEC)
    (barrier / f"ready-{worker_id}").touch()
    wait_until(lambda: (barrier / "go").exists(), timeout=60, interval=0.01, what="go")
    instance = DagsterInstance.ephemeral()
    result = materialize([asset_def], resources={"ecs": ecs}, instance=instance)
    [task] = tasks_of_run(ecs, result.run_id)
    print(json.dumps({"success": result.success, "task_definition": task["taskDefinitionArn"]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4])
