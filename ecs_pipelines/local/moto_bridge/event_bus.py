"""moto's side of the embedded ECS's task state change events: the task as DescribeTasks
serialises it, its ``version``, and delivery through EventBridge's rules to their targets.

``task_state_events`` (outside the bridge) decides when a task changed and builds the event;
this module only reads and writes moto's models. Delivery is EventBridge's own: every ENABLED
rule of the account's and region's default event bus whose pattern matches sends the event to
its targets (``Rule.send_to_targets``: SQS queues, log groups, other buses), in process, as
moto's PutEvents does, but with the envelope exactly as given (PutEvents would add an
``ingestion-time`` member that AWS never delivers).

Events are sent from the task runner's thread while consumers receive and delete over HTTP:
``sqs_queues`` makes moto's queues safe for that.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from moto.core.serialize import XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto.events.models import events_backends

from ecs_pipelines.local.moto_bridge.state import BACKEND_LOCK, registry

_log = logging.getLogger(__name__)

# Where the bridge keeps, on moto's task object, what it last published as an event.
_MARKER = "_ecs_pipelines_event_digest"


@dataclass(frozen=True)
class DescribedTask:
    """A task as DescribeTasks would answer it (timestamps as epoch seconds), where it lives,
    and the digest of the last event published for it (None: none yet)."""

    view: dict[str, Any]
    account_id: str
    region: str
    last_digest: str | None


@cache
def _describe_serializer() -> Callable[[Any], dict[str, Any]]:
    service_model = get_service_model("ecs")
    operation = service_model.operation_model("DescribeTasks")
    serializer_class = get_serializer_class("ecs", "json")

    def serialise(task: Any) -> dict[str, Any]:
        serializer = serializer_class(
            operation_model=operation, value_picker=XFormedAttributePicker()
        )
        body = serializer.serialize({"tasks": [task], "failures": []})["body"]
        view: dict[str, Any] = json.loads(body)["tasks"][0]
        return view

    return serialise


def described_task(task_arn: str) -> DescribedTask | None:
    """The task as DescribeTasks shows it now; None when the bridge does not know it (reset)."""
    with BACKEND_LOCK:
        adopted = registry.by_arn.get(task_arn)
        if adopted is None:
            return None
        view = _describe_serializer()(adopted.task)
        return DescribedTask(
            view=view,
            account_id=adopted.backend.account_id,
            region=adopted.backend.region_name,
            last_digest=getattr(adopted.task, _MARKER, None),
        )


def mark_published(task_arn: str, digest: str, version: int) -> None:
    """Records the event just published: moto's task reports ``version`` in DescribeTasks, as
    ECS reports the version of its last change."""
    with BACKEND_LOCK:
        adopted = registry.by_arn.get(task_arn)
        if adopted is not None:
            adopted.task.version = version  # type: ignore[attr-defined]
            setattr(adopted.task, _MARKER, digest)


def deliver(account_id: str, region: str, envelope: dict[str, Any]) -> int:
    """Hands ``envelope`` to every ENABLED rule of the default event bus that matches it;
    returns how many rules took it. A target that fails (a deleted queue) is skipped, as
    EventBridge drops what it cannot deliver."""
    backend = events_backends[account_id][region]
    bus = backend.event_buses.get("default")
    if bus is None:
        return 0
    delivered = 0
    for rule in list(bus.rules.values()):
        if rule.state != "ENABLED":
            continue
        transform = any("InputTransformer" in target for target in rule.targets)
        try:
            # ``time`` is epoch seconds here: moto's SQS and log group targets write it as
            # AWS does ("2020-01-23T17:57:58Z").
            rule.send_to_targets(dict(envelope), transform_input=transform)  # type: ignore[arg-type]
        except Exception as error:  # a target's failure must not stop the task
            _log.debug("event not delivered by rule %s: %s", rule.name, type(error).__name__)
            continue
        delivered += 1
    return delivered
