"""``ecs-pipelines local serve`` and ``local status``."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from typing import IO, Any

import boto3
import pytest
from click.testing import CliRunner

from ecs_pipelines.cli.main import main
from ecs_pipelines.local import DEMO_CLUSTER, LocalEcs
from ecs_pipelines.local.seed import DUMMY_CREDENTIALS
from ecs_pipelines_tests.local.local_ecs_tools import run_task, wait_for_log, wait_for_status


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lines(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_serve_answers_boto3_and_stops_cleanly_on_sigterm() -> None:
    """`local serve --port` in a subprocess serves ECS to boto3; SIGTERM stops its tasks, exit 0."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ecs_pipelines.cli.main", "local", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        output = _lines(server.stdout)
        banner = output.get(timeout=30)
        endpoint = f"http://127.0.0.1:{port}"
        assert banner == f"Embedded ECS serving on {endpoint} (cluster {DEMO_CLUSTER})"

        kwargs: dict[str, Any] = {"endpoint_url": endpoint, "region_name": "us-east-1"}
        ecs = boto3.client("ecs", **kwargs, **DUMMY_CREDENTIALS)
        logs = boto3.client("logs", **kwargs, **DUMMY_CREDENTIALS)
        sleeper = [
            "python",
            "-c",
            "import os, time; print('pid', os.getpid(), flush=True); time.sleep(60)",
        ]
        task = run_task(ecs, command=sleeper)
        [pid_line] = wait_for_log(logs, task["taskArn"], "pid ")
        task_pid = int(pid_line.split()[1])

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
        with pytest.raises(ProcessLookupError):
            os.kill(task_pid, 0)
        assert output.get(timeout=5).startswith("Embedded ECS stopped")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_status_reports_clusters_and_task_counts(local_ecs: LocalEcs, ecs_client: Any) -> None:
    """`local status` prints reachable, the demo cluster and its RUNNING/STOPPED counts."""
    task = run_task(ecs_client, command=["python", "-c", "pass"])
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    result = CliRunner().invoke(
        main, ["local", "status"], env={"ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url}
    )
    assert result.exit_code == 0, result.output
    assert "reachable" in result.output
    line = next(x for x in result.output.splitlines() if x.strip().startswith(f"{DEMO_CLUSTER}:"))
    assert "RUNNING" in line and "STOPPED" in line
    stopped = int(line.split(",")[1].split()[0])
    assert stopped >= 1


def test_status_exits_1_when_unreachable() -> None:
    """`local status` against a closed port says unreachable and exits 1."""
    url = f"http://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(main, ["local", "status", "--endpoint-url", url])
    assert result.exit_code == 1
    assert "unreachable" in result.output


@pytest.mark.parametrize("args", [[], ["local"], ["local", "serve"], ["local", "status"]])
def test_every_command_has_help_with_an_example(args: list[str]) -> None:
    """Each command's --help explains it and shows an example."""
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
