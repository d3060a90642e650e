"""ECS Exec sessions: a command run inside a task's container, collected for the stream URL.

Real ECS hands back a Session Manager websocket. Locally the command runs as a host process
with the container's environment and working directory, and ``GET <streamUrl>`` returns its
exit code and output once it ends. One short-lived thread per session waits on the process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import signal
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# How long a command may run, and how long a reader may wait for it (ECS Exec is interactive,
# so anything longer is almost certainly stuck).
MAX_SESSION_SECONDS = 300.0
# Finished sessions kept for late readers; the oldest are dropped first.
_MAX_KEPT_SESSIONS = 1000


class ExecCommandError(ValueError):
    """The command string cannot be run (empty, or unbalanced quotes)."""


@dataclass
class ExecSession:
    session_id: str
    task_arn: str
    container_name: str
    finished: threading.Event = field(default_factory=threading.Event)
    exit_code: int | None = None
    output: str = ""
    popen: subprocess.Popen[bytes] | None = None

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
        )
        try:
            session.popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(environment),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            # What a shell in the container would answer.
            session.exit_code = 127 if isinstance(exc, FileNotFoundError) else 126
            session.output = f"exec: {argv[0]!r}: {exc.strerror}\n"
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
        popen = session.popen
        assert popen is not None
        try:
            out, _ = popen.communicate(timeout=self._max_seconds)
        except subprocess.TimeoutExpired:
            _kill_group(popen)
            out, _ = popen.communicate()
        session.output = out.decode("utf-8", errors="replace")
        session.exit_code = 128 - popen.returncode if popen.returncode < 0 else popen.returncode
        session.finished.set()

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
            if session.popen is not None and not session.finished.is_set():
                _kill_group(session.popen)

    def close(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            if session.popen is not None and not session.finished.is_set():
                _kill_group(session.popen)


def _kill_group(popen: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, signal.SIGKILL)
