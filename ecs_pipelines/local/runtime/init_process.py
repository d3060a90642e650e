"""The server's handle on one container's init process (``container_init.py``).

Starting a container means starting its init process, which starts the command. From here the
server can signal the main process (SIGTERM goes to the init process, which forwards it to the
main process only), ask for every process of the container to be killed, and read why the
command could not be started.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ecs_pipelines.local.runtime.container_init import (
    COMMAND_EXITED,
    KILL_REQUEST,
    PEAK_MEMORY,
    SESSION_FLAG,
    START_ERROR,
    descendants,
)
from ecs_pipelines.local.runtime.container_plan import docker_style_exit_code

INIT_SCRIPT = Path(__file__).with_name("container_init.py")


class InitProcess:
    """A running ``container_init.py`` and the server's end of its control socket."""

    def __init__(self, popen: subprocess.Popen[bytes], control: socket.socket) -> None:
        self.popen = popen
        self._control = control
        self._received = b""
        self._start_error: str | None = None
        self._command_code: int | None = None
        # The largest resident memory of any process of the container (M<KiB> at its exit).
        self.peak_memory_bytes: int | None = None
        self._partial_output = bytearray()

    @classmethod
    def spawn(
        cls,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | None,
        session: bool = False,
    ) -> InitProcess:
        """Start ``argv`` under an init process; raises what Popen raises (OSError, ValueError).

        Its output (and the command's, stderr merged in) is ``popen.stdout``. ``session``: an
        ECS Exec command, whose leftovers live until ``kill_all`` (the task stops). The init
        process leads a session of its own, so no terminal signal reaches it.
        """
        server_end, init_end = socket.socketpair()
        # -I: ignore PYTHON* variables and user site-packages of the container's environment;
        # -S: no site import, so the init process starts in milliseconds.
        init = [sys.executable, "-I", "-S", str(INIT_SCRIPT), str(init_end.fileno())]
        if session:
            init.append(SESSION_FLAG)
        try:
            popen = subprocess.Popen(
                [*init, "--", *argv],
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                pass_fds=(init_end.fileno(),),
            )
        except BaseException:
            server_end.close()
            raise
        finally:
            init_end.close()
        server_end.setblocking(False)
        return cls(popen, server_end)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def terminate(self) -> None:
        """SIGTERM for the main process (forwarded by the init process, as ``docker stop``)."""
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(signal.SIGTERM)

    def kill_all(self) -> None:
        """SIGKILL every process of the container; the init process then exits."""
        with contextlib.suppress(OSError):
            self._control.send(KILL_REQUEST)

    def force_kill(self) -> None:
        """Last resort for an init process that does not answer: SIGKILL it and its processes.

        Its descendants go first: once it is gone they would be orphans of the host's init.
        """
        for pid in descendants(self.popen.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def start_error(self) -> str | None:
        """Why the command could not be started (known once the init process has exited)."""
        self._receive()
        return self._start_error

    def wait_for_command(self, timeout: float) -> tuple[bytes, int | None]:
        """A session's output, once its end of file, and its command's exit code.

        The code is None when ``timeout`` runs out first (what was read so far is returned).
        """
        deadline = time.monotonic() + timeout
        output = self._read_to_end(deadline)
        if output is None:
            return bytes(self._partial_output), None
        return output, self._command_exit(deadline)

    def _read_to_end(self, deadline: float) -> bytes | None:
        stdout = self.popen.stdout
        assert stdout is not None
        self._partial_output = bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while (remaining := deadline - time.monotonic()) > 0:
                if selector.select(remaining):
                    data = os.read(stdout.fileno(), 65536)
                    if not data:
                        return bytes(self._partial_output)
                    self._partial_output += data
        return None

    def _command_exit(self, deadline: float) -> int | None:
        """The X<code> a session's init process reports, or its own exit status."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._control, selectors.EVENT_READ)
            while True:
                self._receive()
                if self._command_code is not None:
                    return self._command_code
                if self.popen.poll() is not None:
                    self._receive()
                    if self._command_code is not None:
                        return self._command_code
                    return docker_style_exit_code(self.popen.returncode)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                # The init process exits without a word when it is killed: poll for that too.
                selector.select(min(remaining, 0.05))

    def _receive(self) -> None:
        """Take in what the init process has written: E<reason> and X<code> lines."""
        while True:
            try:
                data = self._control.recv(65536)
            except (BlockingIOError, OSError):
                break
            if not data:
                break
            self._received += data
        *lines, self._received = self._received.split(b"\n")
        for line in lines:
            if line.startswith(START_ERROR):
                self._start_error = line[len(START_ERROR) :].decode("utf-8", errors="replace")
            elif line.startswith(COMMAND_EXITED) and line[1:].isdigit():
                self._command_code = int(line[1:])
            elif line.startswith(PEAK_MEMORY) and line[1:].isdigit():
                self.peak_memory_bytes = int(line[1:]) * 1024

    def close(self) -> None:
        """Release the control socket (the init process reads end of file: all processes die)
        and the output pipe."""
        self._control.close()
        if self.popen.stdout is not None:
            self.popen.stdout.close()
