"""A map with a bound: past it the least recently used entry is dropped, and the log says so.

For caches whose entries can always be had again (looked up, described): a dropped entry costs
a call, never a wrong answer. The first drop of each map is a warning, later ones debug lines,
and ``dropped`` counts them all.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

_log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """A map of at most ``bound`` entries that drops the least recently used, and says so.
    Thread-safe."""

    def __init__(self, name: str, bound: int, *, name_keys: bool = True) -> None:
        if bound < 1:
            raise ValueError(f"{name}: the bound must be at least 1, got {bound}")
        self.name = name
        self.bound = bound
        self.name_keys = name_keys  # False when a key is no one's business (credentials)
        self.dropped = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._put(key, value)

    def add(self, key: K, value: V) -> bool:
        """Puts ``value`` unless ``key`` is there already; whether it was not."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return False
            self._put(key, value)
            return True

    def _put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.bound:
            dropped, _ = self._entries.popitem(last=False)
            self.dropped += 1
            _log.log(
                logging.WARNING if self.dropped == 1 else logging.DEBUG,
                "%s holds at most %d entries: dropped the least recently used%s, "
                "made again when needed (%d dropped so far)",
                self.name,
                self.bound,
                f" ({dropped})" if self.name_keys else "",
                self.dropped,
            )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
