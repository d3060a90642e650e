"""The embedded ECS's process runtime: each task's lifecycle, its containers as host processes
under a small init, their order and health, ECS Exec sessions, and the controller that applies
ECS's semantics for the moto bridge.

The names other packages use, loaded on first use: importing the package loads none of its
modules (the HTTP surface and the runtime bring in moto).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecs_pipelines.local.runtime.container_plan import (
        AUTHORIZATION_TOKEN_VARIABLE,
        CREDENTIALS_PATH,
    )
    from ecs_pipelines.local.runtime.controller import (
        BridgeSink,
        EmbeddedController,
        resolve_secrets,
    )
    from ecs_pipelines.local.runtime.exec_sessions import ExecSessions
    from ecs_pipelines.local.runtime.runner import TaskRunner
    from ecs_pipelines.local.runtime.task_state import ContainerState, TaskState

_MODULES = {
    "AUTHORIZATION_TOKEN_VARIABLE": "container_plan",
    "BridgeSink": "controller",
    "ContainerState": "task_state",
    "CREDENTIALS_PATH": "container_plan",
    "EmbeddedController": "controller",
    "ExecSessions": "exec_sessions",
    "resolve_secrets": "controller",
    "TaskRunner": "runner",
    "TaskState": "task_state",
}
__all__ = [
    "AUTHORIZATION_TOKEN_VARIABLE",
    "CREDENTIALS_PATH",
    "BridgeSink",
    "ContainerState",
    "EmbeddedController",
    "ExecSessions",
    "TaskRunner",
    "TaskState",
    "resolve_secrets",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
