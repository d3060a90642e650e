"""Run workers as ECS tasks on the embedded ECS: the run-worker task definition and the
environment of the processes that launch them.

`make ui` runs the production topology (docs/deploy.md): dagster-aws's ``EcsRunLauncher``
starts every run in its own run-worker task, whose steps launch their tasks beside it. On the
embedded ECS a task is a host process that gets only what its task definition gives it (as
on ECS, nothing is copied from the launcher's environment, and the launcher's ``env_vars``
are ignored when it names a registered task definition), so the run-worker task definition
carries everything the worker needs: the instance (``DAGSTER_HOME``), the ECS to talk to
(``AWS_ENDPOINT_URL`` for dagster-aws's own boto3 clients, ``ECS_PIPELINES_ENDPOINT_URL`` for
the code location's resource), the checkout on ``PYTHONPATH``, and
``DAGSTER_RUN_WORKER_TASK_DEFINITION``: with run monitoring on, the worker builds the run
launcher too, and the launcher refuses to start without it. It carries no credentials: the
worker has the demo task role, and every SDK in it signs with that role's credentials from
the credentials endpoint, as on ECS. Only the processes that launch run workers (dagster
dev's webserver and daemon) get the server's own keys (``launcher_environment``).

The definition is registered like a code-defined one (``EcsResource.resolve_task_definition``):
once per content, reused while nothing changes, a new revision when the endpoint or
``DAGSTER_HOME`` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecs_pipelines.cli.local_credentials import credentials_not_found
from ecs_pipelines.cli.target import Target, resource_for
from ecs_pipelines.demo.seed import (
    DEMO_EXECUTION_ROLE_ARN,
    DEMO_LOG_GROUP,
    DEMO_REGION,
    DEMO_TASK_ROLE_ARN,
)
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec

RUN_WORKER_FAMILY = "ecs-pipelines-run-worker"
# The container EcsRunLauncher overrides with `dagster api execute_run ...` (container_name).
RUN_WORKER_CONTAINER = "run"
# The run-worker tasks' startedBy (`ecs-pipelines tasks` shows it); the steps' tasks are
# started by dagster/<run id> (integration/task_naming.py), which the cleanup sensors stop
# when a run ends, so run workers keep a name of their own.
RUN_WORKER_STARTED_BY = "dagster-run-worker"
TASK_DEFINITION_ENV = "DAGSTER_RUN_WORKER_TASK_DEFINITION"
# What deploy/dagster.yaml gives a run worker (run_resources): it waits on tasks, the work
# happens in them.
RUN_WORKER_CPU = 512
RUN_WORKER_MEMORY = 1024
CHECKOUT = Path(__file__).resolve().parents[2]
# The image is recorded on the embedded ECS, which runs the command with its own Python.
RUN_WORKER_IMAGE = os.environ.get("ECS_PIPELINES_IMAGE", "python:3.12-slim")


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """What a process needs for boto3 clients built without arguments (dagster-aws's) to reach
    the embedded ECS: its endpoint and the demo region (credentials come apart: a task's
    role, or ``launcher_environment``'s keys)."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": DEMO_REGION,
        "AWS_DEFAULT_REGION": DEMO_REGION,
    }


def awslogs(stream_prefix: str) -> dict[str, Any]:
    """awslogs to the demo log group, with a stream prefix: the launcher reads a failed
    worker's last lines from its stream (ecs-pipelines-run-worker/run/<task id>)."""
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": DEMO_LOG_GROUP,
            "awslogs-region": DEMO_REGION,
            "awslogs-stream-prefix": stream_prefix,
        },
    }


def run_worker_environment(
    endpoint_url: str, dagster_home: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The run-worker container's environment on the embedded ECS."""
    environment = aws_environment(endpoint_url)
    environment.update(
        {
            "DAGSTER_HOME": str(dagster_home),
            # The family: a definition cannot name its own revision, and the launcher takes
            # the family's latest ACTIVE one.
            TASK_DEFINITION_ENV: RUN_WORKER_FAMILY,
            "ECS_PIPELINES_TARGET": "local",
            "ECS_PIPELINES_ENDPOINT_URL": endpoint_url,
            # The container starts in a directory of its own; the code location is here.
            "PYTHONPATH": str(CHECKOUT),
        }
    )
    environment.update(extra or {})
    return environment


def run_worker_spec(
    endpoint_url: str,
    dagster_home: Path,
    *,
    environment: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    family: str = RUN_WORKER_FAMILY,
) -> TaskDefinitionSpec:
    """The run-worker task definition: container ``run``, no command (the launcher sets
    it), everything the worker needs in its environment and ``secrets``."""
    env = run_worker_environment(endpoint_url, dagster_home, environment)
    if family != RUN_WORKER_FAMILY:
        env[TASK_DEFINITION_ENV] = family
    return TaskDefinitionSpec(
        family=family,
        container_name=RUN_WORKER_CONTAINER,
        image=RUN_WORKER_IMAGE,
        cpu=RUN_WORKER_CPU,
        memory=RUN_WORKER_MEMORY,
        environment=env,
        secrets=dict(secrets or {}),
        log_configuration=awslogs(family),
        execution_role_arn=DEMO_EXECUTION_ROLE_ARN,
        task_role_arn=DEMO_TASK_ROLE_ARN,
    )


def register_run_worker(
    target: Target, dagster_home: Path, environment: Mapping[str, str] | None = None
) -> str:
    """Registers the run-worker task definition on the target's embedded ECS (once per
    content) and returns the revision's ARN; ``environment`` adds to the worker's."""
    if target.name != "local" or target.endpoint_url is None:
        raise ValueError("run-worker tasks run on the embedded ECS only (docs/deploy.md: AWS)")
    resource = resource_for(target)
    spec = run_worker_spec(target.endpoint_url, dagster_home, environment=environment)
    return resource.resolve_task_definition(spec).arn


def launcher_environment(target: Target, task_definition_arn: str) -> dict[str, str]:
    """What `dagster dev`'s webserver and daemon need to build EcsRunLauncher against the
    embedded ECS: the webserver stops run workers when a run is terminated, the daemon
    launches and monitors them; both sign with the server's own keys."""
    if target.endpoint_url is None:
        raise ValueError("the embedded ECS has no endpoint yet")
    if target.credentials is None:
        raise credentials_not_found(target.endpoint_url)
    environment = aws_environment(target.endpoint_url)
    environment.update(target.credentials.environment())
    environment[TASK_DEFINITION_ENV] = task_definition_arn
    return environment
