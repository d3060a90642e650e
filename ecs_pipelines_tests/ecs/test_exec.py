"""ECS Exec: readiness, SSM target, plugin argv and hand-off, error mapping, local exec."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from ecs_pipelines.ecs.common import EcsExecError
from ecs_pipelines.ecs.exec.readiness import (
    EXEC_AGENT,
    exec_blocker,
    exec_readiness,
    required_task_role_problem,
    runtime_id,
)
from ecs_pipelines.ecs.exec.session import (
    ExecResult,
    execute_command,
    find_session_manager_plugin,
    session_manager_plugin_argv,
    ssm_target,
    wait_until_exec_ready,
)
from ecs_pipelines_tests.support.json_http import JsonHandler

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/demo"
TASK_ID = "0123456789abcdef0123456789abcdef"
TASK_ARN = f"arn:aws:ecs:us-east-1:123456789012:task/demo/{TASK_ID}"
RUNTIME_ID = f"{TASK_ID}-1234567890"
TOKEN = "SECRET-TOKEN-VALUE"
SESSION = {
    "sessionId": "ecs-execute-command-0abc",
    "streamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/"
    "ecs-execute-command-0abc?role=publish_subscribe&cell-number=AAEAAQ",
    "tokenValue": TOKEN,
}


def _container(
    name: str = "app", agent: str | None = "RUNNING", last_status: str = "RUNNING"
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "lastStatus": last_status, "runtimeId": RUNTIME_ID}
    if agent is not None:
        container["managedAgents"] = [{"name": EXEC_AGENT, "lastStatus": agent}]
    return container


def _task(*containers: dict[str, Any], **fields: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "taskArn": TASK_ARN,
        "clusterArn": CLUSTER_ARN,
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "enableExecuteCommand": True,
        "containers": list(containers) or [_container()],
    }
    task.update(fields)
    return task


def _exec_response(session: dict[str, str] = SESSION) -> dict[str, Any]:
    return {
        "clusterArn": CLUSTER_ARN,
        "containerArn": f"arn:aws:ecs:us-east-1:123456789012:container/demo/{TASK_ID}/c1",
        "containerName": "app",
        "interactive": True,
        "session": session,
        "taskArn": TASK_ARN,
    }


class FakeTime:
    """A clock that only moves when sleep() is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def ecs(make_client: Any) -> Any:
    """An ECS client for the real AWS endpoint name; every call must be stubbed."""
    return make_client("ecs")


# --- readiness (pure) -------------------------------------------------------------------------


def test_ready_when_agent_running() -> None:
    """A running exec-enabled task whose agent is RUNNING is ready."""
    assert exec_readiness(_task(), None) == (True, "")
    assert exec_readiness(_task(), "app") == (True, "")


def test_stopped_task_is_final_with_stop_code() -> None:
    """A STOPPED task is not ready, for good, and the message gives the stop code."""
    task = _task(lastStatus="STOPPED", stopCode="EssentialContainerExited", stoppedReason="done")
    ready, why = exec_readiness(task, None)
    assert not ready
    assert why == f"task {TASK_ARN} is already stopped (stopCode EssentialContainerExited: done)"
    assert exec_blocker(task, None) == why


def test_exec_not_enabled_is_final_and_says_how_to_launch() -> None:
    """A task started without enableExecuteCommand is never ready; the fix is named."""
    ready, why = exec_readiness(_task(enableExecuteCommand=False), None)
    assert not ready
    assert "was not started with enableExecuteCommand" in why
    assert "enable_execute_command=True" in why


@pytest.mark.parametrize("agent", [None, "PENDING"])
def test_agent_missing_or_pending_is_waitable(agent: str | None) -> None:
    """An agent not reported or not RUNNING yet means not ready, but worth waiting for."""
    task = _task(_container(agent=agent))
    ready, why = exec_readiness(task, None)
    assert not ready
    assert "not RUNNING yet" in why
    assert exec_blocker(task, None) is None


def test_unknown_container_lists_the_containers() -> None:
    """Naming a container the task does not have is final and lists the task's containers."""
    task = _task(_container("app"), _container("sidecar"))
    ready, why = exec_readiness(task, "web")
    assert not ready
    assert why == f"task {TASK_ARN} has no container 'web'; its containers are: app, sidecar"


def test_several_containers_need_a_name() -> None:
    """With several containers and no name, the message asks for one and lists them."""
    why = exec_blocker(_task(_container("app"), _container("sidecar")), None)
    assert why is not None and "app, sidecar" in why and "container=" in why


def test_exited_container_is_final() -> None:
    """A container that already exited cannot take a command."""
    task = _task(_container(last_status="STOPPED", agent="STOPPED"))
    assert "has exited" in (exec_blocker(task, "app") or "")


# --- waiting ----------------------------------------------------------------------------------


def test_wait_polls_until_agent_running(ecs: Any) -> None:
    """wait_until_exec_ready describes again after a sleep until the agent is RUNNING."""
    fake = FakeTime()
    with Stubber(ecs) as stub:
        stub.add_response("describe_tasks", {"tasks": [_task(_container(agent=None))]})
        stub.add_response("describe_tasks", {"tasks": [_task(_container(agent="PENDING"))]})
        stub.add_response(
            "describe_tasks",
            {"tasks": [_task()]},
            {"cluster": "demo", "tasks": [TASK_ARN], "include": ["TAGS"]},
        )
        task = wait_until_exec_ready(ecs, "demo", TASK_ARN, sleep=fake.sleep, clock=fake.clock)
        stub.assert_no_pending_responses()
    assert task["taskArn"] == TASK_ARN
    assert fake.sleeps == [3.0, 3.0]


def test_wait_times_out_with_what_to_check(ecs: Any) -> None:
    """Past the deadline the error says the agent is not RUNNING and what to check."""
    fake = FakeTime()
    with Stubber(ecs) as stub:
        for _ in range(5):
            stub.add_response("describe_tasks", {"tasks": [_task(_container(agent="PENDING"))]})
        with pytest.raises(EcsExecError) as raised:
            wait_until_exec_ready(
                ecs, "demo", TASK_ARN, timeout_seconds=10, sleep=fake.sleep, clock=fake.clock
            )
    message = str(raised.value)
    assert "not RUNNING" in message
    assert "ssmmessages:CreateControlChannel" in message
    assert "1.4.0" in message
    assert fake.now == 10


def test_wait_fails_at_once_for_final_reasons(ecs: Any) -> None:
    """A stopped task raises on the first describe, without sleeping."""
    fake = FakeTime()
    with Stubber(ecs) as stub:
        stub.add_response("describe_tasks", {"tasks": [_task(lastStatus="STOPPED")]})
        with pytest.raises(EcsExecError, match="already stopped"):
            wait_until_exec_ready(ecs, "demo", TASK_ARN, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


def test_wait_for_unknown_task_says_missing(ecs: Any) -> None:
    """A task DescribeTasks does not know is reported with the failure reason."""
    with Stubber(ecs) as stub:
        stub.add_response(
            "describe_tasks", {"tasks": [], "failures": [{"arn": TASK_ARN, "reason": "MISSING"}]}
        )
        with pytest.raises(EcsExecError, match=r"not found in cluster demo \(MISSING\)"):
            wait_until_exec_ready(ecs, "demo", TASK_ARN)


# --- pure helpers -----------------------------------------------------------------------------


def test_ssm_target_format() -> None:
    """The SSM target is ecs:<cluster name>_<task id>_<runtime id>, as the AWS CLI builds it."""
    assert ssm_target("demo", TASK_ID, RUNTIME_ID) == f"ecs:demo_{TASK_ID}_{RUNTIME_ID}"
    assert ssm_target(CLUSTER_ARN, TASK_ARN, "r") == f"ecs:demo_{TASK_ID}_r"


def test_runtime_id_of_named_or_only_container() -> None:
    """runtime_id finds the container's runtimeId and explains when it is missing."""
    assert runtime_id(_task(), None) == RUNTIME_ID
    assert runtime_id(_task(_container("a"), _container("b")), "b") == RUNTIME_ID
    with pytest.raises(EcsExecError, match="no runtimeId yet"):
        runtime_id(_task({"name": "app"}), "app")


def test_plugin_argv_is_what_the_aws_cli_passes() -> None:
    """The plugin argv matches awscli's executecommand.py: session, region, op, profile, target."""
    argv = session_manager_plugin_argv(
        _exec_response(),
        region="us-east-1",
        profile="dev",
        target=f"ecs:demo_{TASK_ID}_{RUNTIME_ID}",
        endpoint_url="https://ecs.us-east-1.amazonaws.com",
    )
    assert argv == [
        "session-manager-plugin",
        '{"sessionId": "ecs-execute-command-0abc", "streamUrl": '
        '"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/ecs-execute-command-0abc'
        '?role=publish_subscribe&cell-number=AAEAAQ", "tokenValue": "SECRET-TOKEN-VALUE"}',
        "us-east-1",
        "StartSession",
        "dev",
        f'{{"Target": "ecs:demo_{TASK_ID}_{RUNTIME_ID}"}}',
        "https://ecs.us-east-1.amazonaws.com",
    ]


def test_plugin_argv_without_profile_passes_empty_string() -> None:
    """No profile is passed as an empty argument, keeping the positions."""
    argv = session_manager_plugin_argv(
        _exec_response(), region="eu-west-1", profile=None, target="t", endpoint_url="e"
    )
    assert argv[2:] == ["eu-west-1", "StartSession", "", '{"Target": "t"}', "e"]


def test_missing_plugin_error_says_how_to_install() -> None:
    """A missing session-manager-plugin raises with the AWS install page."""
    with pytest.raises(EcsExecError) as raised:
        find_session_manager_plugin(lambda _: None)
    assert "Install the Session Manager plugin for the AWS CLI" in str(raised.value)
    assert "session-manager-working-with-install-plugin.html" in str(raised.value)
    assert find_session_manager_plugin(lambda name: f"/opt/bin/{name}") == (
        "/opt/bin/session-manager-plugin"
    )


def test_task_role_problem() -> None:
    """No task role in the definition nor as override is reported with the needed permissions."""
    assert required_task_role_problem({"taskRoleArn": "arn:aws:iam::1:role/r"}, None) is None
    assert required_task_role_problem({}, "arn:aws:iam::1:role/r") is None
    problem = required_task_role_problem({"family": "demo"}, None)
    assert problem is not None and "task role" in problem and "demo" in problem
    for action in ("CreateControlChannel", "CreateDataChannel", "OpenControlChannel"):
        assert f"ssmmessages:{action}" in problem
    assert "ssmmessages:OpenDataChannel" in problem


# --- execute_command --------------------------------------------------------------------------


def test_missing_plugin_fails_before_any_call(ecs: Any) -> None:
    """Against AWS, a missing plugin raises before DescribeTasks or ExecuteCommand is called."""
    with Stubber(ecs) as stub, pytest.raises(EcsExecError, match="Session Manager plugin"):
        # No responses are queued: any API call would fail with a stub error instead.
        execute_command(
            ecs,
            cluster="demo",
            task_arn=TASK_ARN,
            command="ls",
            region="us-east-1",
            profile=None,
            endpoint_url=None,
            plugin_lookup=lambda _: None,
        )
        stub.assert_no_pending_responses()


def test_hands_session_to_plugin_with_cli_argv(
    ecs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plugin found on PATH is started with exactly the argv `aws ecs execute-command` uses."""
    recorded = tmp_path / "argv.json"
    plugin = tmp_path / "session-manager-plugin"
    plugin.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(recorded)!r}, 'w').write(json.dumps(sys.argv))\n"
        "sys.exit(3)\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    with Stubber(ecs) as stub:
        stub.add_response("describe_tasks", {"tasks": [_task()]})
        stub.add_response(
            "execute_command",
            _exec_response(),
            {
                "cluster": "demo",
                "task": TASK_ARN,
                "container": "app",
                "command": "/bin/sh",
                "interactive": True,
            },
        )
        result = execute_command(
            ecs,
            cluster="demo",
            task_arn=TASK_ARN,
            command="/bin/sh",
            container="app",
            region="us-east-1",
            profile="dev",
            endpoint_url=None,
        )
        stub.assert_no_pending_responses()
    assert result == ExecResult(exit_code=3, output=None)
    assert json.loads(recorded.read_text()) == [
        str(plugin),
        json.dumps(SESSION),
        "us-east-1",
        "StartSession",
        "dev",
        json.dumps({"Target": f"ecs:demo_{TASK_ID}_{RUNTIME_ID}"}),
        "https://ecs.us-east-1.amazonaws.com",
    ]


def test_an_assumed_roles_credentials_reach_the_plugin_in_place_of_the_profile(ecs: Any) -> None:
    """With an assumed role's credentials, the plugin gets them as the SDK's variables (added
    to the environment) and no profile, so its own calls act in the role's account."""
    seen: dict[str, Any] = {}

    def runner(argv: list[str], env: dict[str, str]) -> int:
        seen.update(argv=argv, env=env)
        return 0

    role = {
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEROLEKEY01",
        "AWS_SECRET_ACCESS_KEY": "role-secret",
        "AWS_SESSION_TOKEN": "role-token",
    }
    with Stubber(ecs) as stub:
        stub.add_response("describe_tasks", {"tasks": [_task()]})
        stub.add_response("execute_command", _exec_response())
        result = execute_command(
            ecs,
            cluster="demo",
            task_arn=TASK_ARN,
            command="/bin/sh",
            container="app",
            region="us-east-1",
            profile="dev",
            endpoint_url=None,
            plugin_environment=role,
            runner=runner,
            plugin_lookup=lambda _: "/usr/local/bin/session-manager-plugin",
        )
    assert result.exit_code == 0
    assert seen["argv"][4] == ""  # no profile
    assert {k: seen["env"][k] for k in role} == role
    assert seen["env"]["PATH"] == os.environ["PATH"]  # added to the environment, not replacing it


def _run_stubbed_error(ecs: Any, code: str, message: str) -> EcsExecError:
    with Stubber(ecs) as stub:
        stub.add_response("describe_tasks", {"tasks": [_task()]})
        stub.add_client_error("execute_command", code, message, http_status_code=400)
        with pytest.raises(EcsExecError) as raised:
            execute_command(
                ecs,
                cluster="demo",
                task_arn=TASK_ARN,
                command="ls",
                region="us-east-1",
                profile=None,
                endpoint_url=None,
                plugin_lookup=lambda name: f"/usr/bin/{name}",
                runner=lambda argv: pytest.fail("the plugin must not start"),
            )
    return raised.value


def test_target_not_connected_is_explained(ecs: Any) -> None:
    """TargetNotConnectedException becomes an error naming the role permissions and egress."""
    error = _run_stubbed_error(
        ecs, "TargetNotConnectedException", "The execute command failed due to an internal error."
    )
    message = str(error)
    assert "not connected" in message
    assert "ssmmessages:OpenDataChannel" in message
    assert "VPC endpoint" in message


def test_exec_not_enabled_is_explained(ecs: Any) -> None:
    """ECS's InvalidParameterException about execute command becomes a clear error."""
    error = _run_stubbed_error(
        ecs,
        "InvalidParameterException",
        "The execute command failed because execute command was not enabled when the task "
        "was run or the execute command agent isn't running.",
    )
    assert "enable_execute_command=True" in str(error)


class _ExecHandler(JsonHandler):
    paths: list[str] = []  # requests seen, reset by the fixture

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.reply_json({"sessionId": "local-1", "exitCode": 7, "output": "hi\n"})


@pytest.fixture
def exec_server() -> Iterator[str]:
    """A tiny HTTP server answering /_local/exec/ like the embedded local ECS."""
    _ExecHandler.paths = []
    server = HTTPServer(("127.0.0.1", 0), _ExecHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_local_exec_url_is_fetched_not_handed_to_plugin(make_client: Any, exec_server: str) -> None:
    """A /_local/exec/ stream URL is fetched over HTTP; exit code and output come back."""
    local_ecs = make_client("ecs", "http://127.0.0.1:9")  # Stubber answers, nothing listens
    session = {"sessionId": "local-1", "streamUrl": f"{exec_server}/_local/exec/local-1"}
    with Stubber(local_ecs) as stub:
        stub.add_response("describe_tasks", {"tasks": [_task()]})
        stub.add_response("execute_command", _exec_response(session))
        result = execute_command(
            local_ecs,
            cluster="demo",
            task_arn=TASK_ARN,
            command="echo hi",
            region="us-east-1",
            profile=None,
            endpoint_url=None,
            plugin_lookup=lambda _: None,  # not needed locally
            runner=lambda argv: pytest.fail("the plugin must not start"),
        )
    assert result == ExecResult(exit_code=7, output="hi\n")
    assert _ExecHandler.paths == ["/_local/exec/local-1"]


def test_local_exec_failure_hides_query_and_token(make_client: Any) -> None:
    """A failing local exec raises without the URL's query string or the session token."""
    local_ecs = make_client("ecs", "http://localhost:9")
    session = {
        "sessionId": "local-1",
        "streamUrl": f"http://localhost:9/_local/exec/local-1?token={TOKEN}",
        "tokenValue": TOKEN,
    }

    def failing_get(url: str) -> bytes:
        raise OSError("connection refused")

    with Stubber(local_ecs) as stub:
        stub.add_response("describe_tasks", {"tasks": [_task()]})
        stub.add_response("execute_command", _exec_response(session))
        with pytest.raises(EcsExecError) as raised:
            execute_command(
                local_ecs,
                cluster="demo",
                task_arn=TASK_ARN,
                command="ls",
                region="us-east-1",
                profile=None,
                endpoint_url=None,
                plugin_lookup=lambda _: None,
                http_get=failing_get,
            )
    assert "connection refused" in str(raised.value)
    assert TOKEN not in str(raised.value)
