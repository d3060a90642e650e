"""Secret values out of text and data: the masking every user-visible path goes through.

A secret can reach text in more shapes than its exact value: read from a file it ends with a
newline, a PEM key or JSON credential spans lines (and a log shows it one line at a time), and
inside JSON or a Python repr its quotes, backslashes and newlines are escaped. ``Redactor``
masks every one of those forms, longest first, so a secret containing another is masked whole.

Which values are secret travels with the task itself: a launch that passes secret values in
RunTask's environment overrides names those variables (never their values) in the task tag
``ecs-pipelines/secret-environment``, so anything that later reads the task (a sensor, the CLI)
can mask them without access to where they came from.

Values are masked, never renderings: ``mask_task`` and ``Redactor.data`` mask the structured
data (a described task, log lines, a result) before it is escaped for HTML, quoted for a
shell, encoded as JSON or printed on a terminal, which would change the secret's text.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from ecs_pipelines.ecs.common.arns import tags_of

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import KeyValuePairTypeDef, TaskTypeDef

MASK = "***"
# Shorter values would mask ordinary words and numbers all over the log.
MIN_MASKED_LENGTH = 4
SECRET_NAMES_TAG = "ecs-pipelines/secret-environment"
# Names in the tag are separated by spaces: ECS tag values allow letters, digits, spaces and
# _ . : / = + - @ (256 characters), and environment variable names are letters, digits and _.
_TAG_NAME = re.compile(r"[A-Za-z0-9_.:/=+\-@]+")
MAX_TAG_VALUE = 256


def secret_forms(value: str) -> set[str]:
    """Every form in which ``value`` can show up in text, each long enough to mask."""
    pieces = {value, value.strip(), *(line.strip() for line in value.splitlines())}
    forms: set[str] = set()
    for piece in pieces:
        forms.add(piece)
        forms.add(json.dumps(piece)[1:-1])  # inside JSON: \" \\ \n \uXXXX
        forms.add(json.dumps(piece, ensure_ascii=False)[1:-1])
        forms.add(repr(piece)[1:-1])  # inside a Python repr
    return {form for form in forms if len(form) >= MIN_MASKED_LENGTH}


class Redactor:
    """Replaces every known secret value, in any of its forms, with ``***``."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values = frozenset(v for v in values if isinstance(v, str) and v)
        forms = {form for v in self._values for form in secret_forms(v)}
        self._forms = sorted(forms, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def lines(self, lines: Iterable[str]) -> list[str]:
        return [self(line) for line in lines]

    def data(self, value: Any) -> Any:
        """A copy of plain data (str, dict, list, tuple) with every string masked."""
        if not self._forms:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.data(item) for item in value)
        return value

    def with_values(self, values: Iterable[str]) -> Redactor:
        """A redactor that also masks ``values``."""
        return Redactor([*self._values, *values])


def secret_names_tag(names: Iterable[str]) -> dict[str, str]:
    """The task tag naming the secret variables of a launch ({} when there are none).

    Names that do not fit a tag value make the tag say ``*``: every variable is then secret.
    """
    ordered = sorted(set(names))
    if not ordered:
        return {}
    text = " ".join(ordered)
    if len(text) > MAX_TAG_VALUE or not all(_TAG_NAME.fullmatch(n) for n in ordered):
        text = "*"
    return {SECRET_NAMES_TAG: text}


def secret_names(task: Mapping[str, Any]) -> frozenset[str] | None:
    """Variables the task's tag names as secret; None when every variable is to be masked."""
    value = tags_of(task).get(SECRET_NAMES_TAG)
    if value is None:
        return frozenset()
    return None if value.strip() == "*" else frozenset(value.split())


def _override_variables(task: Mapping[str, Any]) -> Iterable[KeyValuePairTypeDef]:
    overrides = task.get("overrides") or {}
    for container in overrides.get("containerOverrides") or []:
        yield from container.get("environment") or []


def task_secret_values(task: Mapping[str, Any]) -> list[str]:
    """The values of the task's secret variables, read from its own RunTask overrides."""
    names = secret_names(task)
    return [
        str(variable.get("value", ""))
        for variable in _override_variables(task)
        if names is None or variable.get("name") in names
    ]


def masked_task(
    task: Mapping[str, Any], *, reveal: bool = False, also_secret: Sequence[str] = ()
) -> TaskTypeDef:
    """A copy of a described task with environment override values masked.

    By default every value is masked but those the task shows anyway (a tag's value, its
    startedBy or group: a step's DAGSTER_RUN_ID is its run-id tag), since masking them hides
    nothing; ``reveal`` shows the values of every variable not known to be secret (the
    secret-names tag, and ``also_secret``). A variable known to be secret is always masked. A
    task without the tag has no known secrets: with ``reveal`` only ``also_secret`` stays
    masked. Only the overrides are copied deeply (a sensor tick makes one of these per
    finished task); the rest is shared.
    """
    # A described task: from boto3 (TaskTypeDef) or, in the embedded ECS's pages, as the
    # JSON of the same wire shape.
    masked = cast("TaskTypeDef", dict(task))
    if "overrides" in masked:
        masked["overrides"] = copy.deepcopy(masked["overrides"])
    names = secret_names(task)
    shown_anyway = _shown_anyway(task)
    for variable in _override_variables(masked):
        name = variable.get("name")
        secret = names is None or name in names or name in also_secret
        hidden = not reveal and variable.get("value") not in shown_anyway
        if "value" in variable and (secret or hidden):
            variable["value"] = MASK
    return masked


def _shown_anyway(task: Mapping[str, Any]) -> frozenset[str]:
    """Values a described task shows outside its variables: its tags' values, its startedBy
    and its group (any known secret among them is masked there too, by value)."""
    fields = (task.get("startedBy"), task.get("group"), *tags_of(task).values())
    return frozenset(value for value in fields if isinstance(value, str))


def mask_task(
    task: Mapping[str, Any],
    redactor: Redactor | None = None,
    *,
    reveal: bool = False,
    also_secret: Sequence[str] = (),
) -> TaskTypeDef:
    """A described task ready to render: HTML, a shell line, JSON or a terminal.

    Variable values are masked as ``masked_task`` decides, then every known secret value (the
    ``redactor``'s and the task's own secret variables') wherever else the task carries it: the
    command, another variable (a DSN), tags, stop and container reasons. Renderers escape,
    quote and encode, and a secret escaped (``&amp;``) or quoted (``'"'"'``) is no longer
    found in their output: so secrets go from the values, before any rendering.
    """
    known = (redactor or Redactor()).with_values(task_secret_values(task))
    shown: TaskTypeDef = known.data(masked_task(task, reveal=reveal, also_secret=also_secret))
    return shown
