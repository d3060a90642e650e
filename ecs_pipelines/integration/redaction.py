"""The redaction boundary: everything a step, a sensor or an op hands to Dagster passes here.

Run log lines, engine events, Pipes messages (log text and reported metadata), Failure text and
metadata, materialisation and check metadata, sensor asset events and op outputs all go through
one ``Redaction``, which masks every known secret value in every form (``ecs.redaction``). The
secrets it knows: the resource's ``secret_environment``, a step's ``secret_environment_from``
values, and, for a task read back from ECS, the variables its launch named as secret.

Dagster objects (metadata values, asset events) are masked through their serialised form:
every string inside, keys and values, is masked, then the object is rebuilt, so a new metadata
type or event field cannot slip past.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from dagster import DagsterLogManager, Failure, PipesMessageReader
from dagster._core.pipes.context import PipesMessageHandler
from dagster._serdes import deserialize_value, serialize_value
from dagster._utils.warnings import PreviewWarning
from dagster_pipes import PipesParams

from ecs_pipelines.ecs.common import Redactor
from ecs_pipelines.ecs.tasks import EcsTaskResult

T = TypeVar("T")


class Redaction:
    """Masks the secrets it knows in anything user-visible."""

    def __init__(self, secret_values: Sequence[str] = ()) -> None:
        self._redactor = Redactor(secret_values)

    def with_values(self, values: Sequence[str]) -> Redaction:
        copy = Redaction()
        copy._redactor = self._redactor.with_values(values)
        return copy

    def text(self, text: str) -> str:
        return self._redactor(text)

    def lines(self, lines: Sequence[str]) -> list[str]:
        return self._redactor.lines(lines)

    def data(self, value: Any) -> Any:
        """Plain data (str, dict, list, tuple), masked."""
        return self._redactor.data(value)

    def dagster_object(self, value: T) -> T:
        """Any serialisable Dagster object (metadata, asset events, dicts of them), masked."""
        if not self._redactor:
            return value
        masked = self._redactor.data(json.loads(serialize_value(value)))  # type: ignore[arg-type]
        result: T = deserialize_value(json.dumps(masked))  # type: ignore[assignment]
        return result

    def metadata(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.dagster_object(dict(metadata)))

    def failure(self, description: str, metadata: Mapping[str, Any] | None = None) -> Failure:
        return Failure(description=self.text(description), metadata=self.metadata(metadata or {}))

    def output(self, value: T) -> T:
        """An op's return value: results (and lists of them) and plain data, masked."""
        if isinstance(value, EcsTaskResult):
            masked: T = value.masked(self._redactor)  # type: ignore[assignment]
            return masked
        if isinstance(value, list | tuple):
            return type(value)(self.output(item) for item in value)
        result: T = self.data(value)
        return result

    def log(self, log: DagsterLogManager) -> RedactedLog:
        return RedactedLog(log, self)

    def pipes_reader(self, reader: PipesMessageReader) -> PipesMessageReader:
        return _RedactingReader(reader, self)


class RedactedLog:
    """A run's logger whose every message is masked first."""

    def __init__(self, log: DagsterLogManager, redaction: Redaction) -> None:
        self._log = log
        self._redaction = redaction

    def debug(self, message: str) -> None:
        self._log.debug(self._redaction.text(message))

    def info(self, message: str) -> None:
        self._log.info(self._redaction.text(message))

    def warning(self, message: str) -> None:
        self._log.warning(self._redaction.text(message))

    def error(self, message: str) -> None:
        self._log.error(self._redaction.text(message))


class _RedactingHandler:
    """Stands in for Dagster's Pipes message handler: masks each message, then hands it on."""

    def __init__(self, handler: PipesMessageHandler, redaction: Redaction) -> None:
        self._handler = handler
        self._redaction = redaction

    def handle_message(self, message: Any) -> None:
        self._handler.handle_message(self._redaction.data(message))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)


class _RedactingReader(PipesMessageReader):
    """Any Pipes message reader, with every message masked before Dagster records it."""

    def __init__(self, reader: PipesMessageReader, redaction: Redaction) -> None:
        self._reader = reader
        self._redaction = redaction

    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[PipesParams]:
        proxy: Any = _RedactingHandler(handler, self._redaction)
        with self._reader.read_messages(proxy) as params:
            yield params

    def on_opened(self, opened_payload: Any) -> None:
        self._reader.on_opened(opened_payload)

    def on_launched(self, launched_payload: Any) -> None:
        self._reader.on_launched(launched_payload)

    @property
    def expected_writer_count(self) -> int:
        # Dagster marks this property a preview; asking it on Dagster's behalf is no news.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PreviewWarning)
            return self._reader.expected_writer_count

    def no_messages_debug_text(self) -> str:
        return self._reader.no_messages_debug_text()
