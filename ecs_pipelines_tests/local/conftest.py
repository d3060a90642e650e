"""Fixtures of the embedded ECS tests beyond the shared server: one in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dedicated_server() -> Iterator[str]:
    """An embedded ECS in its own process (for what would disturb the shared one, such as a
    reset of every backend); its endpoint URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "ecs_pipelines_tests.local.embedded_server"],
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://"), "the embedded ECS did not start"
        yield url
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
