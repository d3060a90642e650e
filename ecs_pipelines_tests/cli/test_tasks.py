"""The task commands (tasks, describe, logs, stop, exec) against a real embedded ECS over HTTP."""

from __future__ import annotations

import json
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ecs_pipelines.cli.main import TASK_COMMANDS, main
from ecs_pipelines.demo.seed import DEMO_SUBNET
from ecs_pipelines.ecs.common import EcsExecError
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.secret_shapes import SHAPED_SECRET, leaks

PY = sys.executable
CLUSTER = "ecs-pipelines-demo"
SLEEP_FOREVER = [PY, "-c", "import time\nwhile True: time.sleep(0.2)"]

cli = main


@pytest.fixture(scope="module")
def resource(local_ecs: LocalEcs) -> EcsResource:
    # local_ecs (conftest) is the one embedded ECS of the test session: moto's state is global.
    return EcsResource(
        region_name="us-east-1",
        endpoint_url=local_ecs.endpoint_url,
        **local_ecs.credentials.boto3_kwargs(),
        cluster=CLUSTER,
        task_definition="ecs-pipelines-python",
        container_name="main",
        launch_type="FARGATE",
        subnets=[DEMO_SUBNET],
        poll_interval_seconds=0.2,
    )


@pytest.fixture(autouse=True)
def _local_target(local_ecs: LocalEcs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECS_PIPELINES_TARGET", "local")
    monkeypatch.setenv("ECS_PIPELINES_ENDPOINT_URL", local_ecs.endpoint_url)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def launch(
    resource: EcsResource,
    command: Sequence[str],
    *,
    run_id: str | None = None,
    tags: dict[str, str] | None = None,
    **kwargs: Any,
) -> str:
    all_tags = {"dagster/run-id": run_id or str(uuid.uuid4()), **(tags or {})}
    return resource.run_task(command=list(command), tags=all_tags, **kwargs)[0]


def task_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def poll_task(
    resource: EcsResource, arn: str, done: Callable[[dict[str, Any]], bool], timeout: float = 20
) -> dict[str, Any]:
    """Describes the task until ``done`` holds, or fails the test at the deadline."""

    def probe() -> dict[str, Any] | None:
        task = resource.describe_tasks([arn])[0]
        return task if done(task) else None

    return wait_until(probe, timeout=timeout, interval=0.05, what=f"task {arn}")


def stopped(resource: EcsResource, arn: str) -> dict[str, Any]:
    return poll_task(resource, arn, lambda t: t["lastStatus"] == "STOPPED")


def exec_ready(resource: EcsResource, arn: str) -> dict[str, Any]:
    def ready(task: dict[str, Any]) -> bool:
        agents = task["containers"][0].get("managedAgents") or []
        return any(a.get("lastStatus") == "RUNNING" for a in agents)

    return poll_task(resource, arn, ready)


@pytest.fixture(scope="module")
def finished(resource: EcsResource) -> str:
    """A task that printed two lines, had a secret in its environment, and exited 0."""
    arn = launch(
        resource,
        [PY, "-c", "print('hello from main'); print('second line')"],
        environment={"DB_PASSWORD": "hunter2"},
    )
    stopped(resource, arn)
    return arn


@pytest.fixture(scope="module")
def sleeping(resource: EcsResource) -> Iterator[str]:
    """A task that runs until stopped, launched with ECS Exec enabled."""
    arn = launch(resource, SLEEP_FOREVER, enable_execute_command=True)
    exec_ready(resource, arn)
    yield arn
    resource.stop_task(arn)


# --- tasks ----------------------------------------------------------------------------------


def test_tasks_lists_launched_tasks_with_their_run(resource: EcsResource, finished: str) -> None:
    """`tasks` shows a launched task's id, status, family:revision and Dagster run id."""
    run_id = resource.describe_tasks([finished])[0]["tags"]
    run_tag = next(t["value"] for t in run_id if t["key"] == "dagster/run-id")
    result = run("tasks")
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.stdout.splitlines() if task_id(finished) in ln)
    assert "STOPPED" in line and "ecs-pipelines-python:" in line and run_tag in line
    assert result.stdout.startswith("TASK ID")


def test_tasks_filters_by_run_id_and_status(resource: EcsResource, sleeping: str) -> None:
    """--run-id keeps only that run's tasks; --status picks RUNNING or STOPPED ones."""
    run_id = str(uuid.uuid4())
    done = launch(resource, [PY, "-c", "pass"], run_id=run_id)
    stopped(resource, done)
    running = launch(resource, SLEEP_FOREVER, run_id=run_id)
    poll_task(resource, running, lambda t: t["lastStatus"] == "RUNNING")
    try:
        both = json.loads(run("tasks", "--run-id", run_id, "--json").stdout)
        assert {r["task_arn"] for r in both} == {done, running}
        assert all(r["dagster_run_id"] == run_id for r in both)
        only_running = json.loads(
            run("tasks", "--run-id", run_id, "--status", "RUNNING", "--json").stdout
        )
        assert [r["task_arn"] for r in only_running] == [running]
        only_stopped = json.loads(
            run("tasks", "--run-id", run_id, "--status", "stopped", "--json").stdout
        )
        assert [r["task_arn"] for r in only_stopped] == [done]
    finally:
        resource.stop_task(running)


def test_tasks_filters_by_asset_and_family(resource: EcsResource) -> None:
    """--asset matches the dagster/asset-key tag; --family limits to one task definition family."""
    asset = f"raw/events_{uuid.uuid4().hex[:8]}"
    arn = launch(resource, [PY, "-c", "pass"], tags={"dagster/asset-key": asset})
    stopped(resource, arn)
    rows = json.loads(run("tasks", "--asset", asset, "--json").stdout)
    assert [r["task_arn"] for r in rows] == [arn]
    assert rows[0]["dagster_asset_key"] == asset
    own_family = json.loads(run("tasks", "--family", "ecs-pipelines-python", "--json").stdout)
    assert arn in {r["task_arn"] for r in own_family}
    other_family = json.loads(run("tasks", "--family", "ecs-pipelines-no-role", "--json").stdout)
    assert arn not in {r["task_arn"] for r in other_family}


def test_tasks_with_no_match_says_so(resource: EcsResource) -> None:
    """A filter that matches nothing prints a note on stderr and exits 0."""
    result = run("tasks", "--run-id", str(uuid.uuid4()))
    assert result.exit_code == 0
    assert result.stdout == "" and "No tasks" in result.stderr


# --- describe -------------------------------------------------------------------------------


def test_describe_summary_masks_environment(finished: str) -> None:
    """describe prints status, stop code, container exit code, tags and the task's page (the
    embedded ECS's own here), and environment names with *** instead of their values."""
    result = run("describe", task_id(finished))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "STOPPED (desired STOPPED)" in out
    assert "EssentialContainerExited" in out
    assert "exit code:   0" in out
    assert "dagster/run-id=" in out
    assert "DB_PASSWORD=***" in out and "hunter2" not in out
    assert f"/_local/tasks/{task_id(finished)}?cluster=" in out


def test_describe_json_is_the_raw_task_with_masked_environment(finished: str) -> None:
    """describe --json (by full ARN) prints DescribeTasks' task, ISO times, masked env values."""
    result = run("describe", finished, "--json")
    assert result.exit_code == 0, result.output
    task = json.loads(result.stdout)
    assert task["taskArn"] == finished
    assert "T" in task["createdAt"]
    env = task["overrides"]["containerOverrides"][0]["environment"]
    assert env == [{"name": "DB_PASSWORD", "value": "***"}]
    assert "hunter2" not in result.stdout


def test_describe_masks_a_secret_that_shell_quoting_changes(resource: EcsResource) -> None:
    """A secret containing a quote (and & < > \\ $, a space, a newline) in the command and
    inside another variable is *** in describe's summary, with --show-env and in --json: in
    no encoding (raw, shell-quoted, JSON-escaped)."""
    arn = resource.run_task(
        command=[PY, "-c", "pass", SHAPED_SECRET],
        environment={"DSN": f"postgres://app:{SHAPED_SECRET}@db/app"},
        secret_environment={"DB_PASSWORD": SHAPED_SECRET},
    )[0]
    stopped(resource, arn)
    for options in ([], ["--show-env"], ["--json"]):
        result = run("describe", arn, *options)
        assert result.exit_code == 0, result.output
        assert leaks(result.stdout) == [], options
    shown = run("describe", arn, "--show-env").stdout
    assert "DSN=postgres://app:***@db/app" in shown and "DB_PASSWORD=***" in shown
    assert f"command: {PY} -c pass '***'" in shown


def test_describe_unknown_task_exits_1() -> None:
    """describe of an unknown task exits 1 with one `Error:` line naming it, no traceback."""
    result = run("describe", "0123456789abcdef0123456789abcdef")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: task 0123456789abcdef0123456789abcdef not found")
    assert "Traceback" not in result.output


# --- logs -----------------------------------------------------------------------------------


def test_logs_prints_lines(finished: str) -> None:
    """logs prints the task's CloudWatch lines in order; --tail keeps the last N."""
    result = run("logs", task_id(finished))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["hello from main", "second line"]
    tail = run("logs", task_id(finished), "--tail", "1")
    assert tail.stdout.splitlines() == ["second line"]


def test_logs_follow_ends_when_the_task_stops(resource: EcsResource) -> None:
    """logs --follow prints lines as they come, exits 0 once the task stopped successfully."""
    script = (
        "import time\nfor i in range(3):\n    print(f'tick {i}', flush=True)\n    time.sleep(0.4)"
    )
    arn = launch(resource, [PY, "-c", script])
    result = run("logs", task_id(arn), "--follow")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["tick 0", "tick 1", "tick 2"]


def test_logs_follow_exits_1_for_a_failed_task(resource: EcsResource) -> None:
    """logs --follow of a task whose essential container exits 3 prints its lines, exits 1."""
    arn = launch(resource, [PY, "-c", "print('about to fail'); raise SystemExit(3)"])
    result = run("logs", task_id(arn), "-f")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["about to fail"]
    assert "failed" in result.stderr and "exited 3" in result.stderr


def test_logs_unknown_container_is_a_usage_error(finished: str) -> None:
    """logs --container with a name the task does not have exits 2 and lists the containers."""
    result = run("logs", task_id(finished), "--container", "nope")
    assert result.exit_code == 2
    assert "main" in result.stderr


# --- stop -----------------------------------------------------------------------------------


def test_stop_ends_a_sleeping_task_user_initiated(resource: EcsResource) -> None:
    """stop ends a running task; ECS then reports stop code UserInitiated with the reason."""
    arn = launch(resource, SLEEP_FOREVER)
    poll_task(resource, arn, lambda t: t["lastStatus"] == "RUNNING")
    result = run("stop", task_id(arn), "--reason", "test says stop")
    assert result.exit_code == 0, result.output
    assert f"Stopping task {task_id(arn)}" in result.stdout
    task = stopped(resource, arn)
    assert task["stopCode"] == "UserInitiated"
    assert task["stoppedReason"] == "test says stop"


def test_stop_unknown_task_exits_1() -> None:
    """stop of an unknown task exits 1 with a not-found message."""
    result = run("stop", "0123456789abcdef0123456789abcdef")
    assert result.exit_code == 1
    assert "not found" in result.stderr


# --- exec -----------------------------------------------------------------------------------


def test_exec_prints_output_and_returns_the_exit_code(sleeping: str) -> None:
    """exec runs the command in the task, prints its output and exits with its status."""
    code = "print('inside the task'); raise SystemExit(4)"
    result = run("exec", task_id(sleeping), "--", PY, "-c", code)
    assert result.exit_code == 4, result.output
    assert "inside the task" in result.stdout


def test_exec_on_a_task_without_exec_exits_1(resource: EcsResource) -> None:
    """exec on a task launched without ECS Exec exits 1 saying how to launch it."""
    arn = launch(resource, SLEEP_FOREVER)
    try:
        poll_task(resource, arn, lambda t: t["lastStatus"] == "RUNNING")
        result = run("exec", task_id(arn), "--", "echo", "hi")
        assert result.exit_code == 1
        assert "not started with enableExecuteCommand" in result.stderr
        assert "Traceback" not in result.output
    finally:
        resource.stop_task(arn)


def test_exec_error_exits_1(sleeping: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An EcsExecError (e.g. session-manager-plugin missing on AWS) is one Error line, exit 1."""

    def no_plugin(*args: object, **kwargs: object) -> None:
        raise EcsExecError("session-manager-plugin is not installed (or not on PATH)")

    monkeypatch.setattr(EcsResource, "execute_command", no_plugin)
    result = run("exec", task_id(sleeping), "--", "ls")
    assert result.exit_code == 1
    assert result.stderr == "Error: session-manager-plugin is not installed (or not on PATH)\n"


# --- usage, help, targets -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["tasks", "--status", "PENDING"],
        ["tasks", "--started-by", "has spaces"],
        ["exec", "some-task"],
        ["logs", "some-task", "--tail", "-1"],
        ["describe"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    """Bad options or missing arguments exit 2 with click's usage message."""
    result = run(*args)
    assert result.exit_code == 2
    assert "Error:" in result.stderr


@pytest.mark.parametrize("command", [c.name for c in TASK_COMMANDS])
def test_help_has_an_example(command: str) -> None:
    """--help of every command says what it does and shows an example on its own lines."""
    result = run(command, "--help")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    example = lines.index("  Example:")
    assert lines[example + 1].startswith(f"    ecs-pipelines {command}")
    assert "--cluster" in result.stdout and "--endpoint-url" in result.stdout


def test_unreachable_local_endpoint_fails_fast() -> None:
    """A local target with nothing listening exits 1 at once, saying how to start it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    result = run("tasks", "--endpoint-url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert "ecs-pipelines local serve" in result.stderr
    assert time.monotonic() - started < 5


def test_cluster_option_overrides_the_target() -> None:
    """--cluster points the command at another cluster (an unknown one is an error, exit 1)."""
    result = run("tasks", "--cluster", "no-such-cluster")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output


def test_main_command_registers_the_task_commands() -> None:
    """The `ecs-pipelines` group (cli.main) carries tasks, describe, logs, stop and exec."""
    assert {command.name for command in TASK_COMMANDS} <= set(main.commands)


# --- references and edges ---------------------------------------------------------------------


def test_a_unique_id_prefix_names_the_task(resource: EcsResource, finished: str) -> None:
    """The 8-character id the run log shows works wherever a task id does."""
    result = run("describe", task_id(finished)[:8])
    assert result.exit_code == 0, result.output
    assert f"Task {task_id(finished)}" in result.output


def test_an_ambiguous_prefix_says_so(resource: EcsResource, finished: str) -> None:
    """A prefix two tasks share is refused, naming the tasks it could mean."""
    ids = {task_id(launch(resource, [PY, "-c", "pass"])) for _ in range(20)} | {task_id(finished)}
    shared = next(a[:1] for a in sorted(ids) for b in sorted(ids) if a != b and a[:1] == b[:1])
    result = run("describe", shared)
    assert result.exit_code == 1
    assert "ambiguous" in result.output and "give more characters" in result.output


def test_stop_on_a_stopped_task_says_it_had_stopped(resource: EcsResource, finished: str) -> None:
    """`stop` of a task that already ended says so instead of "Stopping task"."""
    result = run("stop", finished)
    assert result.exit_code == 0, result.output
    assert "had already stopped" in result.output and "Stopping" not in result.output


def test_logs_of_a_silent_task_say_there_are_none(resource: EcsResource) -> None:
    """`logs` of a task that printed nothing says so (on stderr), exit 0."""
    arn = launch(resource, [PY, "-c", "pass"])
    stopped(resource, arn)
    result = run("logs", arn)
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "wrote no log lines" in result.stderr


def test_logs_print_every_line_past_one_reads_page_cap(
    resource: EcsResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`logs` prints a log longer than one read's page cap (100 pages in production, 3 of 50
    lines here) in full and in order, instead of stopping quietly at the cap."""
    from ecs_pipelines.cli import logs as logs_module

    real = logs_module.LogTail
    monkeypatch.setattr(
        logs_module,
        "LogTail",
        lambda *args, **kwargs: real(*args, page_limit=50, max_pages_per_poll=3, **kwargs),
    )
    arn = launch(resource, [PY, "-c", "for i in range(1000): print(f'line {i}')"])
    stopped(resource, arn)
    result = run("logs", arn)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"line {i}" for i in range(1000)]


def test_describe_show_env_reveals_only_values_not_known_to_be_secret(
    resource: EcsResource,
) -> None:
    """--show-env shows plain environment values; a variable launched as secret stays ***."""
    arn = resource.run_task(
        command=[PY, "-c", "pass"],
        environment={"DAY": "2026-11-24"},
        secret_environment={"API_TOKEN": "tok-never-shown"},
    )[0]
    result = run("describe", arn, "--show-env")
    assert result.exit_code == 0, result.output
    assert "DAY=2026-11-24" in result.output and "API_TOKEN=***" in result.output
    assert "tok-never-shown" not in result.output
    assert "DAY=***" in run("describe", arn).output


def test_logs_that_cannot_be_read_to_the_end_exit_1_saying_where(
    local_ecs: LocalEcs,
    resource: EcsResource,
    finished: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A log read that keeps failing ends with exit 1 and how many lines were printed."""
    from ecs_pipelines_tests.support.fault_proxy import FaultProxy, always, aws_error

    # A proxy is no server with a record of its own: its keys come from a named profile.
    keys = local_ecs.credentials
    profiles = tmp_path / "credentials"
    profiles.write_text(
        f"[embedded]\naws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(profiles))
    throttled = always("GetLogEvents", lambda: aws_error("ThrottlingException"))
    with FaultProxy(upstream=local_ecs.endpoint_url, faults=[throttled]) as proxy:
        command = ["logs", finished, "--endpoint-url", proxy.url, "--profile", "embedded"]
        result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1
    assert "stopped after 0 line(s)" in result.output and "ThrottlingException" in result.output
