"""A container's init process on its own: exit status, start errors, killing every process."""

from __future__ import annotations

import select
import time
from pathlib import Path

import pytest

from ecs_pipelines.local.runtime.container_start import host_environment
from ecs_pipelines.local.runtime.init_process import InitProcess
from ecs_pipelines_tests.local.local_ecs_tools import (
    daemonizing_command,
    process_gone,
)
from ecs_pipelines_tests.support.polling import wait_until


def _spawn(argv: list[str], cwd: Path) -> InitProcess:
    return InitProcess.spawn(argv, env=host_environment(), cwd=str(cwd))


def _pids(init: InitProcess, *names: str, timeout: float = 15.0) -> dict[str, int]:
    """``{name: pid}`` from "<name> <pid>" lines of the init process's output."""
    assert init.popen.stdout is not None
    found: dict[str, int] = {}
    buffer = b""
    deadline = time.monotonic() + timeout
    while set(found) != set(names):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {names} pids in the output within {timeout} s: {buffer!r}"
        ready, _, _ = select.select([init.popen.stdout], [], [], remaining)
        if ready:
            buffer += init.popen.stdout.read1(4096)
        for line in buffer.decode().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in names:
                found[parts[0]] = int(parts[1])
    return found


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("import sys; sys.exit(0)", 0),
        ("import sys; sys.exit(3)", 3),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", 137),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", 143),
    ],
)
def test_exit_status_is_the_main_process_status(tmp_path: Path, script: str, expected: int) -> None:
    """The init process exits with its main process's status; killed by signal N is 128 + N."""
    init = _spawn(["python", "-c", script], tmp_path)
    assert init.popen.wait(timeout=30) == expected
    assert init.start_error() is None
    init.close()


def test_command_that_cannot_be_executed_is_a_start_error(tmp_path: Path) -> None:
    """A command the kernel cannot execute (its interpreter is missing) is reported as a start
    error with the system's reason, and the init process exits 127 as a shell would."""
    script = tmp_path / "tool"
    script.write_text("#!/no/such/interpreter\n")
    script.chmod(0o755)
    init = _spawn([str(script)], tmp_path)
    assert init.popen.wait(timeout=30) == 127
    assert init.start_error() == "No such file or directory"
    init.close()


def test_kill_request_ends_every_process_even_one_outside_the_session(tmp_path: Path) -> None:
    """Asked to kill its container, the init process SIGKILLs the main process and a daemon
    that called setsid, and exits 137 (the main process's SIGKILL)."""
    init = _spawn(daemonizing_command(exit_main=False), tmp_path)
    pids = _pids(init, "main", "daemon")
    init.kill_all()
    assert init.popen.wait(timeout=30) == 137
    init.close()
    wait_until(lambda: all(process_gone(p) for p in pids.values()), what=f"{pids} to be gone")


def test_server_gone_ends_every_process(tmp_path: Path) -> None:
    """When the server's end of the control socket closes (the server died), the container's
    processes are killed, a daemon that left the session included."""
    init = _spawn(daemonizing_command(exit_main=False), tmp_path)
    pids = _pids(init, "main", "daemon")
    init.close()
    assert init.popen.wait(timeout=30) == 137
    wait_until(lambda: all(process_gone(p) for p in pids.values()), what=f"{pids} to be gone")


def test_main_exit_takes_leftover_processes_with_it(tmp_path: Path) -> None:
    """When the main process exits, its remaining descendants die and its status is kept."""
    init = _spawn(daemonizing_command(exit_main=True), tmp_path)
    pids = _pids(init, "main", "daemon")
    assert init.popen.wait(timeout=30) == 0
    init.close()
    wait_until(lambda: process_gone(pids["daemon"]), what="the daemon to be gone")
