"""``ecs-pipelines local serve``, ``local status``, ``local stop``, ``local env`` and
``local reset``."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from click.testing import CliRunner

from ecs_pipelines.cli.main import main
from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving.instance import STATE_DIR_ENV
from ecs_pipelines_tests.local.local_ecs_tools import (
    daemonizing_command,
    pids_from_log,
    process_gone,
    run_task,
    wait_for_log,
    wait_for_status,
)
from ecs_pipelines_tests.support.json_http import JsonHandler
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.ports import free_port

SLEEPER = ["python", "-c", "import os, time; print('pid', os.getpid(), flush=True); time.sleep(60)"]


def _lines(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def recorded_keys(state_dir: Path, endpoint: str) -> KeyPair:
    """The keys a server serving ``endpoint`` recorded in ``state_dir`` (its 0600 record)."""
    for path in state_dir.glob("*.json"):
        record = json.loads(path.read_text())
        keys = KeyPair.from_record(record.get("credentials"))
        if record.get("endpoint_url") == endpoint and keys is not None:
            return keys
    raise AssertionError(f"no record of {endpoint} in {state_dir}")


class Served:
    """`ecs-pipelines local serve` in a subprocess, its output lines and boto3 clients."""

    def __init__(self, port: int, state_dir: Path, *options: str) -> None:
        command = [sys.executable, "-m", "ecs_pipelines.cli.main", "local", "serve"]
        self.process = subprocess.Popen(
            [*command, "--port", str(port), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, STATE_DIR_ENV: str(state_dir)},
        )
        assert self.process.stdout is not None
        self.output = _lines(self.process.stdout)
        self.before_banner: list[str] = []
        self.banner = self.output.get(timeout=60)
        while not self.banner.startswith("Embedded ECS serving") and self.process.poll() is None:
            self.before_banner.append(self.banner)
            self.banner = self.output.get(timeout=60)
        self.endpoint = self.banner.split()[4] if self.banner.startswith("Embedded") else ""
        self.keys = recorded_keys(state_dir, self.endpoint)
        kwargs: dict[str, Any] = {"endpoint_url": self.endpoint, "region_name": "us-east-1"}
        self.ecs = boto3.client("ecs", **kwargs, **self.keys.boto3_kwargs())
        self.logs = boto3.client("logs", **kwargs, **self.keys.boto3_kwargs())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(free_port(), tmp_path / "state")
    try:
        yield server
    finally:
        server.close()


def test_serve_answers_boto3_and_stops_cleanly_on_sigterm(served: Served) -> None:
    """`local serve --port` in a subprocess serves ECS to boto3; SIGTERM stops its tasks, exit 0."""
    assert served.banner == f"Embedded ECS serving on {served.endpoint} (cluster {DEMO_CLUSTER})"
    task = run_task(served.ecs, command=SLEEPER)
    [pid_line] = wait_for_log(served.logs, task["taskArn"], "pid ")
    task_pid = int(pid_line.split()[1])

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=20) == 0
    assert process_gone(task_pid)
    assert served.output.get(timeout=5).startswith("Embedded ECS stopped")


def test_serve_stops_however_often_it_is_signalled(served: Served) -> None:
    """A stream of SIGTERM and SIGINT, during serving and during shutdown, never wedges the
    server: it exits 0 and its task processes are gone."""
    task = run_task(served.ecs, command=SLEEPER)
    [pid_line] = wait_for_log(served.logs, task["taskArn"], "pid ")
    task_pid = int(pid_line.split()[1])
    deadline = time.monotonic() + 30
    sent = 0
    while served.process.poll() is None and time.monotonic() < deadline:
        served.process.send_signal(signal.SIGTERM if sent % 2 else signal.SIGINT)
        sent += 1
    assert served.process.poll() is not None, f"still running after {sent} signals in 30 s"
    assert served.process.wait() == 0
    assert process_gone(task_pid)


def test_killed_server_takes_its_task_processes_with_it(served: Served) -> None:
    """SIGKILL of the server ends its tasks' processes soon after, even a daemon that called
    setsid: nothing is left behind on the host."""
    task = run_task(served.ecs, command=daemonizing_command(exit_main=False))
    pids = pids_from_log(served.logs, task["taskArn"], "main", "daemon")
    served.process.kill()
    served.process.wait()
    wait_until(
        lambda: all(process_gone(p) for p in pids.values()),
        timeout=10,
        what=f"{pids} to be gone after the server was killed",
    )


@pytest.mark.parametrize("port", ["-1", "65536", "99999"])
def test_serve_refuses_a_port_out_of_range(port: str) -> None:
    """`--port` outside 0..65535 is a usage error (exit 2), not a traceback or another port."""
    result = CliRunner().invoke(main, ["local", "serve", "--port", port])
    assert result.exit_code == 2, result.output
    assert "--port" in result.output


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (
            ["--log-stream-mib", "0"],
            "Invalid value for '--log-stream-mib': 0 is not in the range x>=1",
        ),
        (
            ["--log-total-mib", "0"],
            "Invalid value for '--log-total-mib': 0 is not in the range x>=1",
        ),
        (
            ["--log-stream-mib", "8", "--log-total-mib", "4"],
            "Invalid value for --log-total-mib: must be at least --log-stream-mib (8), got 4",
        ),
    ],
)
def test_serve_refuses_log_bounds_too_small(options: list[str], error: str) -> None:
    """A bound on held task output under 1 MiB, or a total under the bound per stream, is a
    usage error naming the option and the limit, before any server starts."""
    result = CliRunner().invoke(main, ["local", "serve", "--port", "0", *options])
    assert result.exit_code == 2, result.output
    assert error in result.output


def test_serve_holds_task_output_within_the_bound_given(tmp_path: Path) -> None:
    """`local serve --log-stream-mib 1` holds at most 1 MiB of a task's output: the oldest lines
    are dropped, the newest kept in order, and the server says so in its output."""
    served = Served(0, tmp_path / "state", "--log-stream-mib", "1")
    try:
        source = "for n in range(6000): print('line', n)"
        arn = run_task(served.ecs, command=["python", "-c", source])["taskArn"]
        wait_for_status(served.ecs, arn, "STOPPED", timeout=30)
        events = served.logs.get_log_events(
            logGroupName="/ecs/ecs-pipelines",
            logStreamName=f"ecs/main/{arn.rsplit('/', 1)[1]}",
            startFromHead=True,
        )["events"]
        held = [int(event["message"].split()[1]) for event in events]
        assert held[0] > 0 and held == list(range(held[0], 6000))
        wait_until(lambda: "dropping its oldest events" in served.output.get(timeout=10))
    finally:
        served.close()


def test_serve_refuses_unknown_keys_unless_told_loudly(tmp_path: Path) -> None:
    """By default a request signed by keys the server did not make is refused;
    `--insecure-no-auth` serves it, and says on every start, before the banner, that anyone who
    finds the port runs commands as the user."""
    anyone = {"aws_access_key_id": "anything", "aws_secret_access_key": "anything"}
    once = Config(retries={"total_max_attempts": 1})
    guarded = Served(0, tmp_path / "guarded")
    try:
        client = boto3.client(
            "ecs", endpoint_url=guarded.endpoint, region_name="us-east-1", config=once, **anyone
        )
        with pytest.raises(ClientError) as refused:
            client.list_clusters()
        assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert not any("WARNING" in line for line in guarded.before_banner)
    finally:
        guarded.close()
    sandbox = Served(0, tmp_path / "sandbox", "--insecure-no-auth")
    try:
        [warning] = sandbox.before_banner
        assert warning.startswith("WARNING: authentication is OFF")
        assert sandbox.endpoint in warning
        client = boto3.client(
            "ecs", endpoint_url=sandbox.endpoint, region_name="us-east-1", config=once, **anyone
        )
        assert client.list_clusters()["clusterArns"]
    finally:
        sandbox.close()


def test_serve_on_port_0_names_the_port_it_picked(tmp_path: Path) -> None:
    """`--port 0` picks a free port and the banner names it, not 0."""
    served = Served(0, tmp_path / "state")
    try:
        port = int(served.endpoint.rsplit(":", 1)[1])
        assert port != 0
        assert served.ecs.list_clusters()["clusterArns"]
    finally:
        served.close()


def test_stop_stops_the_server_this_user_started(served: Served, tmp_path: Path) -> None:
    """`local stop` stops a server that `local serve` started on this host (exit 0)."""
    result = CliRunner().invoke(
        main,
        ["local", "stop", "--endpoint-url", served.endpoint],
        env={STATE_DIR_ENV: str(tmp_path / "state")},
    )
    assert result.exit_code == 0, result.output
    assert served.process.wait(timeout=30) == 0


class _ImpostorHealth(JsonHandler):
    """A health answer naming a pid that is no embedded ECS (another host, a hostile one)."""

    pid = 0

    def do_GET(self) -> None:
        self.reply_json({"status": "ok", "pid": self.pid, "instance": "0" * 32})


def test_stop_refuses_a_server_it_cannot_prove_is_its_own(tmp_path: Path) -> None:
    """`local stop` against an endpoint whose health answer names some pid, without this
    host's proof that it is a server this user started, signals nothing and exits 1."""
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    _ImpostorHealth.pid = victim.pid
    impostor = ThreadingHTTPServer(("127.0.0.1", 0), _ImpostorHealth)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{impostor.server_port}"
        result = CliRunner().invoke(
            main,
            ["local", "stop", "--endpoint-url", endpoint],
            env={STATE_DIR_ENV: str(tmp_path / "state")},
        )
        assert result.exit_code == 1, result.output
        assert "Refusing to stop" in result.output
        assert victim.poll() is None
    finally:
        impostor.shutdown()
        victim.kill()
        victim.wait()


def test_stop_refuses_the_in_process_server(local_ecs: LocalEcs) -> None:
    """An embedded ECS that no `local serve` started (here: the test session's own) is not
    `local stop`'s to stop: the pid it reports is this test process."""
    result = CliRunner().invoke(main, ["local", "stop", "--endpoint-url", local_ecs.endpoint_url])
    assert result.exit_code == 1, result.output
    assert "Refusing to stop" in result.output


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
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["local", "status", "--endpoint-url", url])
    assert result.exit_code == 1
    assert "unreachable" in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["local"],
        ["local", "serve"],
        ["local", "status"],
        ["local", "stop"],
        ["local", "env"],
        ["local", "reset"],
    ],
)
def test_every_command_has_help_with_an_example(args: list[str]) -> None:
    """Each command's --help explains it and shows an example."""
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_serve_without_the_local_extra_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a library install (no moto or werkzeug), `local serve` names the `local` extra
    instead of a traceback, and exits 1."""
    import builtins

    real_import = builtins.__import__

    def without_werkzeug(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith(("werkzeug", "moto")):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name.split(".")[0])
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_werkzeug)
    # As on a library install, the server module has never been imported (this process may
    # run another embedded ECS, whose module is cached).
    for name in [m for m in sys.modules if m.startswith("ecs_pipelines.local.serving.server")]:
        monkeypatch.delitem(sys.modules, name)
    result = CliRunner().invoke(main, ["local", "serve", "--port", "0"])
    assert result.exit_code == 1
    assert "pip install 'ecs_pipelines[local]'" in result.output
