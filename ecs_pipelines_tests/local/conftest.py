"""Fixtures of the embedded ECS tests beyond the shared server: one in a process of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecs_pipelines_tests.local.dedicated import DedicatedServer, StartServer, serve_dedicated


@pytest.fixture
def dedicated_server() -> Iterator[DedicatedServer]:
    """An embedded ECS in its own process (for what would disturb the shared one, such as a
    reset of every backend); its keys found as any client of this user finds them (its state
    record)."""
    with serve_dedicated() as server:
        yield server


@pytest.fixture
def start_dedicated_server() -> StartServer:
    """Starts an embedded ECS in its own process with ``embedded_server``'s options (for
    what must be measured apart from the shared one, or configured otherwise)."""
    return serve_dedicated
