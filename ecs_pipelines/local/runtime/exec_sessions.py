"""ECS Exec sessions: a command run inside a task's container, collected for the stream URL.

Real ECS hands back a Session Manager websocket. Locally the command runs as a host process
with the container's environment and working directory, and ``GET <streamUrl>`` returns its
exit code and output once it ends. One short-lived thread per session waits on the process.
"""

from __future__ import annotations

import secrets
import shlex
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import EcsError
from ecs_pipelines.local.runtime.container_plan import docker_style_exit_code
from ecs_pipelines.local.runtime.init_process import InitProcess

# How long a command may run, and how long a reader may wait for it (ECS Exec is interactive,
# so anything longer is almost certainly stuck).
MAX_SESSION_SECONDS = 300.0
# Finished sessions kept for late readers; the oldest are dropped first.
_MAX_KEPT_SESSIONS = 1000


# Derives from the project's one error base; it stays here because the server turns it into an
# AWS error answer, and the core must never know the server's wire.
class ExecCommandError(EcsError, ValueError):
    """The command string cannot be run (empty, or unbalanced quotes)."""


@dataclass
class ExecSession:
    session_id: str
    task_arn: str
    container_name: str
    finished: threading.Event = field(default_factory=threading.Event)
    exit_code: int | None = None
    argv0: str = ""
    output: str = ""
    init: InitProcess | None = None

    def result(self) -> dict[str, Any]:
        return {"sessionId": self.session_id, "exitCode": self.exit_code, "output": self.output}


class ExecSessions:
    """Starts exec commands and keeps their results until read."""

    def __init__(self, max_seconds: float = MAX_SESSION_SECONDS) -> None:
        self._max_seconds = max_seconds
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, ExecSession] = OrderedDict()

    def start(
        self,
        *,
        task_arn: str,
        container_name: str,
        command: str,
        environment: Mapping[str, str],
        cwd: str | None,
    ) -> ExecSession:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ExecCommandError(f"The command could not be parsed: {exc}") from exc
        if not argv:
            raise ExecCommandError("The command must not be empty.")
        session = ExecSession(
            session_id=f"ecs-execute-command-{secrets.token_hex(8)}",
            task_arn=task_arn,
            container_name=container_name,
            argv0=argv[0],
        )
        try:
            # Under an init process like the container's own: whatever the command starts,
            # even in a new session, ends with it or with the task.
            session.init = InitProcess.spawn(argv, env=environment, cwd=cwd, session=True)
        except (OSError, ValueError) as exc:
            # What a shell in the container would answer.
            session.exit_code = 127 if isinstance(exc, FileNotFoundError) else 126
            reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            session.output = f"exec: {argv[0]!r}: {reason}\n"
            session.finished.set()
        else:
            threading.Thread(
                target=self._collect, args=(session,), name="ecs-exec", daemon=True
            ).start()
        with self._lock:
            self._sessions[session.session_id] = session
            while len(self._sessions) > _MAX_KEPT_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def _collect(self, session: ExecSession) -> None:
        init = session.init
        assert init is not None
        out, code = init.wait_for_command(self._max_seconds)
        if code is None:
            # Ran too long: it and everything it started end now.
            init.kill_all()
            init.popen.wait()
            code = docker_style_exit_code(init.popen.returncode)
        start_error = init.start_error()
        if start_error is not None:
            out = f"exec: {session.argv0!r}: {start_error}\n".encode()
        session.output = out.decode("utf-8", errors="replace")
        session.exit_code = code
        session.finished.set()
        # What the command left running keeps running until the task stops (kill_task).
        init.popen.wait()
        init.close()

    def wait(self, session_id: str, timeout: float | None = None) -> dict[str, Any] | None:
        """The session's result once its command ended; None for an unknown session.

        A command still running after ``timeout`` seconds is reported with exitCode None.
        """
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            return None
        limit = self._max_seconds if timeout is None else min(timeout, self._max_seconds)
        session.finished.wait(limit)
        return session.result()

    def kill_task(self, task_arn: str) -> None:
        """The task stopped: its exec commands end with it, as in ECS."""
        with self._lock:
            sessions = [s for s in self._sessions.values() if s.task_arn == task_arn]
        for session in sessions:
            # Finished or not: what its command left running ends with the task too.
            if session.init is not None:
                session.init.kill_all()

    def close(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            if session.init is not None:
                session.init.kill_all()
