"""ECS Exec on the embedded ECS: ExecuteCommand, managedAgents and the session stream URL."""

from __future__ import annotations

import json
import shlex
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local.contract import EXEC_NOT_ENABLED
from ecs_pipelines_tests.local.local_ecs_tools import (
    process_gone,
    run_task,
    wait_for_log,
    wait_for_status,
)
from ecs_pipelines_tests.support.polling import wait_until

SLEEPER = ["python", "-c", "import os, time; print('cwd', os.getcwd(), flush=True); time.sleep(60)"]


def _agent_running(ecs_client: Any, task_arn: str) -> dict[str, Any] | None:
    task = ecs_client.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task_arn])["tasks"][0]
    agents = task["containers"][0].get("managedAgents", [])
    running = [a for a in agents if a["name"] == "ExecuteCommandAgent"]
    return task if running and running[0]["lastStatus"] == "RUNNING" else None


def _read_session(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_execute_command_runs_in_the_task_environment(ecs_client: Any, logs_client: Any) -> None:
    """ExecuteCommand runs with the container's environment and directory; streamUrl returns
    its output and exit code."""
    task = run_task(
        ecs_client, command=SLEEPER, environment={"SECRET_WORD": "42"}, enableExecuteCommand=True
    )
    arn = task["taskArn"]
    assert task["enableExecuteCommand"] is True
    running = wait_until(lambda: _agent_running(ecs_client, arn), what="the exec agent")
    assert running["lastStatus"] == "RUNNING"
    [cwd_line] = [m for m in wait_for_log(logs_client, arn, "cwd ") if m.startswith("cwd ")]

    command = (
        "python -c \"import os, sys; print(os.environ['SECRET_WORD'], os.getcwd()); sys.exit(4)\""
    )
    response = ecs_client.execute_command(
        cluster=DEMO_CLUSTER, task=arn, container="main", command=command, interactive=True
    )
    assert response["taskArn"] == arn
    assert response["containerName"] == "main"
    assert response["interactive"] is True
    session = response["session"]
    assert session["streamUrl"].endswith(f"/_local/exec/{session['sessionId']}")
    assert session["tokenValue"]

    result = _read_session(session["streamUrl"])
    assert result["sessionId"] == session["sessionId"]
    assert result["exitCode"] == 4
    assert result["output"].strip() == f"42 {cwd_line.split(' ', 1)[1]}"

    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=arn)
    stopped = wait_for_status(ecs_client, arn, "STOPPED")
    assert stopped["containers"][0]["managedAgents"][0]["lastStatus"] == "STOPPED"


def test_execute_command_refused_when_exec_was_not_enabled(ecs_client: Any) -> None:
    """A task started without enableExecuteCommand refuses ExecuteCommand with ECS's message."""
    task = run_task(ecs_client, command=SLEEPER)
    wait_for_status(ecs_client, task["taskArn"], "RUNNING")
    assert "managedAgents" not in task["containers"][0]
    with pytest.raises(ClientError) as raised:
        ecs_client.execute_command(
            cluster=DEMO_CLUSTER, task=task["taskArn"], command="ls", interactive=True
        )
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == EXEC_NOT_ENABLED
    assert error["Message"].startswith("The execute command failed because execute command")
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])


def test_execute_command_refused_without_task_role(ecs_client: Any) -> None:
    """With exec enabled but no task role (ecs-pipelines-no-role) the agent never runs."""
    task = run_task(
        ecs_client, family="ecs-pipelines-no-role", command=SLEEPER, enableExecuteCommand=True
    )
    running = wait_for_status(ecs_client, task["taskArn"], "RUNNING")
    assert running["containers"][0]["managedAgents"][0]["lastStatus"] == "STOPPED"
    with pytest.raises(ClientError) as raised:
        ecs_client.execute_command(
            cluster=DEMO_CLUSTER, task=task["taskArn"], command="ls", interactive=True
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])


def test_execute_command_refused_once_stopped(ecs_client: Any) -> None:
    """ExecuteCommand on a STOPPED task is refused like ECS does."""
    task = run_task(ecs_client, command=["python", "-c", "pass"], enableExecuteCommand=True)
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    with pytest.raises(ClientError) as raised:
        ecs_client.execute_command(
            cluster=DEMO_CLUSTER, task=task["taskArn"], command="ls", interactive=True
        )
    assert raised.value.response["Error"]["Message"] == EXEC_NOT_ENABLED


def test_execute_command_with_missing_executable_reports_127(ecs_client: Any) -> None:
    """A command that does not exist in the container ends with exit code 127."""
    task = run_task(ecs_client, command=SLEEPER, enableExecuteCommand=True)
    wait_until(lambda: _agent_running(ecs_client, task["taskArn"]), what="the exec agent")
    response = ecs_client.execute_command(
        cluster=DEMO_CLUSTER, task=task["taskArn"], command="no-such-tool-xyz", interactive=True
    )
    result = _read_session(response["session"]["streamUrl"])
    assert result["exitCode"] == 127
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])


def test_exec_command_daemon_dies_with_the_task(ecs_client: Any, logs_client: Any) -> None:
    """A process an ExecuteCommand session daemonises (setsid) outlives the command, as in a
    container, and ends when the task stops."""
    task = run_task(ecs_client, command=SLEEPER, enableExecuteCommand=True)
    arn = task["taskArn"]
    wait_until(lambda: _agent_running(ecs_client, arn), what="the exec agent")
    daemon = (
        "import os, subprocess, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    print(os.getpid(), flush=True)\n"
        "    os.close(1)\n"
        "    os.close(2)\n"
        "    time.sleep(600)\n"
        "    os._exit(0)\n"
    )
    response = ecs_client.execute_command(
        cluster=DEMO_CLUSTER,
        task=arn,
        container="main",
        command=shlex.join(["python", "-c", daemon]),
        interactive=True,
    )
    result = _read_session(response["session"]["streamUrl"])
    assert result["exitCode"] == 0
    daemon_pid = int(result["output"].split()[0])
    # It outlives the command, as in a container, until the task stops.
    assert not process_gone(daemon_pid)
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=arn)
    wait_for_status(ecs_client, arn, "STOPPED")
    wait_until(lambda: process_gone(daemon_pid), what="the exec session's daemon to be gone")
