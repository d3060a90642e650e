"""An embedded ECS in a process of its own (``embedded_server``), for tests that measure it,
configure it otherwise, or do what would disturb the shared one; clients for it come from here."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from ecs_pipelines.cli.local_credentials import require_credentials_of
from ecs_pipelines.demo.seed import DEMO_REGION
from ecs_pipelines.local.auth import KeyPair

PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DedicatedServer:
    """An embedded ECS running in a process of its own: where it answers, its keys, its pid
    and its log."""

    endpoint_url: str
    credentials: KeyPair
    pid: int
    log_path: Path

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` for this server."""
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=DEMO_REGION,
            **self.credentials.boto3_kwargs(),
        )

    def server_log(self) -> str:
        """What the server wrote to its standard error so far (its own log)."""
        return self.log_path.read_text(errors="replace")


# Starts one with ``embedded_server``'s options; stops it (and its tasks) on leaving.
StartServer = Callable[..., AbstractContextManager[DedicatedServer]]


@contextmanager
def serve_dedicated(*options: str) -> Iterator[DedicatedServer]:
    with tempfile.TemporaryDirectory(prefix="embedded-ecs-") as work:
        log_path = Path(work) / "server.log"
        # moto's request recorder, were it ever reachable, would write its file in the server's
        # working directory (the checkout): keep it in the test's own directory instead.
        env = {**os.environ, "MOTO_RECORDER_FILEPATH": str(Path(work) / "moto-recording")}
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "ecs_pipelines_tests.local.embedded_server", *options],
                cwd=PROJECT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            assert url.startswith("http://"), "the embedded ECS did not start"
            yield DedicatedServer(url, require_credentials_of(url), server.pid, log_path)
        finally:
            _end(server)


def _end(server: subprocess.Popen[str]) -> None:
    """Close its stdin (it stops its tasks and exits); kill it if it does not within 30 s."""
    assert server.stdin is not None
    server.stdin.close()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if server.stdout is not None:
        server.stdout.close()
