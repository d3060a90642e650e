"""Container health checks as ECS runs them (Docker's HEALTHCHECK), and the task's health. Pure.

From the ECS API reference (HealthCheck) and developer guide ("Determine Amazon ECS task health
using container health checks"):

- ``command`` is ``["CMD", executable, args...]`` (run directly) or ``["CMD-SHELL", "text"]``
  (run with the container's default shell, ``/bin/sh -c``); exit code 0 is success, anything
  else (or running past ``timeout``) a failure;
- ``interval`` seconds between checks (default 30), ``timeout`` (default 5), ``retries``
  consecutive failures before the container is UNHEALTHY (default 3), ``startPeriod`` (default
  0): "If a health check succeeds within the startPeriod, then the container is considered
  healthy and any subsequent failures count toward the maximum number of retries"; failures
  inside it do not count;
- a container's healthStatus is UNKNOWN until its first result, then HEALTHY or UNHEALTHY;
- the task's: "The container health check status of nonessential containers don't affect the
  health status of the task. HEALTHY: all essential containers within the task have passed
  their health checks. UNHEALTHY: one or more essential containers have failed their health
  check. UNKNOWN: the essential containers within the task are still having their health
  checks evaluated, there are only nonessential containers with health checks defined, or
  there are no container health checks defined."

The embedded ECS takes the values as given (ECS's registration limits, such as an interval of
5 to 300 seconds, are not enforced), so tests can check often.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

HEALTHY = "HEALTHY"
UNHEALTHY = "UNHEALTHY"
UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class HealthCheck:
    argv: tuple[str, ...]
    interval: float = 30.0
    timeout: float = 5.0
    retries: int = 3
    start_period: float = 0.0


def parse_health_check(definition: Mapping[str, Any] | None) -> HealthCheck | None:
    """The container definition's ``healthCheck``; None when there is none (or ``NONE``)."""
    if not definition:
        return None
    command = [str(part) for part in definition.get("command") or []]
    if not command or command[0] == "NONE":
        return None
    if command[0] == "CMD-SHELL":
        argv: tuple[str, ...] = ("/bin/sh", "-c", " ".join(command[1:]))
    elif command[0] == "CMD":
        argv = tuple(command[1:])
    else:
        # Docker reads a command without a leading CMD or CMD-SHELL as a CMD-SHELL text.
        argv = ("/bin/sh", "-c", " ".join(command))
    if not argv:
        return None
    return HealthCheck(
        argv=argv,
        interval=float(definition.get("interval") or 30),
        timeout=float(definition.get("timeout") or 5),
        retries=int(definition.get("retries") or 3),
        start_period=float(definition.get("startPeriod") or 0),
    )


@dataclass
class HealthTracker:
    """One container's health from its check results, as Docker keeps it."""

    check: HealthCheck
    status: str = UNKNOWN
    failures: int = 0

    def record(self, passed: bool, seconds_since_start: float) -> str:
        """Take one check result; returns the status after it."""
        if passed:
            self.failures = 0
            self.status = HEALTHY
        elif self.status == UNKNOWN and seconds_since_start < self.check.start_period:
            pass  # a failure in the start period does not count
        else:
            self.failures += 1
            if self.failures >= self.check.retries:
                self.status = UNHEALTHY
        return self.status


def task_health(essential_statuses: Iterable[str | None]) -> str:
    """The task's healthStatus from its essential containers' (None: no health check)."""
    checked = [s for s in essential_statuses if s is not None]
    if any(s == UNHEALTHY for s in checked):
        return UNHEALTHY
    if checked and all(s == HEALTHY for s in checked):
        return HEALTHY
    return UNKNOWN
