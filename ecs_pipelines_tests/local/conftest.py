"""Fixtures of the embedded ECS tests beyond the shared server: one in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_pipelines.cli.local_credentials import require_credentials_of
from ecs_pipelines.local.access_keys import KeyPair

PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DedicatedServer:
    """An embedded ECS in a process of its own: where it answers, and its keys."""

    endpoint_url: str
    credentials: KeyPair

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            **self.credentials.boto3_kwargs(),
        )


@pytest.fixture
def dedicated_server() -> Iterator[DedicatedServer]:
    """An embedded ECS in its own process (for what would disturb the shared one, such as a
    reset of every backend); its keys found as any client of this user finds them (its state
    record)."""
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
        yield DedicatedServer(url, require_credentials_of(url))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
