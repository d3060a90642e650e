"""Pure: can ECS Exec work on a described task now, later, or never, and why not.

ECS Exec only works on a task started with ``enableExecuteCommand``, once the container's
``ExecuteCommandAgent`` (a managed agent in DescribeTasks) is RUNNING; it needs a task role
that allows the ssmmessages actions below. Waiting helps while the agent starts; it does not
help a stopped task or container, or a task launched without exec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.common import EcsExecError, TaskStatus

EXEC_AGENT = "ExecuteCommandAgent"
EXEC_PERMISSIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
AGENT_HINT = (
    "check that the task role allows "
    + ", ".join(EXEC_PERMISSIONS)
    + ", that the task can reach ssmmessages (internet egress or a VPC endpoint "
    "com.amazonaws.<region>.ssmmessages), and on Fargate that the platform version is >= 1.4.0"
)


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
    if task.get("lastStatus") == TaskStatus.STOPPED:
        stop_code = task.get("stopCode", "unknown")
        reason = task.get("stoppedReason")
        detail = f"stopCode {stop_code}" + (f": {reason}" if reason else "")
        return f"task {label} is already stopped ({detail})"
    if task.get("desiredStatus") == TaskStatus.STOPPED:
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
    if picked.get("lastStatus") == TaskStatus.STOPPED:
        return f"container {name!r} of task {label} has exited (exit code {picked.get('exitCode')})"
    agent = _agent(picked)
    if agent is not None and agent.get("lastStatus") == TaskStatus.STOPPED:
        reason = agent.get("reason") or "no reason given"
        return f"{EXEC_AGENT} of container {name!r} stopped ({reason}); {AGENT_HINT}"
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
    if status != TaskStatus.RUNNING:
        return False, (
            f"{EXEC_AGENT} of container {picked.get('name')!r} in task {label} is not RUNNING "
            f"yet ({status or 'not reported'})"
        )
    return True, ""


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
