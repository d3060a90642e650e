"""Errors raised by the ECS core. Messages never carry environment values or secrets."""

from __future__ import annotations

from typing import Any


class EcsError(Exception):
    """Base class of every error the ECS core raises on purpose."""


class EcsSpecError(EcsError, ValueError):
    """A launch spec or call argument broke an ECS limit; raised before any API call.

    The message names the field and what is allowed, e.g. ``count: must be 1..10, got 11``.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class EcsLaunchError(EcsError):
    """RunTask answered with ``failures`` (or launched fewer tasks than asked)."""

    def __init__(self, message: str, failures: list[dict[str, Any]], task_arns: list[str]) -> None:
        self.failures = failures
        self.task_arns = task_arns
        super().__init__(message)


class EcsTimeoutError(EcsError):
    """Tasks were still not STOPPED when the caller's deadline passed."""

    def __init__(self, message: str, pending_task_arns: list[str]) -> None:
        self.pending_task_arns = pending_task_arns
        super().__init__(message)


class EcsExecError(EcsError):
    """ECS Exec could not open a session; the message says why and what to do."""
