"""Fixtures of the embedded ECS tests beyond the shared server: one in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dedicated_server(tmp_path: Path) -> Iterator[str]:
    """An embedded ECS in its own process (for what would disturb the shared one, such as a
    reset of every backend); its endpoint URL."""
    # moto's request recorder, were it ever reachable, would write its file in the server's
    # working directory (the checkout): keep it in the test's own directory instead.
    env = {**os.environ, "MOTO_RECORDER_FILEPATH": str(tmp_path / "moto-recording")}
    server = subprocess.Popen(
        [sys.executable, "-m", "ecs_pipelines_tests.local.embedded_server"],
        cwd=PROJECT,
        env=env,
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
