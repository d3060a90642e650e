"""The state file that proves an embedded ECS is this user's own (what `local stop` trusts), and
holds its keys for the clients of its endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_pipelines.local.auth import new_server_keys
from ecs_pipelines.local.serving.instance import (
    STATE_DIR_ENV,
    new_instance_id,
    record_server,
    recorded_credentials,
    why_not_own_server,
)

KEYS = new_server_keys()


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv(STATE_DIR_ENV, str(directory))
    return directory


def test_a_recorded_live_server_is_own(state_dir: Path) -> None:
    """The (instance, pid) a running server recorded is accepted; its file is private."""
    instance = new_instance_id()
    path = record_server(instance, os.getpid(), "http://127.0.0.1:1", KEYS)
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
    record_server(instance, os.getpid(), "http://127.0.0.1:1", KEYS)
    assert why_not_own_server(instance, 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="start times come from /proc")
def test_a_record_outliving_its_server_is_refused(state_dir: Path) -> None:
    """Once the recorded server is gone its pid proves nothing (it may be reused)."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    instance = new_instance_id()
    record_server(instance, gone.pid, "http://127.0.0.1:1", KEYS)
    gone.wait()
    assert "no longer" in (why_not_own_server(instance, gone.pid) or "")


def test_no_record_is_kept_where_others_can_write(state_dir: Path) -> None:
    """A state directory others can write is not trusted: nothing is recorded there."""
    state_dir.mkdir(mode=0o700)
    state_dir.chmod(0o777)
    assert record_server(new_instance_id(), os.getpid(), "http://127.0.0.1:1", KEYS) is None


def test_the_record_hands_its_keys_only_to_a_client_of_its_endpoint(state_dir: Path) -> None:
    """The keys recorded for an instance are given for the endpoint it recorded, not for
    another one a health answer might name it at (another port, another host)."""
    instance = new_instance_id()
    path = record_server(instance, None, "http://127.0.0.1:4590", KEYS)
    assert path is not None and path.stat().st_mode & 0o777 == 0o600
    assert state_dir.stat().st_mode & 0o777 == 0o700
    assert recorded_credentials(instance, "http://127.0.0.1:4590/") == KEYS
    assert recorded_credentials(instance, "http://127.0.0.1:4591") is None
    assert recorded_credentials(new_instance_id(), "http://127.0.0.1:4590") is None
    assert recorded_credentials("../" + instance, "http://127.0.0.1:4590") is None


def test_a_server_recorded_without_a_pid_is_not_stop_s_to_signal(state_dir: Path) -> None:
    """A server in a process that does more (a test session) records no pid: `local stop`
    refuses it whatever pid its health answer names."""
    instance = new_instance_id()
    record_server(instance, None, "http://127.0.0.1:1", KEYS)
    assert why_not_own_server(instance, os.getpid())
