"""Tasks run as host processes: lifecycle, exit codes, logs, StopTask, start failures."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ecs_pipelines.local import DEMO_CLUSTER
from ecs_pipelines_tests.local.local_ecs_tools import (
    describe,
    log_messages,
    run_task,
    unique,
    wait_for_log,
    wait_for_status,
    wait_until,
)

SLEEPER = [
    "python",
    "-c",
    "import os, time; print('pid', os.getpid(), flush=True); time.sleep(60)",
]


def _pid_from_log(logs_client: Any, task_arn: str) -> int:
    line = next(m for m in wait_for_log(logs_client, task_arn, "pid ") if m.startswith("pid "))
    return int(line.split()[1])


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_exit_code_and_logs_reach_describe_and_cloudwatch(
    ecs_client: Any, logs_client: Any
) -> None:
    """A task that prints and exits 3 ends STOPPED, exitCode 3, and its lines are in its stream."""
    script = "import sys; print('line one'); print('line two', file=sys.stderr); sys.exit(3)"
    task = run_task(ecs_client, command=["python", "-c", script])
    assert task["lastStatus"] == "PROVISIONING"
    assert task["desiredStatus"] == "RUNNING"

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")

    container = stopped["containers"][0]
    assert container["exitCode"] == 3
    assert container["lastStatus"] == "STOPPED"
    assert container["name"] == "main"
    assert len(container["runtimeId"]) == 64
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert stopped["desiredStatus"] == "STOPPED"
    for field in ("createdAt", "startedAt", "stoppingAt", "stoppedAt"):
        assert field in stopped, field
    assert stopped["createdAt"] <= stopped["startedAt"] <= stopped["stoppedAt"]
    # Read right after STOPPED: every line must already be there.
    assert sorted(log_messages(logs_client, task["taskArn"])) == ["line one", "line two"]


def test_running_task_shows_running_and_logs_as_they_appear(
    ecs_client: Any, logs_client: Any
) -> None:
    """While the process runs the task is RUNNING and already-printed lines are readable."""
    task = run_task(ecs_client, command=SLEEPER)
    _pid_from_log(logs_client, task["taskArn"])
    running = describe(ecs_client, task["taskArn"])
    assert running["lastStatus"] == "RUNNING"
    assert running["containers"][0]["lastStatus"] == "RUNNING"
    assert "exitCode" not in running["containers"][0]
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")


def test_stop_task_terminates_the_process(ecs_client: Any, logs_client: Any) -> None:
    """StopTask: desiredStatus STOPPED at once, the process ends, UserInitiated with the reason."""
    task = run_task(ecs_client, command=SLEEPER)
    pid = _pid_from_log(logs_client, task["taskArn"])

    response = ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"], reason="enough")
    assert response["task"]["desiredStatus"] == "STOPPED"

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "enough"
    assert stopped["containers"][0]["exitCode"] == 143
    assert _process_gone(pid)


def test_stop_task_without_reason_uses_the_ecs_default(ecs_client: Any, logs_client: Any) -> None:
    """StopTask without a reason reports ECS's default stoppedReason."""
    task = run_task(ecs_client, command=SLEEPER)
    _pid_from_log(logs_client, task["taskArn"])
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stoppedReason"] == "Task stopped by user"


def test_sigkill_after_stop_timeout(ecs_client: Any, logs_client: Any) -> None:
    """A process ignoring SIGTERM is SIGKILLed after the container's stopTimeout (exit 137)."""
    family = unique("ignores-sigterm")
    script = (
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('pid', os.getpid(), flush=True); time.sleep(60)"
    )
    ecs_client.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "main",
                "image": "python:3.12-slim",
                "command": ["python", "-c", script],
                "stopTimeout": 1,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/ecs-pipelines",
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    )
    task = run_task(ecs_client, family=family)
    pid = _pid_from_log(logs_client, task["taskArn"])
    started = time.monotonic()
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"], reason="kill it")

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED", timeout=10)
    assert time.monotonic() - started >= 0.9
    assert stopped["containers"][0]["exitCode"] == 137
    assert stopped["stopCode"] == "UserInitiated"
    assert _process_gone(pid)


def test_missing_executable_fails_to_start(ecs_client: Any) -> None:
    """A command whose executable does not exist: TaskFailedToStart, CannotStartContainerError."""
    task = run_task(ecs_client, command=["no-such-executable-xyz", "--flag"])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"].startswith("CannotStartContainerError:")
    container = stopped["containers"][0]
    assert container["reason"].startswith("CannotStartContainerError:")
    assert "no-such-executable-xyz" in container["reason"]
    assert "exitCode" not in container


def test_environment_overrides_reach_the_process(ecs_client: Any, logs_client: Any) -> None:
    """Container environment plus RunTask overrides (overrides win) reach the process; PATH
    starts with this interpreter's directory."""
    family = unique("env")
    ecs_client.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "main",
                "image": "python:3.12-slim",
                "command": [
                    "python",
                    "-c",
                    "import os; print(os.environ['A'], os.environ['B'], os.environ['PATH'])",
                ],
                "environment": [{"name": "A", "value": "a-def"}, {"name": "B", "value": "b-def"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/ecs-pipelines",
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    )
    task = run_task(ecs_client, family=family, environment={"B": "b-override"})
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0
    [line] = log_messages(logs_client, task["taskArn"])
    a, b, path = line.split(" ", 2)
    assert (a, b) == ("a-def", "b-override")
    assert path.split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_non_essential_sidecar_exit_does_not_stop_the_task(ecs_client: Any) -> None:
    """The sidecar demo: the non-essential container exits 1, the task keeps running until the
    essential one exits 0; both exit codes are reported."""
    task = run_task(ecs_client, family="ecs-pipelines-sidecar", command=None)

    def sidecar_stopped() -> dict[str, Any] | None:
        current = describe(ecs_client, task["taskArn"])
        by_name = {c["name"]: c for c in current["containers"]}
        return current if by_name["sidecar"]["lastStatus"] == "STOPPED" else None

    while_sidecar_done = wait_until(sidecar_stopped, what="sidecar to stop")
    assert while_sidecar_done["lastStatus"] == "RUNNING"

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    exit_codes = {c["name"]: c.get("exitCode") for c in stopped["containers"]}
    assert exit_codes == {"main": 0, "sidecar": 1}
    assert stopped["stopCode"] == "EssentialContainerExited"


@pytest.mark.parametrize(
    "placement",
    [
        {"launchType": "FARGATE"},
        {"launchType": None},
        {"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]},
        {"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]},
        {"launchType": "EC2"},
    ],
    ids=["fargate", "default", "fargate-spot", "fargate-provider", "ec2"],
)
def test_every_launch_type_runs_the_task(ecs_client: Any, placement: dict[str, Any]) -> None:
    """FARGATE, the cluster default, capacity providers and EC2 all run the task to exit 0."""
    task = run_task(ecs_client, **placement)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0
    expected = "EC2" if placement.get("launchType") == "EC2" else "FARGATE"
    assert stopped["launchType"] == expected


def test_fifty_concurrent_tasks(ecs_client: Any) -> None:
    """50 short tasks launched from parallel RunTask calls all reach STOPPED with exit 0."""
    started_by = unique("load")
    with ThreadPoolExecutor(max_workers=8) as pool:
        tasks = list(
            pool.map(
                lambda i: run_task(
                    ecs_client, command=["python", "-c", f"print({i})"], startedBy=started_by
                ),
                range(50),
            )
        )
    arns = [t["taskArn"] for t in tasks]
    assert len(set(arns)) == 50

    def all_stopped() -> list[dict[str, Any]] | None:
        found = ecs_client.describe_tasks(cluster=DEMO_CLUSTER, tasks=arns)["tasks"]
        return found if all(t["lastStatus"] == "STOPPED" for t in found) else None

    stopped = wait_until(all_stopped, timeout=40, interval=0.2, what="50 tasks to stop")
    assert [t["containers"][0]["exitCode"] for t in stopped] == [0] * 50
