"""`ecs-pipelines run` and the embedded ECS left running by `make run` (`local stop`)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import boto3
import click
import pytest
from click.testing import CliRunner

from ecs_pipelines.cli.local_credentials import require_credentials_of
from ecs_pipelines.cli.main import main as cli
from ecs_pipelines.cli.target import local_ecs_reachable, start_local_ecs
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.polling import wait_until


def invoke(local_ecs: LocalEcs, *args: str) -> tuple[int, str]:
    command, *rest = args
    result = CliRunner().invoke(cli, [command, "--endpoint-url", local_ecs.endpoint_url, *rest])
    return result.exit_code, result.output


def test_run_launches_a_task_and_prints_its_id(local_ecs: LocalEcs, ecs: EcsResource) -> None:
    """`run --exec -- CMD` launches one task with ECS Exec enabled and prints its id."""
    code, output = invoke(local_ecs, "run", "--exec", "--", "python", "-c", "print(1)")
    assert code == 0, output
    task_id = output.strip()
    [task] = ecs.describe_tasks(
        [f"arn:aws:ecs:us-east-1:123456789012:task/{ecs.cluster}/{task_id}"]
    )
    assert task["enableExecuteCommand"] is True


def test_run_wait_exits_1_when_the_task_fails(local_ecs: LocalEcs) -> None:
    """`run --wait` waits for the task and exits 1 with its reason when it fails."""
    code, output = invoke(
        local_ecs, "run", "--wait", "--env", "X=1", "--", "python", "-c", "import sys; sys.exit(6)"
    )
    assert code == 1
    assert "main=6" in output


def test_run_wait_prints_a_successful_tasks_last_lines_saying_when_cut(
    local_ecs: LocalEcs,
) -> None:
    """`run --wait` prints a successful task's last 20 log lines, and says that earlier ones
    were left out and how to see them all."""
    program = "for i in range(30): print(f'line {i}')"
    code, output = invoke(local_ecs, "run", "--wait", "--", "python", "-c", program)
    assert code == 0, output
    lines = output.splitlines()
    assert [f"line {i}" for i in range(10, 30)] == [ln for ln in lines if ln.startswith("line")]
    assert "only the last 20 lines" in output and "ecs-pipelines logs" in output


def test_run_refuses_a_malformed_env_option(local_ecs: LocalEcs) -> None:
    """`--env` without NAME=VALUE is a usage error naming the option."""
    code, output = invoke(local_ecs, "run", "--env", "NOVALUE", "--", "true")
    assert code == 2
    assert "--env" in output


def test_background_server_is_ready_when_healthy_and_stops_with_local_stop() -> None:
    """A background server (as `make run` starts it) has its demo task definitions by the
    time its health route answers, and stops with `local stop`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    process = start_local_ecs(endpoint)
    try:
        ecs = boto3.client(
            "ecs",
            endpoint_url=endpoint,
            region_name="us-east-1",
            **require_credentials_of(endpoint).boto3_kwargs(),
        )
        definition = ecs.describe_task_definition(taskDefinition="ecs-pipelines-python")
        assert definition["taskDefinition"]["family"] == "ecs-pipelines-python"
        result = CliRunner().invoke(cli, ["local", "stop", "--endpoint-url", endpoint])
        assert result.exit_code == 0, result.output
        assert process.wait(timeout=30) == 0
        assert not local_ecs_reachable(endpoint)
    finally:
        if process.poll() is None:
            process.kill()


def test_local_stop_exits_1_when_nothing_serves() -> None:
    """`local stop` against an endpoint where nothing answers exits 1 and says so."""
    result = CliRunner().invoke(cli, ["local", "stop", "--endpoint-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "No embedded ECS answers" in result.output


def every_command_path(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += every_command_path(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


@pytest.mark.parametrize("path", every_command_path(cli), ids=lambda p: " ".join(p) or "main")
def test_every_command_help_has_an_example(path: tuple[str, ...]) -> None:
    """--help of every command and group, present and future, shows an example."""
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output


def test_ctrl_c_while_waiting_stops_the_task_and_exits_130(
    local_ecs: LocalEcs, ecs: EcsResource
) -> None:
    """`run --wait` interrupted with Ctrl-C stops its task and exits 130, not 1."""
    command = [sys.executable, "-m", "ecs_pipelines.cli", "run", "--wait"]
    command += ["--endpoint-url", local_ecs.endpoint_url, "--", "python", "-c"]
    command += ["import time; time.sleep(120)"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ident = process.stdout.readline().strip()
        wait_until(lambda: ecs.describe_tasks([ident])[0]["lastStatus"] == "RUNNING")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
        assert "Interrupted: stopped 1 task(s)" in (process.stderr.read() if process.stderr else "")
    finally:
        process.kill()
    assert ecs.describe_tasks([ident])[0]["desiredStatus"] == "STOPPED"
