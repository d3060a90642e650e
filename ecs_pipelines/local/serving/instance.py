"""Proof that an embedded ECS answering at some URL is a server this user started on this host,
and the credentials it accepts.

Every ``LocalEcs`` has a random instance id that its health route reports with its pid, and
records in a state file (0600, in a 0700 directory of this user) its endpoint and its key
pair: a client that names the endpoint (``ECS_PIPELINES_ENDPOINT_URL``) finds the keys there,
through the instance id the health route answers (``recorded_credentials``).
``ecs-pipelines local serve`` also records its pid: ``ecs-pipelines local stop`` signals the
pid a health answer names only when such a file vouches for that (instance, pid) pair, and the
process still is the one that wrote it. An endpoint on another host, or anything else answering
there, cannot produce that file, so it cannot make ``local stop`` signal an arbitrary process,
nor be handed this user's keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from pathlib import Path

from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving.private_files import owned_privately, private_directory

STATE_DIR_ENV = "ECS_PIPELINES_STATE_DIR"
_INSTANCE_ID = re.compile(r"[0-9a-f]{32}")


def new_instance_id() -> str:
    return secrets.token_hex(16)


def state_dir() -> Path:
    """Where servers are recorded: $ECS_PIPELINES_STATE_DIR, else the user's runtime or cache
    directory (never a shared temporary directory, where others could plant files)."""
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.environ[STATE_DIR_ENV])
    if os.environ.get("XDG_RUNTIME_DIR"):
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "ecs-pipelines"
    return Path.home() / ".cache" / "ecs-pipelines" / "run"


def process_start_time(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot, Linux), to tell it from a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            return stat_file.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def record_server(
    instance: str, pid: int | None, endpoint_url: str, credentials: KeyPair
) -> Path | None:
    """Write the state file of a server this process runs (``pid`` None: `local stop` may not
    signal this process to stop it); None when it cannot be made safely (then `local stop`
    refuses that server, and clients of its endpoint find no credentials for it)."""
    directory = state_dir()
    if not private_directory(directory):
        return None
    path = directory / f"{instance}.json"
    record = {
        "instance": instance,
        "pid": pid,
        "started": None if pid is None else process_start_time(pid),
        "endpoint_url": endpoint_url,
        "credentials": credentials.to_record(),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    with os.fdopen(fd, "w") as state:
        json.dump(record, state)
    return path


def recorded_credentials(instance: object, endpoint_url: str) -> KeyPair | None:
    """The key pair of the server ``instance`` (as its health route names it), when this
    user's state record of it says it serves ``endpoint_url``; else None."""
    if not isinstance(instance, str) or not _INSTANCE_ID.fullmatch(instance):
        return None
    path = state_dir() / f"{instance}.json"
    if not owned_privately(path, stat.S_IFREG):
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("instance") != instance:
        return None
    if _same_endpoint(record.get("endpoint_url"), endpoint_url):
        return KeyPair.from_record(record.get("credentials"))
    return None


def _same_endpoint(recorded: object, given: str) -> bool:
    return isinstance(recorded, str) and recorded.rstrip("/") == given.rstrip("/")


def forget_server(instance: str) -> None:
    with contextlib.suppress(OSError):
        (state_dir() / f"{instance}.json").unlink()


def why_not_own_server(instance: object, pid: object) -> str | None:
    """Why a health answer's (instance, pid) is not provably a server this user started on
    this host; None when it is."""
    if not isinstance(instance, str) or not _INSTANCE_ID.fullmatch(instance):
        return "its health answer carries no instance id of an embedded ECS"
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return "its health answer carries no process id"
    path = state_dir() / f"{instance}.json"
    if not owned_privately(path, stat.S_IFREG):
        return (
            f"no record of it in {path.parent} (it runs on another host, as another user, "
            "or was not started with `ecs-pipelines local serve`)"
        )
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return f"its record {path} cannot be read"
    if record.get("instance") != instance or record.get("pid") != pid:
        return f"its record {path} names another process"
    started = record.get("started")
    if started is not None and process_start_time(pid) != started:
        # The recorded server is gone and its pid belongs to some other process now.
        forget_server(instance)
        return f"process {pid} is no longer the server recorded in {path}"
    return None
