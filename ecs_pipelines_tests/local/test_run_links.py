"""A task page links a task of a Dagster run to that run's page in the Dagster UI, when the
server knows the UI's address, and never guesses one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ecs_pipelines.cli.format import RUN_WORKER_RUN_ID_TAG
from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import RUN_ID_TAG
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.serving.run_links import DAGSTER_RUN_TAGS, dagster_run_link
from ecs_pipelines.local.serving.task_pages import TaskPages

RUN_ID = "6f1c2e9a-1234-4000-8000-000000000001"
UI = "http://127.0.0.1:3005"


def tagged(key: str, value: str) -> dict[str, Any]:
    task = {
        "taskArn": "arn:aws:ecs:us-east-1:1:task/c/0abc",
        "tags": [{"key": key, "value": value}],
    }
    return task


def test_a_steps_task_and_a_run_worker_link_to_their_run() -> None:
    """Both tags that name a run (a step's task, EcsRunLauncher's run worker) link to the
    run's page of the UI; the keys are those the step runner and the CLI use."""
    assert set(DAGSTER_RUN_TAGS) == {RUN_ID_TAG, RUN_WORKER_RUN_ID_TAG}
    for key in DAGSTER_RUN_TAGS:
        assert dagster_run_link(tagged(key, RUN_ID), UI + "/") == (
            f"<a href='{UI}/runs/{RUN_ID}'>{RUN_ID}</a>"
        )


def test_no_link_without_a_ui_a_run_or_a_web_address() -> None:
    """No UI known, no run tag, a tag that is no run id, or a UI address that is not http(s):
    no link."""
    assert dagster_run_link(tagged(RUN_ID_TAG, RUN_ID), None) is None
    assert dagster_run_link(tagged("team", "data"), UI) is None
    assert dagster_run_link(tagged(RUN_ID_TAG, "x' onclick='alert(1)"), UI) is None
    assert dagster_run_link(tagged(RUN_ID_TAG, RUN_ID), "javascript:alert(1)") is None


def page(pages: TaskPages, local: LocalEcs, ecs: EcsResource, arn: str) -> str:
    """The task page ``pages`` serves for ``arn``, reading the server at ``local``."""
    environ = {
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(local.port),
        "PATH_INFO": f"/_local/tasks/{task_id(arn)}",
        "QUERY_STRING": urlencode({"cluster": ecs.cluster, "region": local.region}),
    }
    body = pages.answer(environ, lambda status, headers: None)
    return b"".join(body).decode()


def test_the_task_page_shows_the_run_link_while_the_ui_is_known(
    local_ecs: LocalEcs, ecs: EcsResource
) -> None:
    """The page of a task tagged with its run links to the run while the server knows the
    UI's address (asked at each page), and shows no link once it does not."""
    [arn] = ecs.run_task(command=["true"], tags={RUN_ID_TAG: RUN_ID})
    known: list[str | None] = [UI]
    pages = TaskPages(local_ecs.credentials, local_ecs.region, dagster_ui=lambda: known[0])
    assert f"href='{UI}/runs/{RUN_ID}'" in page(pages, local_ecs, ecs, arn)
    known[0] = None
    assert "/runs/" not in page(pages, local_ecs, ecs, arn)
