"""One embedded ECS per checkout: which server belongs to the project directory in use.

A checkout (the nearest directory, from the working directory up, that holds a
``pyproject.toml``; else the checkout this package runs from, if any; else, for a package
installed from a wheel, the working directory) records its server in
``<checkout>/.ecs-pipelines/local-ecs.json``: endpoint, instance id, pid and the server's key
pair (a 0600 file in a 0700 directory: only this user reads the keys). ``make run`` and
``make ui`` reuse that server while it answers with the same instance id, and otherwise start
a new one on a free port; they never adopt a server another checkout started, and
``ecs-pipelines local stop`` stops this checkout's server only. ``ECS_PIPELINES_ENDPOINT_URL``
still names any endpoint explicitly.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecs_pipelines.ecs.common import Deadline, Pace, poll_until
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving import private_directory, write_private_json

STATE_DIRNAME = ".ecs-pipelines"
RECORD_NAME = "local-ecs.json"
START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class CheckoutServer:
    """The embedded ECS a checkout started, and the keys it accepts."""

    endpoint_url: str
    instance: str
    pid: int
    credentials: KeyPair


# Where the package runs from: a checkout of this project (an editable install), or a
# site-packages directory (a wheel), which is no project of anyone's.
PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def checkout_root(start: Path | None = None, package_parent: Path = PACKAGE_PARENT) -> Path:
    """The project directory in use: the nearest one from ``start`` (the working directory)
    up that holds a pyproject.toml, else the checkout this package runs from, else (a wheel's
    site-packages is no project) the working directory."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "pyproject.toml").is_file():
            return directory
    return package_parent if is_source_checkout(package_parent) else here


def is_source_checkout(root: Path) -> bool:
    """True when ``root`` is a checkout of this project, where `make run` and `make ui` are."""
    return (root / "Makefile").is_file() and (root / "ecs_pipelines" / "demo").is_dir()


def no_server_message(root: Path) -> str:
    """Says that ``root`` has no embedded ECS running, and what starts one there."""
    if is_source_checkout(root):
        return f"no embedded ECS runs for the checkout {root}: `make run` or `make ui` starts one"
    return (
        f"no embedded ECS runs for the project directory {root}: `ecs-pipelines local serve "
        f"--port 0 --checkout {root}` starts one"
    )


def record_path(root: Path) -> Path:
    return root / STATE_DIRNAME / RECORD_NAME


def health(endpoint_url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The embedded ECS's health answer at ``endpoint_url``; None when none answers ready."""
    url = endpoint_url.rstrip("/") + "/_local/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):  # HTTPError: starting, or not ours
        return None
    return answer if isinstance(answer, dict) else None


def recorded_server(root: Path) -> CheckoutServer | None:
    """The checkout's server, when its record is readable and that very server answers."""
    try:
        record = json.loads(record_path(root).read_text())
        credentials = KeyPair.from_record(record["credentials"])
        if credentials is None:
            return None  # written before servers had keys: that server is no use now
        server = CheckoutServer(
            str(record["endpoint_url"]), str(record["instance"]), int(record["pid"]), credentials
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    answer = health(server.endpoint_url)
    if answer is None or answer.get("instance") != server.instance:
        return None  # gone, or another server took its port: never adopt it
    return server


def write_record(root: Path, server: CheckoutServer) -> Path:
    """Records ``server`` as the checkout's: a 0600 file in a 0700 directory, written whole,
    then renamed into place."""
    path = record_path(root)
    private_directory(path.parent)
    (path.parent / ".gitignore").write_text("*\n")
    record = {
        "endpoint_url": server.endpoint_url,
        "instance": server.instance,
        "pid": server.pid,
        "credentials": server.credentials.to_record(),
    }
    write_private_json(path, record)
    return path


def forget_record(root: Path, instance: str) -> None:
    """Drops the checkout's record if it still names ``instance``."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        if json.loads(record_path(root).read_text())["instance"] == instance:
            record_path(root).unlink()


def start_server(root: Path, timeout: float = START_TIMEOUT_SECONDS) -> CheckoutServer:
    """Starts ``ecs-pipelines local serve --port 0`` for the checkout in its own session (it
    outlives this process; ``local stop`` ends it) and returns once it answers."""
    state = root / STATE_DIRNAME
    private_directory(state)
    log_path = state / "local-ecs.log"
    command = [sys.executable, "-m", "ecs_pipelines.cli", "local", "serve", "--port", "0"]
    command += ["--checkout", str(root)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={k: v for k, v in os.environ.items() if k != "ECS_PIPELINES_ENDPOINT_URL"},
        )

    def started() -> CheckoutServer | None:
        server = recorded_server(root)
        if server is not None and server.pid == process.pid:
            return server
        if process.poll() is not None:
            raise RuntimeError(
                f"embedded ECS exited with {process.returncode} before serving (see {log_path})"
            )
        return None

    def timed_out() -> RuntimeError:
        process.terminate()
        return RuntimeError(f"embedded ECS did not answer within {timeout:g} s (see {log_path})")

    return poll_until(
        started, deadline=Deadline.after(timeout), on_timeout=timed_out, pace=Pace(0.1, 0.5)
    )
