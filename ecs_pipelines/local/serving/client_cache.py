"""A bounded cache of boto3 clients: the least recently used one is dropped first, and logged.

A boto3 client costs tens of milliseconds to make and some hundred kilobytes to keep, so the
server's pages keep theirs; the keys come from the pages' addresses, so the cache holds at most
``size`` of them whatever is asked.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_log = logging.getLogger(__name__)


class ClientCache:
    """At most ``size`` clients by key; ``get`` makes a missing one with ``make``."""

    def __init__(self, size: int, name: str) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self._size = size
        self._name = name
        self._clients: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()  # pages are answered on several threads

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._clients:
                self._clients.move_to_end(key)
                return self._clients[key]
            client = self._clients[key] = make()
            if len(self._clients) > self._size:
                dropped_key, dropped = self._clients.popitem(last=False)
                _log.info(
                    "%s: dropped the client for %s (at most %d are kept)",
                    self._name,
                    dropped_key,
                    self._size,
                )
                close = getattr(dropped, "close", None)
                if close is not None:
                    close()  # its connection pool
            return client

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)
