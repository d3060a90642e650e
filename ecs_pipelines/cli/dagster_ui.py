"""Which Dagster UI shows the runs of a checkout's embedded ECS: a record `make ui` keeps.

While `make ui` runs, ``<checkout>/.ecs-pipelines/dagster-ui.json`` names its webserver's
address (written before dagster dev starts, removed when it ends); the checkout's embedded ECS
(``local serve --checkout``) reads it when it renders a task page, to link a task of a Dagster
run to that run's page. No record: no link (the address is never guessed).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from ecs_pipelines.cli.checkout import STATE_DIRNAME, recorded_server
from ecs_pipelines.local.serving import private_directory, web_address, write_private_json

UI_RECORD_NAME = "dagster-ui.json"


def ui_record_path(root: Path) -> Path:
    return root / STATE_DIRNAME / UI_RECORD_NAME


def record_dagster_ui(root: Path, url: str) -> None:
    """Records ``url`` as the checkout's Dagster UI (a 0600 file in the 0700 state directory)."""
    path = ui_record_path(root)
    if private_directory(path.parent):
        (path.parent / ".gitignore").write_text("*\n")
    write_private_json(path, {"url": url})


def dagster_ui_of(root: Path) -> str | None:
    """The checkout's Dagster UI address, when `make ui` recorded one."""
    try:
        return web_address(json.loads(ui_record_path(root).read_text()).get("url"))
    except (OSError, ValueError, AttributeError):
        return None


def forget_dagster_ui(root: Path, url: str) -> None:
    """Drops the record if it still names ``url`` (another `make ui` may have replaced it)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if json.loads(ui_record_path(root).read_text()).get("url") == url:
            ui_record_path(root).unlink()


@contextlib.contextmanager
def dagster_ui_published(root: Path, endpoint_url: str | None, url: str) -> Iterator[bool]:
    """While inside, ``url`` is the checkout's Dagster UI, when the embedded ECS in use
    (``endpoint_url``) is the checkout's own: another server reads no record of the
    checkout's. Yields whether it was recorded."""
    own = recorded_server(root)
    publish = own is not None and own.endpoint_url == endpoint_url
    if publish:
        record_dagster_ui(root, url)
    try:
        yield publish
    finally:
        if publish:
            forget_dagster_ui(root, url)
