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
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.common import Deadline, EcsExecError, Pace, is_loopback, poll_until
from ecs_pipelines.ecs.common import cluster_name as arn_cluster_name
from ecs_pipelines.ecs.common import task_id as arn_task_id
from ecs_pipelines.ecs.exec.readiness import (
    AGENT_HINT,
    EXEC_AGENT,
    exec_blocker,
    exec_readiness,
    runtime_id,
)
from ecs_pipelines.ecs.tasks import EcsTaskClient

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.type_defs import ExecuteCommandRequestTypeDef, TaskTypeDef

logger = logging.getLogger(__name__)

PLUGIN = "session-manager-plugin"
PLUGIN_INSTALL_URL = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "session-manager-working-with-install-plugin.html"
)


@dataclass(frozen=True)
class ExecResult:
    """Outcome of one command; ``output`` is None when the plugin wrote to the terminal itself."""

    exit_code: int | None
    output: str | None


def _task_client(ecs: ECSClient | EcsTaskClient) -> EcsTaskClient:
    return ecs if isinstance(ecs, EcsTaskClient) else EcsTaskClient(ecs)


def wait_until_exec_ready(
    ecs: ECSClient | EcsTaskClient,
    cluster: str,
    task_arn: str,
    container: str | None = None,
    *,
    timeout_seconds: float = 120,
    poll_interval_seconds: float = 3.0,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> TaskTypeDef:
    """Poll DescribeTasks until the exec agent of the container is RUNNING; return the task.

    Raises EcsExecError at once when it can never become ready, and when the deadline passes.
    """
    client = _task_client(ecs)
    why_not = ["the agent was not described"]

    def ready_task() -> TaskTypeDef | None:
        described = client.describe(cluster, [task_arn])
        task = described.tasks.get(task_arn)
        if task is None:
            reason = described.missing.get(task_arn, "not returned")
            raise EcsExecError(f"task {task_arn} not found in cluster {cluster} ({reason})")
        blocker = exec_blocker(task, container)
        if blocker is not None:
            raise EcsExecError(blocker)
        ready, why_not[0] = exec_readiness(task, container)
        return task.copy() if ready else None

    def timed_out() -> EcsExecError:
        return EcsExecError(
            f"{why_not[0]} after {timeout_seconds:g}s: the agent is not RUNNING; {AGENT_HINT}"
        )

    return poll_until(
        ready_task,
        deadline=Deadline.after(timeout_seconds, clock),
        on_timeout=timed_out,
        pace=Pace(poll_interval_seconds, poll_interval_seconds),
        sleep=sleep,
        clock=clock,
    )


def ssm_target(cluster_name: str, task_id: str, runtime_id: str) -> str:
    """The SSM target ``ecs:<cluster>_<task id>_<runtime id>``, as the AWS CLI builds it.

    Takes names, but reduces a cluster or task ARN to its last path part like the CLI does.
    """
    return f"ecs:{arn_cluster_name(cluster_name)}_{arn_task_id(task_id)}_{runtime_id}"


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


def is_local_exec_url(stream_url: str) -> bool:
    """Pure: True for the embedded local ECS's HTTP exec endpoint (not an SSM websocket)."""
    parts = urlsplit(stream_url)
    return parts.scheme in ("http", "https") and "/_local/exec/" in parts.path


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
            + AGENT_HINT
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
    ecs: ECSClient | EcsTaskClient,
    *,
    cluster: str,
    task_arn: str,
    command: str,
    container: str | None = None,
    interactive: bool = True,
    region: str,
    profile: str | None,
    endpoint_url: str | None,
    plugin_environment: Mapping[str, str] | None = None,
    runner: Callable[..., int] = subprocess.call,
    plugin_lookup: Callable[[str], str | None] = shutil.which,
    readiness_timeout_seconds: float = 120,
    http_get: Callable[[str], bytes] = _urllib_get,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ExecResult:
    """Run ``command`` in a container of a running task through ECS Exec.

    ``endpoint_url`` is the ECS endpoint handed to the plugin; None means the client's own.
    ``plugin_environment``: variables added to the plugin's environment, the credentials it
    uses in place of ``profile`` (an assumed role's: its calls act in the role's account).
    """
    client = _task_client(ecs)
    client_endpoint = client.ecs.meta.endpoint_url
    effective_endpoint = endpoint_url or client_endpoint
    # Check for the plugin before opening a session for nothing. A loopback endpoint is the
    # embedded local ECS, which answers without the plugin, so its absence is fine there.
    plugin: str | None = None
    if is_loopback(client_endpoint):
        plugin = plugin_lookup(PLUGIN)
    else:
        plugin = find_session_manager_plugin(plugin_lookup)

    task = wait_until_exec_ready(
        client,
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
        # Through the retry layer: throttling and dropped connections are retried, an ECS
        # refusal (TargetNotConnected, not enabled) is not.
        response = client.retrier.call(lambda: client.ecs.execute_command(**request))
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
        response["clusterArn"], response["taskArn"], runtime_id(task, response["containerName"])
    )
    argv = session_manager_plugin_argv(
        response,
        region=region,
        profile=None if plugin_environment is not None else profile,
        target=target,
        endpoint_url=effective_endpoint,
        executable=plugin,
    )
    with _signals_left_to_plugin():
        if plugin_environment is None:
            exit_code = runner(argv)
        else:
            exit_code = runner(argv, env={**os.environ, **plugin_environment})
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
