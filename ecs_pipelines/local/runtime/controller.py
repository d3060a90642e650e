"""ECS semantics on top of the runner: what RunTask starts, StopTask stops, ExecuteCommand runs.

The moto bridge calls this (``LocalController``) with tasks in ECS terms; this turns them into
process launches and exec sessions, and refuses requests the way ECS does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ecs_pipelines.local import moto_bridge
from ecs_pipelines.local.contract import EXEC_NOT_ENABLED, ExecRequest, NewTask, RequestRejected
from ecs_pipelines.local.rules import parse_value_from
from ecs_pipelines.local.runtime.container_plan import (
    CREDENTIALS_PATH,
    ENDPOINT_VARIABLE,
    LogTarget,
    TaskLaunch,
    build_task_launch,
)
from ecs_pipelines.local.runtime.container_start import container_environment, host_environment
from ecs_pipelines.local.runtime.exec_sessions import ExecCommandError, ExecSessions
from ecs_pipelines.local.runtime.runner import TaskRunner
from ecs_pipelines.local.runtime.task_state_events import publish_task_state

INVALID_PARAMETER = "InvalidParameterException"
# Where each container's task metadata endpoint (v4) is served: <endpoint>/_local/metadata/v4/<id>.
METADATA_PATH = "/_local/metadata/v4"


class BridgeSink:
    """Publishes runner output into moto: task fields and CloudWatch Logs events."""

    def publish(self, task_arn: str, fields: dict[str, Any]) -> None:
        moto_bridge.update_task(task_arn, fields)
        # As ECS does, every state change goes to EventBridge ("ECS Task State Change"), where
        # rules deliver it (to SQS queues, for push-driven completion).
        publish_task_state(task_arn)

    def write_logs(self, target: LogTarget, events: list[dict[str, Any]]) -> None:
        moto_bridge.write_log_events(
            target.account_id, target.region, target.group, target.stream, events
        )


def resolve_secrets(launch: TaskLaunch) -> dict[str, dict[str, str]]:
    """Each container's ``secrets`` read from the embedded Secrets Manager and Parameter Store
    (a name is a parameter of the task's own account and Region); raises SecretUnavailable."""
    account_id = launch.task_arn.split(":")[4]
    resolved: dict[str, dict[str, str]] = {}
    for spec in launch.containers:
        resolved[spec.name] = {
            variable: moto_bridge.read_secret(
                parse_value_from(value_from, region=launch.region, account_id=account_id)
            )
            for variable, value_from in spec.secrets
        }
    return resolved


class EmbeddedController:
    """The ``LocalController`` of the embedded ECS."""

    def __init__(
        self, runner: TaskRunner, sessions: ExecSessions, endpoint_url: Callable[[], str]
    ) -> None:
        self._runner = runner
        self._sessions = sessions
        self._endpoint_url = endpoint_url

    def tasks_created(self, tasks: list[NewTask]) -> None:
        for task in tasks:
            endpoint = self._endpoint_url()
            base = host_environment(
                {
                    "AWS_REGION": task.region,
                    "AWS_DEFAULT_REGION": task.region,
                    "AWS_EXECUTION_ENV": f"AWS_ECS_{task.launch_type}",
                    # The task's own SDK calls go to this server (``task_credentials``).
                    ENDPOINT_VARIABLE: endpoint,
                }
            )
            self._runner.launch(
                build_task_launch(
                    task,
                    base_environment=base,
                    metadata_url=f"{endpoint}{METADATA_PATH}",
                    credentials_url=f"{endpoint}{CREDENTIALS_PATH.rstrip('/')}",
                )
            )

    def stop_task(self, task_arn: str, reason: str) -> None:
        self._runner.stop(task_arn, reason)

    def forget_all_tasks(self) -> None:
        self._runner.forget_all()

    def execute_command(self, request: ExecRequest) -> dict[str, Any]:
        task_arn, container = request.task_arn, request.container
        if not request.interactive:
            raise RequestRejected(
                INVALID_PARAMETER, "Interactive is the only mode supported currently."
            )
        state = self._runner.get(task_arn)
        if state is None:
            raise RequestRejected(INVALID_PARAMETER, "The task was not found.")
        if container is None:
            if len(state.containers) != 1:
                raise RequestRejected(
                    INVALID_PARAMETER,
                    "The container name must be specified when the task has more than one "
                    "container.",
                )
            container = next(iter(state.containers))
        target = state.containers.get(container)
        if target is None:
            raise RequestRejected(
                INVALID_PARAMETER, f"The container {container} was not found in the task."
            )
        if not state.exec_agent_running(target):
            raise RequestRejected(INVALID_PARAMETER, EXEC_NOT_ENABLED)
        try:
            session = self._sessions.start(
                task_arn=task_arn,
                container_name=container,
                command=request.command,
                environment=container_environment(state, target.spec),
                cwd=state.cwd,
            )
        except ExecCommandError as exc:
            raise RequestRejected(INVALID_PARAMETER, str(exc)) from exc
        return {
            "clusterArn": request.cluster_arn,
            "containerArn": target.spec.container_arn,
            "containerName": container,
            "interactive": True,
            "taskArn": task_arn,
            "session": {
                "sessionId": session.session_id,
                "streamUrl": f"{self._endpoint_url()}/_local/exec/{session.session_id}",
                "tokenValue": secrets.token_urlsafe(32),
            },
        }
