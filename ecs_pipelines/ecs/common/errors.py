"""Every error the project raises on purpose derives from ``EcsError``, the one base.

The core's errors live here. The embedded ECS's own errors (``RequestRejected``,
``SecretUnavailable``, ``ExecCommandError``) stay in ``ecs_pipelines.local``, because they are
turned into AWS error answers by the server and the core must never know the server's wire;
they still derive from ``EcsError``. Messages never carry environment values or secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import FailureTypeDef


class EcsError(Exception):
    """Base class of every error the project raises on purpose (core, CLI and embedded ECS)."""


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

    def __init__(
        self, message: str, failures: Sequence[FailureTypeDef], task_arns: list[str]
    ) -> None:
        self.failures = list(failures)
        self.task_arns = task_arns
        super().__init__(message)


class EcsTimeoutError(EcsError):
    """Tasks were still not STOPPED when the caller's deadline passed."""

    def __init__(self, message: str, pending_task_arns: list[str]) -> None:
        self.pending_task_arns = pending_task_arns
        super().__init__(message)


class EcsExecError(EcsError):
    """ECS Exec could not open a session; the message says why and what to do."""


class DeadlinePassed(EcsError, TimeoutError):
    """The caller's deadline passed before the call could be made (or made again)."""


class QueueFailed(EcsError):
    """The task event queue cannot be used: the wait goes on by polling."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        super().__init__(f"{type(error).__name__}{f' ({code})' if code else ''}")


class CursorError(EcsError, ValueError):
    """The cursor cannot be read. The tick fails visibly rather than forget tracked tasks."""


class TaskOutcome(Protocol):
    """What ``EcsTaskFailure`` needs of a task's result (``EcsTaskResult`` in ``ecs.tasks``,
    which this lowest package must not import)."""

    @property
    def succeeded(self) -> bool: ...

    def summary(self) -> str: ...


ResultT = TypeVar("ResultT", bound=TaskOutcome)


class EcsTaskFailure(EcsError, Generic[ResultT]):
    """One or more tasks did not succeed; ``results`` holds every task's result, good and bad."""

    def __init__(self, results: Sequence[ResultT]) -> None:
        self.results = list(results)
        self.failed = [r for r in self.results if not r.succeeded]
        lines = [r.summary() for r in self.failed]
        super().__init__(
            f"{len(self.failed)} of {len(self.results)} ECS task(s) failed:\n" + "\n".join(lines)
        )


class LocalCredentialsNotFound(EcsError, ValueError):
    """No key pair of the embedded ECS at an endpoint can be found for this user."""

    def __init__(self, endpoint_url: str, state_dir: object) -> None:
        # state_dir: where this user's embedded ECS servers record their keys (named, not read)
        super().__init__(
            f"no credentials for the embedded ECS at {endpoint_url}: nothing ready answers "
            f"there, or no record of this user in {state_dir} says it serves that endpoint "
            "(it runs on another host, as another user, or answers on another address). A "
            "server this user starts on this host records its keys: `make run` or "
            "`ecs-pipelines local serve`; `ecs-pipelines local env` prints them for other "
            "tools (the CLI's --profile names a profile that holds them)."
        )
        self.endpoint_url = endpoint_url


class EmbeddedEcsNotRunning(EcsError):
    """The project directory in use has no embedded ECS running, and nothing names another."""

    def __init__(self, root: object, how_to_start: str) -> None:
        # root: the checkout or project directory (named, not read); how_to_start: what to run
        super().__init__(
            f"no embedded ECS runs for {root}, and the local target never falls back to AWS: "
            f"{how_to_start}, then launch again; or name a server with ECS_PIPELINES_ENDPOINT_URL"
            " (ECS_PIPELINES_TARGET=aws runs on AWS)"
        )
        self.root = root
