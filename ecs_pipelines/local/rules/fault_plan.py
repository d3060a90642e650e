"""A fault plan for the embedded ECS: which calls and tasks to fail, and how. Pure: the model
and its parser (``fault_decider`` decides call by call).

A plan is text, faults separated by ``;``, each a kind and its settings::

    no-capacity:provider=FARGATE_SPOT,rate=0.3,seed=7;spot-reclaim:after=5s,warning=1s;
    pull-error:count=2;throttle:api=RunTask,rate=0.2

or the same as JSON: ``{"seed": 7, "faults": [{"kind": "no-capacity", "rate": 0.3}, ...]}``.

Kinds:

- ``no-capacity``: RunTask answers ``failures`` instead of starting tasks: Fargate's "Capacity
  is unavailable at this time..." or, on EC2, ``RESOURCE:CPU``; ``reason=`` answers another
  reason (``RESOURCE:MEMORY``, ``AGENT``, ``ATTRIBUTE``...). Narrowed by ``provider=``,
  ``launch-type=`` and ``cluster=``.
- ``spot-reclaim``: a task started on ``provider`` (FARGATE_SPOT unless set) is reclaimed
  ``after`` it was launched: SIGTERM, then SIGKILL once the ``warning`` window (ECS gives two
  minutes; 2 s unless set) has passed; it stops with stopCode SpotInterruption.
- ``pull-error`` / ``init-error``: a task fails to start (TaskFailedToStart) with
  ``CannotPullContainerError: ...`` / ``ResourceInitializationError: ...``.
- ``throttle``: ``api`` (RunTask or DescribeTasks) answers ``ThrottlingException: Rate
  exceeded`` (``code=ClientException`` for ECS's other throttling answer).

Every kind fires for each matching call unless narrowed: ``count=N`` (at most N times),
``rate=P`` (each time with probability P, drawn from the plan's ``seed``), ``from=`` and
``until=`` (a window, in time since the plan was set). Durations: ``500ms``, ``5s``, ``2m``,
or a number of seconds. A seeded plan makes the same decisions for the same calls.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import EcsError

NO_CAPACITY = "no-capacity"
SPOT_RECLAIM = "spot-reclaim"
PULL_ERROR = "pull-error"
INIT_ERROR = "init-error"
THROTTLE = "throttle"
KINDS = (NO_CAPACITY, SPOT_RECLAIM, PULL_ERROR, INIT_ERROR, THROTTLE)
THROTTLED_APIS = ("RunTask", "DescribeTasks")
THROTTLE_CODES = ("ThrottlingException", "ClientException")
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL")
DEFAULT_SPOT_WARNING_SECONDS = 2.0
MAX_SECONDS = 86_400.0
MAX_COUNT = 1_000_000
_SETTINGS = {
    NO_CAPACITY: {"provider", "launch-type", "cluster", "reason"},
    SPOT_RECLAIM: {"provider", "launch-type", "cluster", "after", "warning"},
    PULL_ERROR: {"provider", "launch-type", "cluster"},
    INIT_ERROR: {"provider", "launch-type", "cluster"},
    THROTTLE: {"api", "code"},
}
_TRIGGER_SETTINGS = {"count", "rate", "from", "until"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


class FaultPlanError(EcsError, ValueError):
    """A fault plan that cannot be read: the message names the fault, the setting and the
    limit."""


@dataclass(frozen=True)
class LaunchTarget:
    """What a fault may narrow to: the cluster (name or ARN), launch type and capacity provider
    of a launch."""

    cluster: str
    launch_type: str | None
    provider: str | None

    @property
    def fargate(self) -> bool:
        return self.launch_type == "FARGATE" or (self.provider or "").startswith("FARGATE")


@dataclass(frozen=True)
class Fault:
    """One fault of a plan: its kind, what it applies to and when it fires."""

    kind: str
    count: int | None = None
    rate: float | None = None
    start_seconds: float = 0.0
    end_seconds: float | None = None
    provider: str | None = None
    launch_type: str | None = None
    cluster: str | None = None
    reason: str | None = None  # no-capacity: the failure reason answered
    after_seconds: float = 0.0  # spot-reclaim
    warning_seconds: float = DEFAULT_SPOT_WARNING_SECONDS  # spot-reclaim
    api: str = "RunTask"  # throttle
    code: str = "ThrottlingException"  # throttle

    def applies_to(self, launch: LaunchTarget) -> bool:
        """Whether ``launch`` is one this fault narrows to (a Spot reclaim: FARGATE_SPOT's
        unless told otherwise)."""
        wanted_provider = self.provider
        if self.kind == SPOT_RECLAIM and wanted_provider is None and self.launch_type is None:
            wanted_provider = "FARGATE_SPOT"
        if wanted_provider is not None and wanted_provider != launch.provider:
            return False
        if self.launch_type is not None and self.launch_type != launch.launch_type:
            return False
        return self.cluster is None or self.cluster == launch.cluster.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class FaultPlan:
    """The faults the embedded ECS injects, and the seed of their random draws."""

    faults: tuple[Fault, ...] = ()
    seed: int | None = None
    text: str = field(default="", compare=False)  # as given, to show back

    def of_kind(self, *kinds: str) -> list[tuple[int, Fault]]:
        return [(i, f) for i, f in enumerate(self.faults) if f.kind in kinds]


NO_FAULTS = FaultPlan()


def parse_fault_plan(text: str | None) -> FaultPlan:
    """The plan ``text`` describes (the ``--faults`` syntax or JSON); empty: no faults."""
    source = (text or "").strip()
    if not source:
        return NO_FAULTS
    if source[0] in "{[":
        try:
            document = json.loads(source)
        except json.JSONDecodeError as exc:
            raise FaultPlanError(f"faults: not valid JSON ({exc.msg} at {exc.pos})") from exc
        return _from_json(document, source)
    entries = []
    for index, part in enumerate(p.strip() for p in source.split(";")):
        if not part:
            continue
        kind, _, rest = part.partition(":")
        settings: dict[str, Any] = {}
        for item in (i.strip() for i in rest.split(",")):
            if not item:
                continue
            name, equals, value = item.partition("=")
            if not equals:
                raise FaultPlanError(f"faults[{index}] ({kind}): '{item}' is not name=value")
            settings[name.strip()] = value.strip()
        entries.append((kind.strip(), settings))
    return _build(entries, source)


def _from_json(document: Any, source: str) -> FaultPlan:
    if isinstance(document, list):
        document = {"faults": document}
    if not isinstance(document, dict) or not isinstance(document.get("faults", []), list):
        raise FaultPlanError('faults: JSON must be {"seed": N, "faults": [{"kind": ...}, ...]}')
    entries = []
    for index, item in enumerate(document.get("faults", [])):
        if not isinstance(item, dict) or "kind" not in item:
            raise FaultPlanError(f"faults[{index}]: must be an object with a kind")
        settings = {k: v for k, v in item.items() if k != "kind"}
        entries.append((str(item["kind"]), settings))
    if "seed" in document:
        entries.append(("", {"seed": document["seed"]}))
    return _build(entries, source)


def _build(entries: list[tuple[str, dict[str, Any]]], source: str) -> FaultPlan:
    faults, seed = [], None
    for index, (kind, settings) in enumerate(entries):
        if "seed" in settings:
            seed = _integer(f"faults[{index}].seed", settings.pop("seed"), 0, 2**63)
        if not kind and not settings:
            continue
        faults.append(_fault(f"faults[{index}] ({kind})", kind, settings))
    return FaultPlan(tuple(faults), seed, source)


def _fault(where: str, kind: str, settings: dict[str, Any]) -> Fault:
    if kind not in KINDS:
        raise FaultPlanError(f"{where}: unknown kind; one of {', '.join(KINDS)}")
    unknown = sorted(set(settings) - _SETTINGS[kind] - _TRIGGER_SETTINGS)
    if unknown:
        allowed = sorted(_SETTINGS[kind] | _TRIGGER_SETTINGS)
        raise FaultPlanError(f"{where}: unknown settings {unknown}; allowed: {allowed}")
    values: dict[str, Any] = {"kind": kind}
    if "count" in settings:
        values["count"] = _integer(f"{where}.count", settings["count"], 1, MAX_COUNT)
    if "rate" in settings:
        values["rate"] = _number(f"{where}.rate", settings["rate"], 0.0, 1.0)
    if "from" in settings:
        values["start_seconds"] = _duration(f"{where}.from", settings["from"])
    if "until" in settings:
        values["end_seconds"] = _duration(f"{where}.until", settings["until"])
        if values["end_seconds"] <= values.get("start_seconds", 0.0):
            raise FaultPlanError(f"{where}.until: must come after from")
    if "after" in settings:
        values["after_seconds"] = _duration(f"{where}.after", settings["after"])
    if "warning" in settings:
        values["warning_seconds"] = _duration(f"{where}.warning", settings["warning"])
    for name, attribute in (("provider", "provider"), ("cluster", "cluster"), ("reason", "reason")):
        if name in settings:
            values[attribute] = _text(f"{where}.{name}", settings[name])
    if "launch-type" in settings:
        values["launch_type"] = _choice(
            f"{where}.launch-type", settings["launch-type"], LAUNCH_TYPES
        )
    if "api" in settings:
        values["api"] = _choice(f"{where}.api", settings["api"], THROTTLED_APIS)
    if "code" in settings:
        values["code"] = _choice(f"{where}.code", settings["code"], THROTTLE_CODES)
    return Fault(**values)


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FaultPlanError(f"{where}: must be a non-empty string")
    return value.strip()


def _choice(where: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise FaultPlanError(f"{where}: must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _integer(where: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(str(value), 10)
    except ValueError:
        raise FaultPlanError(f"{where}: must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise FaultPlanError(f"{where}: must be {low}..{high}, got {number}")
    return number


def _number(where: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(str(value))
    except ValueError:
        raise FaultPlanError(f"{where}: must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise FaultPlanError(f"{where}: must be {low:g}..{high:g}, got {number:g}")
    return number


def _duration(where: str, value: Any) -> float:
    match = _DURATION.match(str(value).strip())
    if match is None:
        raise FaultPlanError(f"{where}: must be a duration such as 500ms, 5s or 2m, got {value!r}")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_SECONDS:
        raise FaultPlanError(f"{where}: must be at most {MAX_SECONDS:g} s, got {seconds:g}")
    return seconds
