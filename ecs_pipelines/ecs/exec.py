"""ECS Exec: readiness of a task, ExecuteCommand, and the session-manager-plugin hand-off.

Against AWS, ExecuteCommand only opens an SSM session; the bytes flow through
session-manager-plugin, started exactly as ``aws ecs execute-command`` starts it. The embedded
local ECS instead answers with an HTTP ``/_local/exec/`` URL that runs the command and returns
its exit code and output, so no plugin is needed there.

The session token (``session.tokenValue``) is a credential: it is never logged and never put in
an error message.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.errors import EcsExecError

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.type_defs import ExecuteCommandRequestTypeDef

logger = logging.getLogger(__name__)

EXEC_AGENT = "ExecuteCommandAgent"
PLUGIN = "session-manager-plugin"
PLUGIN_INSTALL_URL = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "session-manager-working-with-install-plugin.html"
)
EXEC_PERMISSIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
_AGENT_HINT = (
    "check that the task role allows "
    + ", ".join(EXEC_PERMISSIONS)
    + ", that the task can reach ssmmessages (internet egress or a VPC endpoint "
    "com.amazonaws.<region>.ssmmessages), and on Fargate that the platform version is >= 1.4.0"
)


@dataclass(frozen=True)
class ExecResult:
    """Outcome of one command; ``output`` is None when the plugin wrote to the terminal itself."""

    exit_code: int | None
    output: str | None


def _task_label(task: Mapping[str, Any]) -> str:
    return str(task.get("taskArn", "<unknown task>"))


def _pick_container(task: Mapping[str, Any], container: str | None) -> Mapping[str, Any] | str:
    """The container ``container`` names (or the only one); else a message saying why not."""
    containers: Sequence[Mapping[str, Any]] = task.get("containers") or []
    names = [str(c.get("name")) for c in containers]
    if container is None:
        # ExecuteCommand itself only accepts a missing container name for one-container tasks.
        if len(containers) == 1:
            return containers[0]
        return (
            f"task {_task_label(task)} has {len(containers)} containers "
            f"({', '.join(names) or 'none reported yet'}); name one with container=..."
        )
    for candidate in containers:
        if candidate.get("name") == container:
            return candidate
    return (
        f"task {_task_label(task)} has no container {container!r}; "
        f"its containers are: {', '.join(names) or 'none reported yet'}"
    )


def exec_blocker(task: Mapping[str, Any], container: str | None) -> str | None:
    """Pure: why ECS Exec can never work on this task (waiting will not help), else None."""
    label = _task_label(task)
    if task.get("lastStatus") == "STOPPED":
        stop_code = task.get("stopCode", "unknown")
        reason = task.get("stoppedReason")
        detail = f"stopCode {stop_code}" + (f": {reason}" if reason else "")
        return f"task {label} is already stopped ({detail})"
    if task.get("desiredStatus") == "STOPPED":
        return f"task {label} is stopping (lastStatus {task.get('lastStatus')})"
    if not task.get("enableExecuteCommand"):
        return (
            f"task {label} was not started with enableExecuteCommand; "
            "launch it with enable_execute_command=True"
        )
    # Containers appear in DescribeTasks as soon as the task exists; before that, wait.
    if not task.get("containers"):
        return None
    picked = _pick_container(task, container)
    if isinstance(picked, str):
        return picked
    name = picked.get("name")
    if picked.get("lastStatus") == "STOPPED":
        return f"container {name!r} of task {label} has exited (exit code {picked.get('exitCode')})"
    agent = _agent(picked)
    if agent is not None and agent.get("lastStatus") == "STOPPED":
        reason = agent.get("reason") or "no reason given"
        return f"{EXEC_AGENT} of container {name!r} stopped ({reason}); {_AGENT_HINT}"
    return None


def _agent(container: Mapping[str, Any]) -> Mapping[str, Any] | None:
    agents: Sequence[Mapping[str, Any]] = container.get("managedAgents") or []
    return next((agent for agent in agents if agent.get("name") == EXEC_AGENT), None)


def exec_readiness(task: Mapping[str, Any], container: str | None) -> tuple[bool, str]:
    """Pure: (ready, why not). Use exec_blocker to tell a final "no" from "not yet"."""
    blocker = exec_blocker(task, container)
    if blocker is not None:
        return False, blocker
    label = _task_label(task)
    picked = _pick_container(task, container)
    if isinstance(picked, str):
        return False, f"task {label} has not reported its containers yet"
    agent = _agent(picked)
    status = None if agent is None else agent.get("lastStatus")
    if status != "RUNNING":
        return False, (
            f"{EXEC_AGENT} of container {picked.get('name')!r} in task {label} is not RUNNING "
            f"yet ({status or 'not reported'})"
        )
    return True, ""


def wait_until_exec_ready(
    ecs_client: ECSClient,
    cluster: str,
    task_arn: str,
    container: str | None = None,
    *,
    timeout_seconds: float = 120,
    poll_interval_seconds: float = 3.0,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll DescribeTasks until the exec agent of the container is RUNNING; return the task.

    Raises EcsExecError at once when it can never become ready, and when the deadline passes.
    """
    deadline = clock() + timeout_seconds
    while True:
        response = ecs_client.describe_tasks(cluster=cluster, tasks=[task_arn])
        if not response.get("tasks"):
            failures = response.get("failures") or [{}]
            reason = failures[0].get("reason", "not returned")
            raise EcsExecError(f"task {task_arn} not found in cluster {cluster} ({reason})")
        task: dict[str, Any] = dict(response["tasks"][0])
        blocker = exec_blocker(task, container)
        if blocker is not None:
            raise EcsExecError(blocker)
        ready, why_not = exec_readiness(task, container)
        if ready:
            return task
        remaining = deadline - clock()
        if remaining <= 0:
            raise EcsExecError(
                f"{why_not} after {timeout_seconds:g}s: the agent is not RUNNING; {_AGENT_HINT}"
            )
        sleep(min(poll_interval_seconds, remaining))


def runtime_id(task: Mapping[str, Any], container: str | None) -> str:
    """The container's runtime id (Docker id) that SSM targets are built from."""
    picked = _pick_container(task, container)
    if isinstance(picked, str):
        raise EcsExecError(picked)
    value = picked.get("runtimeId")
    if not value:
        raise EcsExecError(
            f"container {picked.get('name')!r} of task {_task_label(task)} has no runtimeId yet"
        )
    return str(value)


def ssm_target(cluster_name: str, task_id: str, runtime_id: str) -> str:
    """The SSM target ``ecs:<cluster>_<task id>_<runtime id>``, as the AWS CLI builds it.

    Takes names, but reduces a cluster or task ARN to its last path part like the CLI does.
    """
    return f"ecs:{cluster_name.rsplit('/', 1)[-1]}_{task_id.rsplit('/', 1)[-1]}_{runtime_id}"


def session_manager_plugin_argv(
    response: Mapping[str, Any],
    *,
    region: str,
    profile: str | None,
    target: str,
    endpoint_url: str,
    executable: str = PLUGIN,
) -> list[str]:
    """The argv ``aws ecs execute-command`` starts the plugin with, for an ExecuteCommand response.

    Same order and encoding as awscli's customizations/ecs/executecommand.py (v1 and v2):
    [plugin, json.dumps(response["session"]), region, "StartSession", profile or "",
    json.dumps({"Target": target}), ECS endpoint URL]. ``executable`` only replaces argv[0]
    (e.g. by the resolved path); the plugin reads its arguments from argv[1:].
    """
    return [
        executable,
        json.dumps(response["session"]),
        region,
        "StartSession",
        profile or "",
        json.dumps({"Target": target}),
        endpoint_url,
    ]


def find_session_manager_plugin(path_lookup: Callable[[str], str | None] = shutil.which) -> str:
    """Path of session-manager-plugin; EcsExecError with install instructions when missing."""
    found = path_lookup(PLUGIN)
    if not found:
        raise EcsExecError(
            f"{PLUGIN} is not installed (or not on PATH); ECS Exec against AWS needs it, as "
            "`aws ecs execute-command` does. See 'Install the Session Manager plugin for the "
            f"AWS CLI': {PLUGIN_INSTALL_URL}"
        )
    return found


def required_task_role_problem(
    task_definition: Mapping[str, Any], task_role_override: str | None
) -> str | None:
    """Pure: None when the task will have a task role; else what is missing for ECS Exec."""
    if task_role_override or task_definition.get("taskRoleArn"):
        return None
    family = task_definition.get("family") or task_definition.get("taskDefinitionArn") or "?"
    return (
        f"ECS Exec needs a task role, but task definition {family} has no taskRoleArn and no "
        "taskRoleArn override was given; use a task role that allows " + ", ".join(EXEC_PERMISSIONS)
    )


def is_local_exec_url(stream_url: str) -> bool:
    """Pure: True for the embedded local ECS's HTTP exec endpoint (not an SSM websocket)."""
    parts = urlsplit(stream_url)
    return parts.scheme in ("http", "https") and "/_local/exec/" in parts.path


def _is_loopback(endpoint_url: str | None) -> bool:
    host = urlsplit(endpoint_url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _urllib_get(url: str) -> bytes:
    # No timeout: the local endpoint answers when the command ends, however long it runs.
    with urllib.request.urlopen(url) as response:
        body: bytes = response.read()
    return body


@contextlib.contextmanager
def _signals_left_to_plugin() -> Iterator[None]:
    # Like the AWS CLI: while the plugin runs, Ctrl-C / Ctrl-\ / Ctrl-Z are meant for the
    # remote shell; the plugin forwards them, and this process must not die from them.
    # Signal handlers can only be changed from the main thread.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = ("SIGINT", "SIGQUIT", "SIGTSTP")
    numbers = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _client_error(error: ClientError) -> EcsExecError:
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = str(error.response.get("Error", {}).get("Message", ""))
    if code == "TargetNotConnectedException":
        return EcsExecError(
            f"ExecuteCommand: the {EXEC_AGENT} of the task is not connected to SSM ({message}); "
            + _AGENT_HINT
        )
    if code == "InvalidParameterException" and "execute command" in message.lower():
        return EcsExecError(
            "ExecuteCommand refused: the task was not started with enableExecuteCommand or its "
            f"{EXEC_AGENT} is not running ({message}); launch it with "
            "enable_execute_command=True and wait for the agent"
        )
    if code in ("AccessDeniedException", "AccessDenied"):
        return EcsExecError(
            f"ExecuteCommand denied ({message}); the caller needs ecs:ExecuteCommand on the task"
        )
    return EcsExecError(f"ExecuteCommand failed: {code}: {message}")


def execute_command(
    ecs_client: ECSClient,
    *,
    cluster: str,
    task_arn: str,
    command: str,
    container: str | None = None,
    interactive: bool = True,
    region: str,
    profile: str | None,
    endpoint_url: str | None,
    runner: Callable[[list[str]], int] = subprocess.call,
    plugin_lookup: Callable[[str], str | None] = shutil.which,
    readiness_timeout_seconds: float = 120,
    http_get: Callable[[str], bytes] = _urllib_get,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ExecResult:
    """Run ``command`` in a container of a running task through ECS Exec.

    ``endpoint_url`` is the ECS endpoint handed to the plugin; None means the client's own.
    """
    effective_endpoint = endpoint_url or ecs_client.meta.endpoint_url
    # Check for the plugin before opening a session for nothing. A loopback endpoint is the
    # embedded local ECS, which answers without the plugin, so its absence is fine there.
    plugin: str | None = None
    if _is_loopback(ecs_client.meta.endpoint_url):
        plugin = plugin_lookup(PLUGIN)
    else:
        plugin = find_session_manager_plugin(plugin_lookup)

    task = wait_until_exec_ready(
        ecs_client,
        cluster,
        task_arn,
        container,
        timeout_seconds=readiness_timeout_seconds,
        sleep=sleep,
        clock=clock,
    )
    request: ExecuteCommandRequestTypeDef = {
        "cluster": cluster,
        "task": task_arn,
        "command": command,
        "interactive": interactive,
    }
    if container is not None:
        request["container"] = container
    try:
        response = ecs_client.execute_command(**request)
    except ClientError as error:
        raise _client_error(error) from error
    session = response.get("session") or {}
    logger.debug("ExecuteCommand opened session %s", session.get("sessionId"))

    stream_url = session.get("streamUrl", "")
    if is_local_exec_url(stream_url):
        return _run_local(stream_url, http_get)

    if plugin is None:
        plugin = find_session_manager_plugin(plugin_lookup)
    # As the CLI does: names from the response's ARNs, and the runtime id of the container
    # ECS chose (the task was described moments ago while waiting for readiness).
    target = ssm_target(
        response["clusterArn"].split("/")[-1],
        response["taskArn"].split("/")[-1],
        runtime_id(task, response["containerName"]),
    )
    argv = session_manager_plugin_argv(
        response,
        region=region,
        profile=profile,
        target=target,
        endpoint_url=effective_endpoint,
        executable=plugin,
    )
    with _signals_left_to_plugin():
        exit_code = runner(argv)
    return ExecResult(exit_code=exit_code, output=None)


def _run_local(stream_url: str, http_get: Callable[[str], bytes]) -> ExecResult:
    parts = urlsplit(stream_url)
    # The query string could carry a credential; error messages show only the path.
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    try:
        body = json.loads(http_get(stream_url))
    except (OSError, ValueError) as error:
        raise EcsExecError(f"local exec at {shown} failed: {error}") from None
    if not isinstance(body, dict) or "exitCode" not in body:
        raise EcsExecError(f"local exec at {shown} answered without an exitCode")
    exit_code = body["exitCode"]
    output = body.get("output")
    return ExecResult(
        exit_code=None if exit_code is None else int(exit_code),
        output=None if output is None else str(output),
    )
