"""Runs one container's health check command every interval, on a thread of its own.

Each result goes to a callback (the runner queues it for its supervisor thread, where the
container's health is decided: ``health_checks.HealthTracker``). A check that runs past its
timeout is killed with everything it started, and counts as a failure, as Docker counts it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping

from ecs_pipelines.local.runtime.health_checks import HealthCheck, HealthTracker

# Docker keeps the last 4 KiB of a check's output.
_MAX_OUTPUT = 4096

Report = Callable[[bool, str, float], None]


class HealthMonitor:
    """The health check loop of one running container."""

    def __init__(
        self,
        check: HealthCheck,
        *,
        env: Mapping[str, str],
        cwd: str | None,
        report: Report,
    ) -> None:
        self.tracker = HealthTracker(check)
        self._check = check
        self._env = dict(env)
        self._cwd = cwd
        self._report = report
        self._stopped = threading.Event()
        self._current: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="ecs-health-check", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """No more checks; a check still running is killed."""
        self._stopped.set()
        current = self._current
        if current is not None:
            _kill_group(current)

    def _run(self) -> None:
        started = time.monotonic()
        # Docker runs the first check one interval after the container started.
        while not self._stopped.wait(self._check.interval):
            passed, output = self._probe()
            if self._stopped.is_set():
                return
            self._report(passed, output, time.monotonic() - started)

    def _probe(self) -> tuple[bool, str]:
        try:
            process = subprocess.Popen(
                self._check.argv,
                env=self._env,
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            return False, f"health check could not start: {exc}"
        self._current = process
        try:
            output, _ = process.communicate(timeout=self._check.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            return False, f"Health check exceeded timeout ({self._check.timeout:g}s)"
        finally:
            self._current = None
        text = output[-_MAX_OUTPUT:].decode("utf-8", errors="replace")
        return process.returncode == 0, text


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
