"""The embedded local ECS: moto's ECS and CloudWatch Logs APIs, tasks run as host processes.

``LocalEcs`` is imported lazily so that reading the demo constants does not load moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecs_pipelines.local.seed import DEFAULT_PORT, DEMO_CLUSTER, DEMO_REGION

if TYPE_CHECKING:
    from ecs_pipelines.local.server import LocalEcs

__all__ = ["DEFAULT_PORT", "DEMO_CLUSTER", "DEMO_REGION", "LocalEcs"]


def __getattr__(name: str) -> Any:
    if name == "LocalEcs":
        from ecs_pipelines.local.server import LocalEcs

        return LocalEcs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
