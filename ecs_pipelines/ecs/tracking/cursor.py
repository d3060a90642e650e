"""The tracking cursor: what a sensor tracks between ticks, as compact, versioned JSON.

Version 1, every member but ``v`` optional::

    {"v": 1,
     "after": 1234,                                   # caller's read position (storage id)
     "labels": ["...", ...],                          # distinct group labels
     "tasks": [[cluster, prefix, ids, sizes, label_indexes], ...],
     "seen": "<base64url of 8-byte task digests>",
     "done": "<base64url of 8-byte task digests>",    # ended (by an event), group still open
     "receipts": ["<SQS receipt handle>", ...],       # applied by the tick that wrote this
     "sweep": 12,                                      # head groups the sweep has still to do
     "swept": 1767225600}                              # when the last sweep began (epoch s)

The last four serve task state events (``tracking_events``): a cursor written without them
reads as before, and code that predates them ignores them.

``tasks`` keeps the tracked groups in visiting order, as runs of consecutive groups that share
a cluster, an ARN prefix (the task ARN up to its last ``/``) and an id form. ``ids`` packs the
run's task ids: ``"h"`` + base64url of 16 bytes per id for ECS's 32-hex ids, ``"u"`` + the same
for UUID-form ids (older ARNs, the embedded ECS), or a plain JSON list for anything else.
``sizes`` (tasks per group) is ``[]`` when every group has one task; ``label_indexes`` (into
``labels``) is left out when every group has the first label.

Why packed: Dagster stores the cursor with every tick (``job_ticks``) as well as in the sensor's
state, so its size is paid on every tick. A 32-hex id costs 21.3 bytes packed against 35 as a
JSON string (more once Dagster escapes the quotes inside its own JSON record).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import CursorError

CURSOR_VERSION = 1
DIGEST_BYTES = 8  # 64-bit digests: a collision among 10^5 remembered tasks has odds ~1e-10
_ID_BYTES = 16
_HEX32 = re.compile(r"[0-9a-f]{32}\Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


@dataclass(frozen=True)
class TaskGroup:
    """Tasks launched together (one step's launch) and reported together, in one cluster."""

    cluster: str
    task_arns: tuple[str, ...]
    label: str = ""  # what the caller needs to report the group; opaque here

    def __post_init__(self) -> None:
        if not self.task_arns:
            raise ValueError("a task group needs at least one task")


@dataclass(frozen=True)
class TrackingState:
    """Everything a sensor carries from one tick to the next."""

    groups: tuple[TaskGroup, ...] = ()
    after: int | None = None
    seen: frozenset[bytes] = field(default_factory=frozenset)
    # Task state events (``tracking_events``): digests of tasks an event showed ended whose
    # group is still open, receipt handles of the messages this state applied (deleted by
    # the tick that reads it back: that it was stored is then certain), and the sweep.
    done: frozenset[bytes] = field(default_factory=frozenset)
    receipts: tuple[str, ...] = ()
    sweep_left: int = 0
    swept_at: int | None = None

    def to_cursor(self) -> str:
        return encode(self)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> TrackingState:
        return decode(cursor)


def task_digest(task_arn: str) -> bytes:
    """A short fingerprint of a task ARN, for remembering which listed tasks were handled."""
    return hashlib.blake2b(task_arn.encode(), digest_size=DIGEST_BYTES).digest()


# --- ids ---------------------------------------------------------------------------------


def _split(arn: str) -> tuple[str, str]:
    prefix, _, task_id = arn.rpartition("/")
    return prefix, task_id


def _join(prefix: str, task_id: str) -> str:
    return f"{prefix}/{task_id}" if prefix else task_id


def _form(task_id: str) -> str:
    if _HEX32.match(task_id):
        return "h"
    return "u" if _UUID.match(task_id) else "s"


def _run_key(group: TaskGroup) -> tuple[str, str, str]:
    """(cluster, prefix, form) shared by every task of the group; plain full ARNs otherwise."""
    keys = {(_split(a)[0], _form(_split(a)[1])) for a in group.task_arns}
    if len(keys) == 1:
        prefix, form = keys.pop()
        return group.cluster, prefix, form
    return group.cluster, "", "s"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as error:
        raise CursorError(f"cursor: bad base64 ({error})") from error


def _pack(form: str, ids: Sequence[str]) -> str | list[str]:
    if form == "s":
        return list(ids)
    return form + _b64(b"".join(bytes.fromhex(i.replace("-", "")) for i in ids))


def _unpack(packed: Any) -> list[str]:
    if isinstance(packed, list) and all(isinstance(i, str) for i in packed):
        return list(packed)
    if not isinstance(packed, str) or packed[:1] not in ("h", "u"):
        raise CursorError(f"cursor: task ids must be a packed string or a list, got {packed!r}")
    raw = _unb64(packed[1:])
    if len(raw) % _ID_BYTES:
        raise CursorError("cursor: packed task ids are not a whole number of ids")
    hexes = [raw[i : i + _ID_BYTES].hex() for i in range(0, len(raw), _ID_BYTES)]
    return hexes if packed[0] == "h" else [str(uuid.UUID(h)) for h in hexes]


# --- state <-> JSON ----------------------------------------------------------------------


def _runs(groups: Sequence[TaskGroup]) -> Iterator[tuple[tuple[str, str, str], list[TaskGroup]]]:
    run: list[TaskGroup] = []
    key: tuple[str, str, str] | None = None
    for group in groups:
        group_key = _run_key(group)
        if run and group_key != key:
            assert key is not None
            yield key, run
            run = []
        key = group_key
        run.append(group)
    if run and key is not None:
        yield key, run


def encode(state: TrackingState) -> str:
    doc: dict[str, object] = {"v": CURSOR_VERSION}
    if state.after is not None:
        doc["after"] = state.after
    labels = list(dict.fromkeys(g.label for g in state.groups))
    if labels and labels != [""]:
        doc["labels"] = labels
    index = {label: i for i, label in enumerate(labels)}
    segments = []
    for (cluster, prefix, form), run in _runs(state.groups):
        # Without a shared prefix (mixed forms in one group), whole ARNs are stored.
        ids = [_split(a)[1] if prefix else a for g in run for a in g.task_arns]
        sizes = [len(g.task_arns) for g in run]
        segment: list[Any] = [cluster, prefix, _pack(form, ids), sizes if set(sizes) != {1} else []]
        label_indexes = [index[g.label] for g in run]
        if any(label_indexes):
            segment.append(label_indexes)
        segments.append(segment)
    if segments:
        doc["tasks"] = segments
    if state.seen:
        doc["seen"] = _b64(b"".join(sorted(state.seen)))
    if state.done:
        doc["done"] = _b64(b"".join(sorted(state.done)))
    if state.receipts:
        doc["receipts"] = list(state.receipts)
    if state.sweep_left:
        doc["sweep"] = state.sweep_left
    if state.swept_at is not None:
        doc["swept"] = state.swept_at
    return json.dumps(doc, separators=(",", ":"))


def decode(cursor: str | None) -> TrackingState:
    """The state a cursor holds; an absent cursor is the empty state."""
    if not cursor:
        return TrackingState()
    try:
        doc = json.loads(cursor)
    except ValueError as error:
        raise CursorError(f"cursor is not JSON: {error}") from error
    if not isinstance(doc, dict) or doc.get("v") != CURSOR_VERSION:
        version = doc.get("v") if isinstance(doc, dict) else None
        raise CursorError(
            f"cursor version {version!r} is not supported (this code reads {CURSOR_VERSION})"
        )
    after = doc.get("after")
    if after is not None and not isinstance(after, int):
        raise CursorError(f"cursor: 'after' must be an integer, got {after!r}")
    labels = doc.get("labels") or [""]
    groups: list[TaskGroup] = []
    for segment in doc.get("tasks", []):
        groups.extend(_decode_segment(segment, labels))
    receipts = doc.get("receipts", [])
    if not isinstance(receipts, list) or not all(isinstance(r, str) for r in receipts):
        raise CursorError("cursor: 'receipts' must be a list of strings")
    sweep_left, swept_at = doc.get("sweep", 0), doc.get("swept")
    if not isinstance(sweep_left, int) or sweep_left < 0:
        raise CursorError(f"cursor: 'sweep' must be a count, got {sweep_left!r}")
    if swept_at is not None and not isinstance(swept_at, int):
        raise CursorError(f"cursor: 'swept' must be epoch seconds, got {swept_at!r}")
    return TrackingState(
        groups=tuple(groups),
        after=after,
        seen=_digests(doc, "seen"),
        done=_digests(doc, "done"),
        receipts=tuple(receipts),
        sweep_left=min(sweep_left, len(groups)),
        swept_at=swept_at,
    )


def _digests(doc: Mapping[str, object], member: str) -> frozenset[bytes]:
    text = doc.get(member, "")
    if not isinstance(text, str):
        raise CursorError(f"cursor: '{member}' must be base64 text, got {type(text).__name__}")
    raw = _unb64(text)
    if len(raw) % DIGEST_BYTES:
        raise CursorError(f"cursor: '{member}' is not a whole number of digests")
    return frozenset(raw[i : i + DIGEST_BYTES] for i in range(0, len(raw), DIGEST_BYTES))


def _decode_segment(segment: Any, labels: Sequence[str]) -> list[TaskGroup]:
    try:
        return _segment_groups(segment, labels)
    except (TypeError, IndexError, ValueError) as error:
        raise CursorError(f"cursor: malformed task run ({error})") from error


def _segment_groups(segment: Any, labels: Sequence[str]) -> list[TaskGroup]:
    if not isinstance(segment, list) or len(segment) not in (4, 5):
        raise CursorError(f"cursor: malformed task run {segment!r}")
    cluster, prefix, packed, sizes = segment[:4]
    ids = _unpack(packed)
    sizes = sizes or [1] * len(ids)
    label_indexes = segment[4] if len(segment) == 5 else [0] * len(sizes)
    if sum(sizes) != len(ids) or len(label_indexes) != len(sizes):
        raise CursorError("cursor: group sizes or labels do not match the task ids")
    groups, start = [], 0
    for size, label_index in zip(sizes, label_indexes, strict=True):
        arns = tuple(_join(prefix, i) for i in ids[start : start + size])
        groups.append(TaskGroup(str(cluster), arns, labels[label_index]))
        start += size
    return groups
