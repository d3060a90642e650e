"""The embedded local ECS: moto's AWS endpoint with ECS semantics, tasks run as host processes.

Packages, one concern each: ``runtime`` (tasks as processes: their lifecycle, containers,
health, ECS Exec), ``rules`` (what ECS accepts and answers, pure), ``auth`` (SigV4 and the keys
the server issues), ``serving`` (the HTTP surface: the server, its boundary, its own routes and
pages), and ``moto_bridge`` (the only code that touches moto). ``contract`` is the seam between
the moto bridge and the runtime.

``LocalEcs`` is imported lazily so that reading this package does not load moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecs_pipelines.local.serving import LocalEcs

__all__ = ["LocalEcs"]


def __getattr__(name: str) -> Any:
    if name == "LocalEcs":
        from ecs_pipelines.local.serving import LocalEcs

        return LocalEcs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
