"""The embedded ECS's HTTP surface: the server, its browser boundary, its own routes (health,
reset, fault plan, metadata and credentials endpoints, task pages) and the records that let
clients find it and its keys.

The names other packages use, loaded on first use: importing the package loads none of its
modules (the HTTP surface and the runtime bring in moto).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecs_pipelines.local.serving.fault_route import FAULTS_ACTION, FAULTS_PATH
    from ecs_pipelines.local.serving.instance import (
        recorded_credentials,
        state_dir,
        why_not_own_server,
    )
    from ecs_pipelines.local.serving.private_files import private_directory, write_private_json
    from ecs_pipelines.local.serving.reset_route import ACTION, RESET_PATH
    from ecs_pipelines.local.serving.run_links import web_address
    from ecs_pipelines.local.serving.server import LocalEcs
    from ecs_pipelines.local.serving.server_actions import ACTION_HEADER
    from ecs_pipelines.local.serving.startup import DEFAULT_PORT, DEFAULT_REGION, Seed

_MODULES = {
    "ACTION": "reset_route",
    "ACTION_HEADER": "server_actions",
    "DEFAULT_PORT": "startup",
    "DEFAULT_REGION": "startup",
    "FAULTS_ACTION": "fault_route",
    "FAULTS_PATH": "fault_route",
    "LocalEcs": "server",
    "private_directory": "private_files",
    "recorded_credentials": "instance",
    "RESET_PATH": "reset_route",
    "Seed": "startup",
    "state_dir": "instance",
    "web_address": "run_links",
    "why_not_own_server": "instance",
    "write_private_json": "private_files",
}
__all__ = [
    "ACTION",
    "ACTION_HEADER",
    "DEFAULT_PORT",
    "DEFAULT_REGION",
    "FAULTS_ACTION",
    "FAULTS_PATH",
    "RESET_PATH",
    "LocalEcs",
    "Seed",
    "private_directory",
    "recorded_credentials",
    "state_dir",
    "web_address",
    "why_not_own_server",
    "write_private_json",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
