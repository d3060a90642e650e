"""The embedded ECS's "ECS Task State Change" events, shaped as ECS sends them to EventBridge.

Each time the runner publishes a task's state, ``publish(task_arn)`` compares the task as
DescribeTasks now shows it with what was last sent for it; when it changed, the task's
``version`` goes up by one (DescribeTasks reports it too) and the event goes to EventBridge
on the same embedded server, whose rules deliver it to their targets (an SQS queue, ...). A
rule and a queue set up the AWS way therefore receive, locally, what they would on AWS.

The event, as the ECS developer guide ("Amazon ECS task state change events") shows it: the
EventBridge envelope (``version`` "0", ``id``, ``detail-type`` "ECS Task State Change",
``source`` "aws.ecs", ``account``, ``time``, ``region``, ``resources`` = [task ARN]) around a
``detail`` that is the DescribeTasks task with its timestamps as ISO strings, an
``updatedAt``, the task's ``version``, and neither its health ("The health of a task isn't
provided in the task state change event") nor its tags (DescribeTasks gives them only on
request). A change of health alone sends nothing.

The controller calls ``publish`` right after it writes a task's fields into moto (the sink's
``publish``); it never raises, since a failed delivery must not stop a task.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ecs_pipelines.ecs.events import TASK_TIMESTAMPS
from ecs_pipelines.local.moto_bridge import (
    deliver_event,
    described_task,
    mark_published,
)

_log = logging.getLogger(__name__)

DETAIL_TYPE = "ECS Task State Change"
SOURCE = "aws.ecs"
# Task fields ECS leaves out of the event's detail.
_NOT_IN_DETAIL = frozenset({"healthStatus", "tags", "inferenceAccelerators"})
# Detail fields that change without the task changing (and so never make an event).
_VOLATILE = frozenset({"version", "updatedAt"})
# DescribeTasks' timestamps, and the containers' and agents' own, become ISO strings.
_TIMESTAMPS = frozenset({*TASK_TIMESTAMPS, "lastStartedAt"})


def iso_time(value: float | datetime) -> str:
    """ECS's event timestamp: ISO 8601 in UTC with milliseconds ("2020-01-23T17:57:34.402Z")."""
    when = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _with_iso_times(value: Any, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {k: _with_iso_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_iso_times(v) for v in value]
    if key in _TIMESTAMPS and isinstance(value, int | float) and not isinstance(value, bool):
        return iso_time(float(value))
    return value


def event_detail(view: Mapping[str, Any]) -> dict[str, Any]:
    """The ``detail`` of a task's event from its DescribeTasks view (without ``version`` and
    ``updatedAt``, which the caller adds)."""
    detail = {k: v for k, v in view.items() if k not in _NOT_IN_DETAIL | _VOLATILE}
    detail["containers"] = [
        {k: v for k, v in container.items() if k != "healthStatus"}
        for container in view.get("containers") or []
    ]
    converted: dict[str, Any] = _with_iso_times(detail)
    return converted


def detail_digest(detail: Mapping[str, Any]) -> str:
    """What identifies a state: two views with the same digest are the same change."""
    text = json.dumps(detail, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def task_state_change(
    detail: Mapping[str, Any],
    *,
    version: int,
    account_id: str,
    region: str,
    now: float,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The EventBridge envelope of one task state change (``time`` as epoch seconds: the
    event bus writes it out as AWS does)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account_id,
        "time": now,
        "region": region,
        "resources": [detail["taskArn"]],
        "detail": {**detail, "updatedAt": iso_time(now), "version": version},
    }


def publish_task_state(task_arn: str, *, clock: Callable[[], float] = time.time) -> bool:
    """Sends the task's state change event if its state changed since the last one; True when
    an event went out. Never raises."""
    try:
        described = described_task(task_arn)
        if described is None:
            return False
        detail = event_detail(described.view)
        digest = detail_digest(detail)
        if digest == described.last_digest:
            return False
        current = described.view.get("version")
        known = current if isinstance(current, int) and not isinstance(current, bool) else 0
        # The first event carries the version the task was created with; each change adds one.
        version = max(1, known) if described.last_digest is None else known + 1
        mark_published(task_arn, digest, version)
        envelope = task_state_change(
            detail,
            version=version,
            account_id=described.account_id,
            region=described.region,
            now=clock(),
        )
        deliver_event(described.account_id, described.region, envelope)
        return True
    except Exception as error:  # an event lost is what EventBridge may do too
        _log.warning("task state event not sent: %s", type(error).__name__)
        return False
