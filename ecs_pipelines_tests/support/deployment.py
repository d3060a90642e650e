"""docs/deploy.md on the embedded ECS: the code location, the daemon and the run workers as
ECS tasks.

The code location task serves the code over gRPC (`dagster code-server start`); the daemon
task runs `dagster-daemon run` against it (deploy-workspace.yaml) with the shipped instance
file, so EcsRunLauncher's ``use_current_ecs_task_config: true`` reads the daemon's own task
from its task metadata endpoint and launches run workers in its cluster and network. The task
definitions are registered as docs/deploy.md spells them: everything in their environment, the
PostgreSQL password as a task-definition secret from Secrets Manager.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecs_pipelines.demo.run_workers import awslogs, run_worker_spec
from ecs_pipelines.demo.seed import DEMO_SECURITY_GROUP, DEMO_SUBNET
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.support.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
PASSWORD_VARIABLE = "DAGSTER_PG_PASSWORD"
CODE_MODULE = "ecs_pipelines.demo.definitions"
LOCATION = "ecs_pipelines"


@dataclasses.dataclass(frozen=True)
class TaskDefinitions:
    run_worker: str
    daemon: str
    code: str


def write_workspace(path: Path, code_port: int) -> Path:
    """deploy-workspace.yaml of docs/deploy.md: the code location service over gRPC."""
    path.write_text(
        "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
        f"      port: {code_port}\n      location_name: {LOCATION}\n"
    )
    return path


def register_deployment(
    ecs: EcsResource,
    dagster_home: Path,
    environment: Mapping[str, str],
    password_arn: str,
    *,
    workspace: Path,
    code_port: int,
) -> TaskDefinitions:
    """Registers the run-worker, daemon and code location task definitions of docs/deploy.md,
    section 2: one environment and one secret for all of them."""
    assert ecs.endpoint_url is not None
    secrets = {PASSWORD_VARIABLE: password_arn}
    worker = run_worker_spec(
        ecs.endpoint_url, dagster_home, environment=environment, secrets=secrets
    )
    daemon = dataclasses.replace(
        worker,
        family="ecs-pipelines-daemon",
        log_configuration=awslogs("ecs-pipelines-daemon"),
        container_name="daemon",
        command=["dagster-daemon", "run", "-w", str(workspace)],
        cpu=1024,
        memory=2048,
    )
    serve = ["dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port)]
    code = dataclasses.replace(
        worker,
        family="ecs-pipelines-code",
        log_configuration=awslogs("ecs-pipelines-code"),
        container_name="code",
        command=[*serve, "-m", CODE_MODULE],
    )
    return TaskDefinitions(
        run_worker=ecs.resolve_task_definition(worker).arn,
        daemon=ecs.resolve_task_definition(daemon).arn,
        code=ecs.resolve_task_definition(code).arn,
    )


def serving(port: int) -> bool:
    """True once something accepts connections on the loopback ``port``."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_service(ecs_client: Any, cluster: str, task_definition: str) -> dict[str, Any]:
    """Starts one task of a service's task definition (as its ECS service would) in the demo
    subnet and security group; returns it once RUNNING."""
    started = ecs_client.run_task(
        cluster=cluster,
        taskDefinition=task_definition,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [DEMO_SUBNET],
                "securityGroups": [DEMO_SECURITY_GROUP],
            }
        },
    )
    arn = started["tasks"][0]["taskArn"]

    def running() -> dict[str, Any] | None:
        [task] = ecs_client.describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
        assert task["lastStatus"] != "STOPPED", task
        return task if task["lastStatus"] == "RUNNING" else None

    return wait_until(running, timeout=60, interval=0.2, what=f"{task_definition} to run")


def logged_messages(logs_client: Any, group: str) -> list[str]:
    """Every message of a log group (every task's every container)."""
    messages = []
    for page in logs_client.get_paginator("filter_log_events").paginate(logGroupName=group):
        messages += [event["message"] for event in page["events"]]
    return messages


def run_worker_pids(run_id: str) -> list[int]:
    """The main processes of the run's run-worker containers (`dagster api execute_run` or
    `resume_run`), found on this host: the embedded ECS runs containers as host processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if _is_run_worker(argv) and any(run_id in arg for arg in argv):
            found.append(int(entry.name))
    return found


def _is_run_worker(argv: list[str]) -> bool:
    """`... dagster api execute_run ARGS` or `resume_run` (the launcher's command, whichever
    way the entry point spells dagster), not the container's init process around it."""
    if any(arg.endswith("container_init.py") for arg in argv):
        return False
    return any(
        argv[i : i + 2] in (["api", "execute_run"], ["api", "resume_run"])
        for i in range(len(argv) - 1)
    )


def kill_run_worker(run_id: str) -> int:
    """SIGKILLs the run's live run worker, as a lost host or the OOM killer would."""
    pid = wait_until(
        lambda: (pids := run_worker_pids(run_id)) and pids[0],
        timeout=120,
        interval=0.2,
        what=f"a run worker of run {run_id}",
    )
    os.kill(pid, signal.SIGKILL)
    return pid


def network_of(task: Mapping[str, Any]) -> dict[str, str]:
    """The subnet of a task's ENI, as DescribeTasks reports it."""
    details = [
        detail
        for attachment in task.get("attachments", [])
        if attachment.get("type") == "ElasticNetworkInterface"
        for detail in attachment.get("details", [])
    ]
    return {detail["name"]: detail["value"] for detail in details if detail["name"] == "subnetId"}
