"""The key store: the server's key pair and the role credentials it issues to tasks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from ecs_pipelines.local.auth import AccessKeyStore, IssuedKey, new_server_keys

TASK = "arn:aws:ecs:us-east-1:123456789012:task/demo/0123"
ROLE = "arn:aws:iam::123456789012:role/demo"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_task_key_shaped_like_the_servers_is_looked_up_apart() -> None:
    """Key ids look like AWS's: AKIA (server) and ASIA (task) plus 16 base32 characters, and a
    40-character secret; each server start makes a new pair."""
    first, second = new_server_keys(), new_server_keys()
    assert first != second
    for pair in (first, second):
        assert len(pair.access_key_id) == 20 and pair.access_key_id.startswith("AKIA")
        assert set(pair.access_key_id[4:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        assert len(pair.secret_access_key) == 40
        assert pair.secret_access_key not in repr(pair)
    store = AccessKeyStore(first)
    task_key: IssuedKey = store.issue_task_key(TASK, ROLE)
    assert task_key.access_key_id.startswith("ASIA") and len(task_key.access_key_id) == 20
    assert store.lookup(task_key.access_key_id) == task_key
    assert store.lookup(first.access_key_id) is not None
    assert store.lookup(second.access_key_id) is None
    assert task_key.session_token is not None
    assert task_key.session_token not in repr(task_key)


def test_a_task_asking_again_gets_the_same_credentials_until_near_their_expiry() -> None:
    """The credentials endpoint answers a task's current credentials, and new ones once less
    than half an hour of them is left (the old ones stay valid until they expire)."""
    clock = Clock()
    store = AccessKeyStore(new_server_keys(), clock=clock)
    first = store.credentials_for_task(TASK, ROLE)
    assert first.expires_at == clock.now + timedelta(hours=6)
    clock.now += timedelta(hours=5)
    assert store.credentials_for_task(TASK, ROLE) == first
    clock.now += timedelta(minutes=40)
    renewed = store.credentials_for_task(TASK, ROLE)
    assert renewed != first and store.lookup(first.access_key_id) == first
    assert store.credentials_for_task("arn:aws:ecs:us-east-1:123456789012:task/demo/9", ROLE) != (
        renewed
    )


def test_expired_task_keys_are_dropped_and_the_store_is_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Expired task keys are forgotten when new ones are issued; past the bound the oldest is
    dropped, and a warning says so."""
    clock = Clock()
    store = AccessKeyStore(new_server_keys(), clock=clock, max_task_keys=2)
    old = store.issue_task_key(TASK, ROLE, validity=timedelta(minutes=1))
    clock.now += timedelta(minutes=2)
    kept = [store.issue_task_key(f"{TASK}{i}", ROLE) for i in range(2)]
    assert store.lookup(old.access_key_id) is None
    assert not caplog.records
    with caplog.at_level(logging.WARNING):
        newest = store.issue_task_key(f"{TASK}new", ROLE)
    assert store.lookup(kept[0].access_key_id) is None
    assert store.lookup(kept[1].access_key_id) == kept[1]
    assert store.lookup(newest.access_key_id) == newest
    assert "dropped" in caplog.text and kept[0].access_key_id in caplog.text
    assert kept[0].secret_access_key not in caplog.text


def test_assumed_role_keys_act_in_the_roles_account_and_task_keys_in_the_tasks() -> None:
    """A key STS AssumeRole issued is looked up with the role's account; a task's key carries
    its task's account; the server's own key names none (it may act in any)."""
    clock = Clock()
    store = AccessKeyStore(new_server_keys(), clock=clock)
    assumed = store.register_assumed_role(
        access_key_id="ASIAEXAMPLEASSUMED01",
        secret_access_key="s" * 40,
        session_token="token",
        expires_at=clock.now + timedelta(minutes=15),
        role_arn="arn:aws:iam::111122223333:role/launcher",
        principal="arn:aws:sts::111122223333:assumed-role/launcher/nightly",
        account_id="111122223333",
    )
    assert store.lookup("ASIAEXAMPLEASSUMED01") == assumed
    assert assumed.account_id == "111122223333" and not assumed.is_server_key
    other_task = "arn:aws:ecs:us-east-1:444455556666:task/demo/0123"
    assert store.issue_task_key(other_task, ROLE).account_id == "444455556666"
    server = store.lookup(store.server.access_key_id)
    assert server is not None and server.account_id is None
    clock.now += timedelta(minutes=15)
    assert assumed.expired(clock.now)


def test_assumed_role_lifetime_is_as_asked_unless_the_server_caps_it() -> None:
    """DurationSeconds is issued as asked; a server started with a cap (for tests of renewal)
    issues at most the cap."""
    store = AccessKeyStore(new_server_keys())
    assert store.assumed_role_seconds(3600) == 3600
    store.assumed_role_max_seconds = 2
    assert store.assumed_role_seconds(900) == 2
