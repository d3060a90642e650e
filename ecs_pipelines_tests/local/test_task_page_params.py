"""What a task page is asked for is checked before the server reads anything for it.

A page's region, cluster name, task id and container name come from its URL, which any web
page can make the browser request: a region the server does not serve, or a name ECS itself
would refuse, is a 404 page, and the clients the pages read the server with stay few.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.moto_bridge import served_regions
from ecs_pipelines.local.serving.task_pages import CLIENT_CACHE_SIZE, TaskPages
from ecs_pipelines_tests.local.local_ecs_tools import run_task

TASK_ID = "0" * 32


def ask(pages: TaskPages, local: LocalEcs, path: str, **params: str) -> tuple[str, str]:
    """(status, body) of ``pages`` answering a GET of ``path?params`` on ``local``."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(params),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(local.port),
        "wsgi.input": io.BytesIO(),
    }
    answered: list[str] = []
    body = b"".join(pages.answer(environ, lambda status, headers: answered.append(status)))
    return answered[0], body.decode()


def test_made_up_regions_do_not_grow_the_servers_clients(local_ecs: LocalEcs) -> None:
    """Task pages asked for many made-up regions answer 404 and create no client for them:
    plain GETs from any page cannot grow the server's memory."""
    pages = TaskPages(local_ecs.credentials)
    statuses = {
        ask(pages, local_ecs, f"/_local/tasks/{TASK_ID}", region=f"xx-made-up-{n}")[0]
        for n in range(40)
    }
    assert len(pages._clients) == 0
    assert statuses == {"404 Not Found"}


def test_the_clients_of_every_served_region_stay_bounded(
    ecs_client: Any, local_ecs: LocalEcs
) -> None:
    """Pages read in every region the server serves keep at most ``CLIENT_CACHE_SIZE`` clients
    (the least recently used one is dropped, and the drop logged)."""
    pages = TaskPages(local_ecs.credentials)
    regions = sorted(served_regions())
    assert len(regions) > CLIENT_CACHE_SIZE
    for region in regions:
        status, _ = ask(pages, local_ecs, f"/_local/tasks/{TASK_ID}", region=region)
        assert status == "404 Not Found"  # no such task there
    assert len(pages._clients) <= CLIENT_CACHE_SIZE


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/_local/tasks/{TASK_ID}", {"region": "us-east-1/../x"}),
        (f"/_local/tasks/{TASK_ID}", {"cluster": "no such/cluster"}),
        (f"/_local/tasks/{TASK_ID}", {"cluster": "c" * 256}),
        ("/_local/tasks/not-a-task-id", {}),
        (f"/_local/tasks/{'g' * 32}", {}),
        (f"/_local/tasks/{TASK_ID}/logs/bad name", {}),
        (f"/_local/tasks/{TASK_ID}/logs/{'m' * 256}/lines", {}),
    ],
)
def test_a_malformed_page_address_is_a_404_page(
    local_ecs: LocalEcs, path: str, params: dict[str, str]
) -> None:
    """A region the server does not serve, or a cluster name, task id or container name that
    ECS's own patterns refuse, is a 404 page naming what is wrong."""
    status, body = ask(TaskPages(local_ecs.credentials), local_ecs, path, **params)
    assert status == "404 Not Found", body
    assert "<!doctype html>" in body


def test_a_well_formed_address_still_shows_the_task(ecs_client: Any, local_ecs: LocalEcs) -> None:
    """An existing task's page, in its cluster and region, is found (32-hex id)."""
    task = run_task(ecs_client, command=["python", "-c", "pass"])
    ident = task["taskArn"].rsplit("/", 1)[-1]
    status, body = ask(
        TaskPages(local_ecs.credentials),
        local_ecs,
        f"/_local/tasks/{ident}",
        cluster=DEMO_CLUSTER,
        region="us-east-1",
    )
    assert status == "200 OK" and task["taskArn"] in body


def test_a_malformed_account_is_no_page(local_ecs: LocalEcs) -> None:
    """A page naming an account that is no 12-digit id is a 404, with no client made for it."""
    pages = TaskPages(local_ecs.credentials)
    for account in ("12345", "1234567890123", "abcdefghijkl", "../../etc"):
        status, body = ask(pages, local_ecs, f"/_local/tasks/{TASK_ID}", account=account)
        assert status == "404 Not Found" and "12 digits" in body
    assert len(pages._clients) == 0
