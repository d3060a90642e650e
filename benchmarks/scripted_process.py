"""The scripted ECS endpoint in a child process, and its ``/_bench`` control calls."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from types import TracebackType
from typing import Any


class ScriptedEcsProcess:
    """The endpoint in a child process, with helpers to configure it and read its counters."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.endpoint_url = ""

    def __enter__(self) -> ScriptedEcsProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.scripted_ecs", "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            self._process.kill()
            raise RuntimeError(f"scripted ECS did not start: {line!r}")
        self.endpoint_url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def _request(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.endpoint_url + path, data=data)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def reset(
        self,
        *,
        buckets: dict[str, tuple[float, float]] | None = None,
        default_duration: float = 1.0,
        events: bool = False,
        no_capacity: dict[str, float] | None = None,
    ) -> None:
        """Forgets every task and counter; ``buckets``: API name -> (capacity, refill per s);
        ``events``: tasks send their state change events to the endpoint's queue;
        ``no_capacity``: {rate, seconds, seed} of RunTask calls answered with no capacity."""
        self._request(
            "/_bench/reset",
            {
                "buckets": buckets or {},
                "default_duration": default_duration,
                "events": events,
                "no_capacity": no_capacity or {},
            },
        )

    @property
    def queue_url(self) -> str:
        """The endpoint's task state change event queue."""
        return f"{self.endpoint_url}/123456789012/bench-task-events"

    def finish(self, arns: list[str]) -> int:
        """Ends these tasks now, as if their command exited; how many were still running."""
        return int(self._request("/_bench/finish", {"arns": arns})["ended"])

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("/_bench/stats")
        return result

    def tasks(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("/_bench/tasks")
        return result
