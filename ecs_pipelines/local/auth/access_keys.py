"""The credentials an embedded ECS knows: its own key pair, and the role credentials of tasks.

Each server makes its own key pair when it starts (``new_server_keys``), shaped like AWS's: a
20-character access key id starting ``AKIA`` in AWS's alphabet, and a 40-character secret. A
task with a task role gets temporary credentials (``ASIA`` id, secret, session token, an
expiration) from the credentials endpoint, issued here per task. STS AssumeRole's credentials
(made by moto) are registered here too, with the role's account. ``AccessKeyStore`` is what
the request verifier (``sigv4.py``) looks keys up in.

Every key acts in one account: a task's key in its task's, an assumed role's in the role's.
The server's own pair is the embedded ECS's administrator: it acts in the default account,
or in the one a request names (``account_id`` None).

No moto and no WSGI here: the CLI reads and writes key pairs through this module.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_log = logging.getLogger(__name__)

# AWS access key ids are upper-case letters and the digits 2-7 (base32), 20 characters with a
# 4-letter prefix: AKIA for long-term keys, ASIA for temporary ones (IAM user guide, "Unique
# identifiers": the prefixes).
_KEY_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
# ECS hands out role credentials valid for hours and renews them before they expire; the SDKs
# fetch again when the expiration is near (botocore: 15 minutes before it).
TASK_KEY_VALIDITY = timedelta(hours=6)
# A task asking again with less than this left gets new credentials.
_RENEW_WHEN_LEFT = timedelta(minutes=30)
# Temporary keys (tasks' and assumed roles') kept at most (expired ones go first); the oldest
# are dropped past it, with a log.
MAX_TASK_KEYS = 10_000


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class KeyPair:
    """Long-term credentials: what a client of the embedded ECS signs with."""

    access_key_id: str
    secret_access_key: str = field(repr=False)

    def boto3_kwargs(self) -> dict[str, str]:
        """For ``boto3.client(..., **pair.boto3_kwargs())`` (and EcsResource's fields)."""
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }

    def environment(self) -> dict[str, str]:
        """The variables every SDK reads them from."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def to_record(self) -> dict[str, str]:
        return {
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }

    @classmethod
    def from_record(cls, record: Any) -> KeyPair | None:
        """The pair a state record holds; None when it holds none (or not as strings)."""
        if not isinstance(record, dict):
            return None
        key_id, secret = record.get("access_key_id"), record.get("secret_access_key")
        if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
            return None
        return cls(key_id, secret)


def new_server_keys() -> KeyPair:
    """A fresh key pair for a server, from ``secrets``."""
    return KeyPair("AKIA" + _random(_KEY_ID_ALPHABET, 16), _random(_SECRET_ALPHABET, 40))


@dataclass(frozen=True)
class IssuedKey:
    """A key the server accepts signatures from: its own (``principal`` "server", no token,
    no expiry), a task's role credentials (``principal`` the task ARN) or an assumed role's
    (``principal`` the assumed-role ARN). ``account_id``: the only account the key acts in
    (None for the server's own key, which may act in any)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    principal: str
    session_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    role_arn: str | None = None
    account_id: str | None = None

    @property
    def is_server_key(self) -> bool:
        return self.principal == SERVER_PRINCIPAL

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def boto3_kwargs(self) -> dict[str, str]:
        kwargs = {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        if self.session_token is not None:
            kwargs["aws_session_token"] = self.session_token
        return kwargs


SERVER_PRINCIPAL = "server"


class AccessKeyStore:
    """The server's key pair and the task keys it issued, looked up by access key id.

    Thread safe (the HTTP server answers on many threads). Temporary keys are kept until they
    expire, at most ``max_task_keys`` of them: past that the oldest is dropped, and a warning
    says so (a task holding it then gets refused and fetches new credentials).

    ``assumed_role_max_seconds`` shortens what AssumeRole issues below STS's own 900 s
    minimum, whatever DurationSeconds asks: for tests of credentials renewed during a wait
    (``local serve --assumed-role-max-seconds``). None: DurationSeconds as asked.
    """

    def __init__(
        self,
        server: KeyPair,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_task_keys: int = MAX_TASK_KEYS,
        assumed_role_max_seconds: int | None = None,
    ) -> None:
        self.server = server
        self.assumed_role_max_seconds = assumed_role_max_seconds
        self._server_key = IssuedKey(
            server.access_key_id, server.secret_access_key, SERVER_PRINCIPAL
        )
        self._clock = clock
        self._max = max_task_keys
        self._lock = threading.Lock()
        self._task_keys: OrderedDict[str, IssuedKey] = OrderedDict()  # oldest first
        self._latest_for_task: dict[str, str] = {}

    def lookup(self, access_key_id: str) -> IssuedKey | None:
        if secrets.compare_digest(access_key_id.encode(), self.server.access_key_id.encode()):
            return self._server_key
        with self._lock:
            return self._task_keys.get(access_key_id)

    def credentials_for_task(self, task_arn: str, role_arn: str) -> IssuedKey:
        """The task's current role credentials, renewed when little of their validity is left
        (the earlier ones stay valid until they expire, as on ECS)."""
        now = self._clock()
        with self._lock:
            latest = self._task_keys.get(self._latest_for_task.get(task_arn, ""))
        if (
            latest is not None
            and latest.role_arn == role_arn
            and latest.expires_at is not None
            and latest.expires_at - now > _RENEW_WHEN_LEFT
        ):
            return latest
        return self.issue_task_key(task_arn, role_arn)

    def issue_task_key(
        self, task_arn: str, role_arn: str, *, validity: timedelta = TASK_KEY_VALIDITY
    ) -> IssuedKey:
        """New random role credentials for ``task_arn``, valid for ``validity``."""
        key = IssuedKey(
            access_key_id="ASIA" + _random(_KEY_ID_ALPHABET, 16),
            secret_access_key=_random(_SECRET_ALPHABET, 40),
            principal=task_arn,
            session_token=secrets.token_urlsafe(96),
            expires_at=(self._clock() + validity).replace(microsecond=0),
            role_arn=role_arn,
            account_id=task_arn.split(":")[4],
        )
        self._add(key)
        with self._lock:
            self._latest_for_task[task_arn] = key.access_key_id
        return key

    def assumed_role_seconds(self, requested: int) -> int:
        """How long AssumeRole's credentials live when ``requested`` seconds are asked."""
        if self.assumed_role_max_seconds is None:
            return requested
        return min(requested, self.assumed_role_max_seconds)

    def register_assumed_role(
        self,
        *,
        access_key_id: str,
        secret_access_key: str,
        session_token: str,
        expires_at: datetime,
        role_arn: str,
        principal: str,
        account_id: str,
    ) -> IssuedKey:
        """Accept signatures by credentials STS AssumeRole issued, in the role's account, until
        they expire."""
        key = IssuedKey(
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            principal=principal,
            session_token=session_token,
            expires_at=expires_at,
            role_arn=role_arn,
            account_id=account_id,
        )
        self._add(key)
        return key

    def _add(self, key: IssuedKey) -> None:
        with self._lock:
            self._drop_expired()
            while len(self._task_keys) >= self._max:
                dropped_id, dropped = self._task_keys.popitem(last=False)
                _log.warning(
                    "embedded ECS: more than %d temporary credentials held; dropped %s of %s",
                    self._max,
                    dropped_id,
                    dropped.principal,
                )
            self._task_keys[key.access_key_id] = key

    def _drop_expired(self) -> None:
        now = self._clock()
        for key_id in [k for k, key in self._task_keys.items() if key.expired(now)]:
            del self._task_keys[key_id]
        live = set(self._task_keys)
        for task_arn in [t for t, k in self._latest_for_task.items() if k not in live]:
            del self._latest_for_task[task_arn]
