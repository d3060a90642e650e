"""The embedded ECS's task and log pages, in a real browser: the task page shows status, exit
codes, stop code and reason and overrides with secrets masked; the log page follows new lines
while the task runs; both work under their Content-Security-Policy (no inline script or style)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.support.browser import browser_page
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.secret_shapes import SHAPED_SECRET, leaks

SECRET = "pages-5ecret-value"


def wait_stopped(ecs: EcsResource, arn: str) -> None:
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "STOPPED", what=arn)


def refusals(page: Any) -> list[str]:
    """The Content-Security-Policy refusals the page reports (filled as the page runs)."""
    refused: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    return refused


def test_task_page_shows_the_task_with_secrets_masked(ecs: EcsResource) -> None:
    """A stopped task's page shows its status, exit code, stop code and reason, its plain
    environment, and *** for a secret variable, whose value appears nowhere on the page."""
    [arn] = ecs.run_task(
        command=["python", "-c", "import sys; print('bye'); sys.exit(3)"],
        environment={"DAY": "2026-11-24"},
        secret_environment={"API_TOKEN": SECRET},
    )
    wait_stopped(ecs, arn)
    with browser_page() as page:
        refused = refusals(page)
        page.goto(ecs.links().task(ecs.cluster, arn))
        assert page.eval_on_selector("th", "th => getComputedStyle(th).fontWeight") == "600"
        assert page.text_content(".status") == "STOPPED (desired STOPPED)"
        assert page.text_content(".stop-code") == "EssentialContainerExited"
        assert page.text_content(".stopped-reason") == "Essential container in task exited"
        assert page.text_content("#containers .exit-code") == "3"
        overrides = page.text_content("#overrides") or ""
        assert "DAY=2026-11-24" in overrides and "API_TOKEN=***" in overrides
        assert SECRET not in page.content()
        page.click("#containers a")  # the container's log page
        page.wait_for_selector("#lines:has-text('bye')")
    assert refused == []


def test_task_page_masks_a_secret_that_html_escaping_changes(ecs: EcsResource) -> None:
    """A secret containing & < > " ' (and \\ $, a space, a newline) is masked wherever the task
    carries it (its own variable, the command, a DSN in another variable, the stop reason): in
    no encoding in the served HTML nor in the text the browser shows."""
    [arn] = ecs.run_task(
        command=["python", "-c", "import time; time.sleep(60)", SHAPED_SECRET],
        environment={"DSN": f"postgres://app:{SHAPED_SECRET}@db/app"},
        secret_environment={"DB_PASSWORD": SHAPED_SECRET},
    )
    ecs.stop_task(arn, reason=f"rotated {SHAPED_SECRET}")
    wait_stopped(ecs, arn)
    with browser_page() as page:
        served = page.goto(ecs.links().task(ecs.cluster, arn)).text()
        shown = page.inner_text("body")
    assert "DB_PASSWORD=***" in shown and "DSN=postgres://app:***@db/app" in shown
    assert "rotated ***" in shown
    assert leaks(served) == []
    assert leaks(shown) == []


def test_log_page_follows_new_lines_while_the_task_runs(ecs: EcsResource, tmp_path: Path) -> None:
    """The log page shows the lines written so far, then each new line as the task writes it,
    without a reload, and says when the task has stopped."""
    go = tmp_path / "go"
    source = (
        "import os, time\n"
        "print('first line', flush=True)\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.05)\n"
        "print('second line', flush=True)\n"
    )
    [arn] = ecs.run_task(command=["python", "-c", source])
    task_url = ecs.links().task(ecs.cluster, arn)
    logs_url = task_url.replace("?", "/logs/main?")
    with browser_page() as page:
        refused = refusals(page)
        page.goto(logs_url)
        # Selectors, not JavaScript predicates: the page's CSP refuses eval, Playwright's too.
        page.wait_for_selector("#lines:has-text('first line')")
        assert "second line" not in (page.text_content("#lines") or "")
        assert "Following" in (page.text_content("#state") or "")
        go.touch()
        page.wait_for_selector("#lines:has-text('second line')", timeout=30_000)
        page.wait_for_selector("#state:has-text('Task stopped:')", timeout=30_000)
        assert (page.text_content("#lines") or "").splitlines() == ["first line", "second line"]
    assert refused == []


def test_task_page_charts_cpu_and_memory_against_the_reservation(ecs: EcsResource) -> None:
    """A task's page draws its CPU and memory over time as inline SVG next to its
    reservation (dashed), under the page's Content-Security-Policy."""
    work = "import time\nblock = b'x' * (64 * 1024 * 1024)\ntime.sleep(2.5)\nprint(len(block))"
    [arn] = ecs.run_task(command=["python", "-c", work])
    wait_stopped(ecs, arn)
    with browser_page() as page:
        refused = refusals(page)
        page.goto(ecs.links().task(ecs.cluster, arn))
        assert "memory peak" in (page.text_content("#usage") or "")
        memory_title = page.text_content("#memory-chart title") or ""
        assert "reserved 512" in memory_title
        peak = float(memory_title.split("peak ")[1].split(",")[0])
        assert 60 <= peak < 120
        assert page.locator("#memory-chart polyline.used").count() == 1
        assert page.locator("#cpu-chart line.reserved").count() == 1
        assert refused == []
