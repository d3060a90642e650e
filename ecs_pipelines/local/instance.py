"""Proof that an embedded ECS answering at some URL is a server this user started on this host.

Every ``LocalEcs`` has a random instance id that its health route reports with its pid.
``ecs-pipelines local serve`` records both in a state file, in a directory only this user can
write; ``ecs-pipelines local stop`` signals the pid a health answer names only when such a file
vouches for that (instance, pid) pair, and the process still is the one that wrote it. An
endpoint on another host, or anything else answering there, cannot produce that file, so it
cannot make ``local stop`` signal an arbitrary process.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from pathlib import Path

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


def _private(path: Path, kind: int) -> bool:
    """``path`` is a ``kind`` (not a link) that this user owns and nobody else can write."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_IFMT(info.st_mode) == kind
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def record_server(instance: str, pid: int, endpoint_url: str) -> Path | None:
    """Write the state file for a server this process runs; None when it cannot be made safely
    (then ``local stop`` refuses that server, and the user stops it with a signal)."""
    directory = state_dir()
    with contextlib.suppress(OSError):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private(directory, stat.S_IFDIR):
        return None
    path = directory / f"{instance}.json"
    record = {
        "instance": instance,
        "pid": pid,
        "started": process_start_time(pid),
        "endpoint_url": endpoint_url,
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    with os.fdopen(fd, "w") as state:
        json.dump(record, state)
    return path


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
    if not _private(path, stat.S_IFREG):
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
