"""A task page's link to the Dagster run the task belongs to, when a Dagster UI is known.

A step's task carries its run id in the tag ``dagster/run-id`` (``integration/task_naming.py``),
a run worker in ``dagster/run_id`` (dagster-aws's EcsRunLauncher). The UI's address comes from
whoever started the server (``local serve --checkout``: the record `make ui` keeps there), and
is never guessed: with none known, the page shows no link. Pure: no I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from ecs_pipelines.ecs.common import tags_of

DAGSTER_RUN_TAGS = ("dagster/run-id", "dagster/run_id")
# Dagster's run ids are UUIDs; anything else in the tag is no run of a Dagster UI.
_RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def web_address(url: object) -> str | None:
    """``url`` without a trailing slash when it is an http(s) address with a host, else None."""
    if not isinstance(url, str):
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    return url.rstrip("/")


def dagster_run_id(task: Mapping[str, Any]) -> str | None:
    """The Dagster run id a task's tags name, if any."""
    tags = tags_of(task)
    for key in DAGSTER_RUN_TAGS:
        value = tags.get(key, "")
        if _RUN_ID.fullmatch(value):
            return value
    return None


def dagster_run_link(task: Mapping[str, Any], ui_url: str | None) -> str | None:
    """The HTML link to the task's run page in the Dagster UI at ``ui_url``; None when the
    task names no run or no UI is known."""
    base, run_id = web_address(ui_url), dagster_run_id(task)
    if base is None or run_id is None:
        return None
    href = html.escape(f"{base}/runs/{run_id}", quote=True)
    return f"<a href='{href}'>{html.escape(run_id)}</a>"
