"""RunTask, DescribeTasks, log and reset shortcuts shared by the local test modules."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from ecs_pipelines.cli.local_access import post_signed
from ecs_pipelines.demo.seed import (
    DEMO_CLUSTER,
    DEMO_EXECUTION_ROLE_ARN,
    DEMO_SECURITY_GROUP,
    DEMO_SUBNET,
    DEMO_TASK_ROLE_ARN,
)
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving import ACTION, ACTION_HEADER, RESET_PATH
from ecs_pipelines_tests.support.polling import wait_until

NETWORK = {
    "awsvpcConfiguration": {"subnets": [DEMO_SUBNET], "securityGroups": [DEMO_SECURITY_GROUP]}
}


def reset_embedded_ecs(endpoint_url: str, credentials: KeyPair) -> None:
    """Reset the embedded ECS at ``endpoint_url`` (every task stopped, everything forgotten),
    as its own user: the action header, signed with its keys."""
    url = endpoint_url.rstrip("/") + RESET_PATH
    status, body = post_signed(url, credentials, headers={ACTION_HEADER: ACTION})
    if status != 200:
        raise RuntimeError(f"the embedded ECS refused the reset: {status} {body[:200]!r}")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_task(
    ecs: Any,
    *,
    family: str = "ecs-pipelines-python",
    command: list[str] | None = None,
    container: str = "main",
    environment: dict[str, str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """RunTask in the demo cluster (Fargate unless told otherwise); returns the task."""
    override: dict[str, Any] = {"name": container}
    if command is not None:
        override["command"] = command
    if environment:
        override["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
    params: dict[str, Any] = {
        "cluster": DEMO_CLUSTER,
        "taskDefinition": family,
        "networkConfiguration": NETWORK,
        "overrides": {"containerOverrides": [override]},
    }
    if "capacityProviderStrategy" not in kwargs:
        params["launchType"] = "FARGATE"
    params.update(kwargs)
    params = {k: v for k, v in params.items() if v is not None}
    response = ecs.run_task(**params)
    assert response["failures"] == [], response["failures"]
    return response["tasks"][0]  # type: ignore[no-any-return]


def describe(ecs: Any, task_arn: str) -> dict[str, Any]:
    return ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task_arn])["tasks"][0]  # type: ignore[no-any-return]


def containers_by_name(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A described task's containers, by name."""
    return {c["name"]: c for c in task["containers"]}


def wait_for_task(
    ecs: Any,
    task_arn: str,
    holds: Callable[[dict[str, Any]], bool],
    *,
    what: str,
    timeout: float = 15.0,
) -> dict[str, Any]:
    """The task as DescribeTasks shows it, once ``holds`` it; fails the test past ``timeout``."""

    def probe() -> dict[str, Any] | None:
        task = describe(ecs, task_arn)
        return task if holds(task) else None

    return wait_until(probe, timeout=timeout, what=what)


def wait_for_status(ecs: Any, task_arn: str, status: str, timeout: float = 15.0) -> dict[str, Any]:
    return wait_for_task(
        ecs,
        task_arn,
        lambda task: task["lastStatus"] == status,
        what=f"{task_arn} to be {status}",
        timeout=timeout,
    )


def wait_for_container_status(
    ecs: Any, task_arn: str, container: str, status: str
) -> dict[str, Any]:
    """The task once its container ``container`` shows lastStatus ``status``."""
    return wait_for_task(
        ecs,
        task_arn,
        lambda task: containers_by_name(task)[container]["lastStatus"] == status,
        what=f"{container} of {task_arn} to be {status}",
    )


def log_messages(logs: Any, task_arn: str, container: str = "main") -> list[str]:
    stream = f"ecs/{container}/{task_arn.rsplit('/', 1)[-1]}"
    try:
        events = logs.get_log_events(
            logGroupName="/ecs/ecs-pipelines", logStreamName=stream, startFromHead=True
        )["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


def wait_for_log(logs: Any, task_arn: str, text: str, container: str = "main") -> list[str]:
    return wait_until(
        lambda: (m := log_messages(logs, task_arn, container)) and any(text in x for x in m) and m,
        what=f"{text!r} in the log of {task_arn}",
    )


def process_gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for its parent counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def pids_from_log(logs: Any, task_arn: str, *names: str) -> dict[str, int]:
    """``{name: pid}`` from lines "<name> <pid>" a task printed, once all of them are there."""

    def probe() -> dict[str, int] | None:
        found = {}
        for message in log_messages(logs, task_arn):
            parts = message.split()
            if len(parts) == 2 and parts[0] in names and parts[1].isdigit():
                found[parts[0]] = int(parts[1])
        return found if set(found) == set(names) else None

    return wait_until(probe, what=f"{names} pids in the log of {task_arn}")


# A container whose main process starts a daemon that leaves its session (double fork and
# setsid, as a daemonising service does), prints "daemon <pid>" and "main <pid>", then runs
# for a minute (``exit_main=False``) or exits 0 at once.
def daemonizing_command(*, exit_main: bool) -> list[str]:
    script = (
        "import os, sys, time\n"
        "ready_r, ready_w = os.pipe()\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        print('daemon', os.getpid(), flush=True)\n"
        "        os.write(ready_w, b'x')\n"
        "        time.sleep(600)\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "os.read(ready_r, 1)\n"
        "print('main', os.getpid(), flush=True)\n"
        f"{'sys.exit(0)' if exit_main else 'time.sleep(60)'}\n"
    )
    return ["python", "-c", script]


def register(
    ecs: Any, containers: list[dict[str, Any]], *, network_mode: str = "awsvpc", **extra: Any
) -> str:
    """Register a task definition of a new family (the demo's image, logs and roles filled in
    for each container that leaves them out); returns the family."""
    family = unique("test")
    filled = []
    for container in containers:
        filled.append(
            {
                "image": "python:3.12-slim",
                "stopTimeout": 2,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/ecs-pipelines",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "ecs",
                    },
                },
                **container,
            }
        )
    params: dict[str, Any] = {
        "family": family,
        "networkMode": network_mode,
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": filled,
        "executionRoleArn": DEMO_EXECUTION_ROLE_ARN,
        "taskRoleArn": DEMO_TASK_ROLE_ARN,
    }
    if network_mode == "awsvpc":
        params["requiresCompatibilities"] = ["FARGATE"]
    params.update(extra)
    ecs.register_task_definition(**{k: v for k, v in params.items() if v is not None})
    return family
