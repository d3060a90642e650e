"""The state file that proves an embedded ECS is this user's own (what `local stop` trusts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_pipelines.local.instance import (
    STATE_DIR_ENV,
    new_instance_id,
    record_server,
    why_not_own_server,
)


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv(STATE_DIR_ENV, str(directory))
    return directory


def test_a_recorded_live_server_is_own(state_dir: Path) -> None:
    """The (instance, pid) a running server recorded is accepted; its file is private."""
    instance = new_instance_id()
    path = record_server(instance, os.getpid(), "http://127.0.0.1:1")
    assert path is not None and path.parent == state_dir
    assert path.stat().st_mode & 0o077 == 0
    assert why_not_own_server(instance, os.getpid()) is None


@pytest.mark.parametrize(
    ("instance", "pid"),
    [("../../etc/passwd", 1), ("0" * 32, 1), (None, 1), ("0" * 32, "1"), ("0" * 32, True)],
)
def test_unrecorded_or_malformed_answers_are_refused(
    state_dir: Path, instance: object, pid: object
) -> None:
    """Ids that are not this host's records, or not ids at all, are refused with a reason."""
    assert why_not_own_server(instance, pid)


def test_a_record_naming_another_pid_is_refused(state_dir: Path) -> None:
    """A health answer pairing a recorded instance with another pid is refused."""
    instance = new_instance_id()
    record_server(instance, os.getpid(), "http://127.0.0.1:1")
    assert why_not_own_server(instance, 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="start times come from /proc")
def test_a_record_outliving_its_server_is_refused(state_dir: Path) -> None:
    """Once the recorded server is gone its pid proves nothing (it may be reused)."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    instance = new_instance_id()
    record_server(instance, gone.pid, "http://127.0.0.1:1")
    gone.wait()
    assert "no longer" in (why_not_own_server(instance, gone.pid) or "")


def test_no_record_is_kept_where_others_can_write(state_dir: Path) -> None:
    """A state directory others can write is not trusted: nothing is recorded there."""
    state_dir.mkdir(mode=0o700)
    state_dir.chmod(0o777)
    assert record_server(new_instance_id(), os.getpid(), "http://127.0.0.1:1") is None
