"""Files only their owner can read: where an embedded ECS writes its credentials.

A record is a 0600 file in a 0700 directory of this user, written whole under a temporary name
and renamed into place, so no reader ever sees half of it and no other user sees any of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def owned_privately(path: Path, kind: int) -> bool:
    """``path`` is a ``kind`` (``stat.S_IFDIR``, ``stat.S_IFREG``; not a link) that this user
    owns and nobody else can write."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_IFMT(info.st_mode) == kind
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def private_directory(directory: Path) -> bool:
    """Makes ``directory`` (and its parents) if needed and leaves it 0700; False when it is
    not this user's own (then nothing secret may go in it)."""
    with contextlib.suppress(OSError):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not owned_privately(directory, stat.S_IFDIR):
        return False
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)
    return True


def write_private_json(path: Path, data: Mapping[str, Any]) -> None:
    """Writes ``data`` as JSON to ``path``, a 0600 file in a 0700 directory; raises
    PermissionError when the directory is not this user's own."""
    if not private_directory(path.parent):
        raise PermissionError(f"{path.parent} is not a directory only this user can write")
    # mkstemp creates the file 0600, whatever the umask.
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w") as record:
            json.dump(data, record)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
