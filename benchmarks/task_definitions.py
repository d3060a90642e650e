"""Scenario 5: launches of task definitions described in code, register once and reuse.

Ours: one EcsResource (one process) launches N tasks spread round-robin over D code-defined
task definitions (``run_task(task_definition_spec=...)``); then a fresh process cache (a second
run worker) launches them again. Theirs: dagster-aws's EcsRunLauncher check, which reads the
family's latest revision before every launch and registers when its own field comparison
(``task_definitions_match``) says the content differs; its code, called the way the launcher
calls it, one DescribeTaskDefinition per launch. Call counts come from the endpoint.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError
from dagster_aws.ecs.tasks import DagsterEcsTaskDefinitionConfig
from dagster_aws.ecs.utils import task_definitions_match

from benchmarks.measures import Row
from benchmarks.pipes_side import default_ecs_client
from benchmarks.scenarios import CLUSTER, our_resource
from benchmarks.scripted_process import ScriptedEcsProcess
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec
from ecs_pipelines.integration.resource import EcsResource

LOOKUPS = ("DescribeTaskDefinition", "ListTaskDefinitions")
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/bench-execution"
BENCH_ENV = [{"name": "BENCH_DURATION", "value": "0.1"}]


def specs(count: int) -> list[TaskDefinitionSpec]:
    """``count`` task definitions, as a data team declares them next to its assets."""
    return [
        TaskDefinitionSpec(
            image=f"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app-{i}:1.0",
            command=["python", "-m", f"app{i}"],
            cpu=512,
            memory=1024,
            family=f"bench-code-{i}",
        )
        for i in range(count)
    ]


def code_resource(endpoint_url: str) -> EcsResource:
    """The bench resource with no registered task definition: each launch gives its spec."""
    return our_resource(
        endpoint_url,
        task_definition=None,
        container_name=None,
        code_task_definitions={"execution_role_arn": EXECUTION_ROLE, "log_group": "/ecs/bench"},
    )


def launch_ours(endpoint: ScriptedEcsProcess, launches: int, definitions: int) -> dict[str, Any]:
    """N launches, then N more from a fresh process cache: calls per phase."""
    endpoint.reset()
    phases = []
    declared = specs(definitions)
    for _ in range(2):
        resource = code_resource(endpoint.endpoint_url)
        resource.task_definition_registry().cache.clear()  # a new process: nothing cached
        before = endpoint.stats()["calls"]
        started = time.monotonic()
        for i in range(launches):
            resource.run_task(
                task_definition_spec=declared[i % definitions],
                environment={"BENCH_DURATION": "0.1"},
            )
        wall = time.monotonic() - started
        after = endpoint.stats()["calls"]
        phases.append({op: after.get(op, 0) - before.get(op, 0) for op in after} | {"wall": wall})
    return {"first": phases[0], "second": phases[1]}


def their_config(spec: TaskDefinitionSpec) -> DagsterEcsTaskDefinitionConfig:
    return DagsterEcsTaskDefinitionConfig(
        family=str(spec.family),
        image=str(spec.image),
        container_name="main",
        command=spec.command,
        log_configuration={
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/bench", "awslogs-region": "us-east-1"},
        },
        secrets=[],
        environment=[],
        execution_role_arn=EXECUTION_ROLE,
        task_role_arn=None,
        sidecars=[],
        requires_compatibilities=["FARGATE"],
        cpu=str(spec.cpu),
        memory=str(spec.memory),
    )


def launch_theirs(endpoint: ScriptedEcsProcess, launches: int, definitions: int) -> dict[str, Any]:
    """EcsRunLauncher's reuse-or-register before each RunTask (its ``_run_task_kwargs``), in
    two processes one after the other, like ours."""
    endpoint.reset()
    configs = [their_config(spec) for spec in specs(definitions)]
    phases = []
    for _ in range(2):
        ecs = default_ecs_client(endpoint.endpoint_url)
        before = endpoint.stats()["calls"]
        started = time.monotonic()
        for i in range(launches):
            config = configs[i % definitions]
            try:
                existing = ecs.describe_task_definition(taskDefinition=config.family)
                reuse = task_definitions_match(
                    config, existing["taskDefinition"], container_name="main"
                )
            except ClientError:
                reuse = False
            if not reuse:
                ecs.register_task_definition(**config.task_definition_dict())
            ecs.run_task(
                cluster=CLUSTER,
                taskDefinition=config.family,
                launchType="FARGATE",
                overrides={"containerOverrides": [{"name": "main", "environment": BENCH_ENV}]},
            )
        wall = time.monotonic() - started
        after = endpoint.stats()["calls"]
        phases.append({op: after.get(op, 0) - before.get(op, 0) for op in after} | {"wall": wall})
    return {"first": phases[0], "second": phases[1]}


def task_definition_rows(
    endpoint: ScriptedEcsProcess, launches: int = 1000, definitions: int = 10
) -> list[Row]:
    ours = launch_ours(endpoint, launches, definitions)
    theirs = launch_theirs(endpoint, launches, definitions)
    name = f"5. {launches} launches over {definitions} code-defined task definitions"
    label = "dagster-aws EcsRunLauncher's reuse check (describe before every launch)"

    def registers(phase: dict[str, Any]) -> int:
        return int(phase.get("RegisterTaskDefinition", 0))

    def lookups(phase: dict[str, Any]) -> int:
        return int(sum(phase.get(op, 0) for op in LOOKUPS))

    first, second = ours["first"], ours["second"]
    their_first, their_second = theirs["first"], theirs["second"]
    return [
        Row(
            name,
            "RegisterTaskDefinition calls",
            registers(first),
            registers(their_first),
            target=f"<= {definitions}",
            met=registers(first) <= definitions,
            theirs_label=label,
        ),
        Row(
            name,
            "task-definition lookups (Describe + List)",
            lookups(first),
            lookups(their_first),
            target=f"<= {definitions}",
            met=lookups(first) <= definitions,
            theirs_label=label,
        ),
        Row(
            name,
            "RunTask calls",
            first.get("RunTask", 0),
            their_first.get("RunTask", 0),
            theirs_label=label,
        ),
        Row(
            name,
            "a second process, same content: task-definition calls",
            registers(second) + lookups(second),
            registers(their_second) + lookups(their_second),
            note=f"ours: {registers(second)} registrations, {lookups(second)} lookups",
            theirs_label=label,
        ),
        Row(
            name,
            "wall time of the first process's launches",
            first["wall"],
            their_first["wall"],
            unit="s",
            note="loopback; RunTask dominates both",
            theirs_label=label,
        ),
    ]
