"""``dependsOn`` and ``healthCheck`` on the embedded ECS: start order, conditions that can
never be met, and container and task healthStatus in DescribeTasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecs_pipelines_tests.local.local_ecs_tools import (
    containers_by_name,
    describe,
    log_messages,
    register,
    run_task,
    wait_for_container_status,
    wait_for_status,
    wait_for_task,
)

SLEEPER = ["python", "-c", "import time; time.sleep(60)"]


def _waits_for(path: Path, code: int = 0) -> list[str]:
    """A command that waits until ``path`` exists, then exits ``code``."""
    script = (
        f"import os, sys, time\nwhile not os.path.exists({str(path)!r}): time.sleep(0.02)\n"
        f"print('init done', flush=True)\nsys.exit({code})"
    )
    return ["python", "-c", script]


def _init_and_main(ecs_client: Any, init: list[str], condition: str) -> str:
    return register(
        ecs_client,
        [
            {"name": "init", "essential": False, "command": init},
            {
                "name": "main",
                "command": ["python", "-c", "print('main ran')"],
                "dependsOn": [{"containerName": "init", "condition": condition}],
            },
        ],
    )


def test_success_holds_main_until_init_exited_zero(
    ecs_client: Any, logs_client: Any, tmp_path: Path
) -> None:
    """With SUCCESS, main stays PENDING (and so the task) while init runs, then runs."""
    marker = tmp_path / "init-may-exit"
    family = _init_and_main(ecs_client, _waits_for(marker), "SUCCESS")
    task = run_task(ecs_client, family=family, container="main")

    held = wait_for_container_status(ecs_client, task["taskArn"], "init", "RUNNING")
    assert containers_by_name(held)["main"]["lastStatus"] == "PENDING"
    assert held["lastStatus"] == "PENDING"
    marker.touch()

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    init, main = containers_by_name(stopped)["init"], containers_by_name(stopped)["main"]
    assert (init["exitCode"], main["exitCode"]) == (0, 0)
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert log_messages(logs_client, task["taskArn"]) == ["main ran"]


def test_success_never_met_keeps_main_from_starting(ecs_client: Any, tmp_path: Path) -> None:
    """With SUCCESS on an init that exits 1, main never starts and the task stops."""
    marker = tmp_path / "go"
    marker.touch()
    family = _init_and_main(ecs_client, _waits_for(marker, code=1), "SUCCESS")
    task = run_task(ecs_client, family=family, container="main")

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    main = containers_by_name(stopped)["main"]
    assert containers_by_name(stopped)["init"]["exitCode"] == 1
    assert "exitCode" not in main
    assert "did not exit successfully" in main["reason"]
    assert stopped["stopCode"] == "EssentialContainerExited"


def test_complete_runs_main_after_init_exits_whatever_its_code(
    ecs_client: Any, logs_client: Any, tmp_path: Path
) -> None:
    """With COMPLETE, main starts once init exited, even with a non-zero code."""
    marker = tmp_path / "go"
    marker.touch()
    family = _init_and_main(ecs_client, _waits_for(marker, code=3), "COMPLETE")
    task = run_task(ecs_client, family=family, container="main")

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert containers_by_name(stopped)["init"]["exitCode"] == 3
    assert containers_by_name(stopped)["main"]["exitCode"] == 0
    assert log_messages(logs_client, task["taskArn"]) == ["main ran"]


def test_start_needs_only_the_dependency_started(ecs_client: Any, logs_client: Any) -> None:
    """With START, main runs while its dependency is still running."""
    family = _init_and_main(ecs_client, SLEEPER, "START")
    task = run_task(ecs_client, family=family, container="main")

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert containers_by_name(stopped)["main"]["exitCode"] == 0
    assert (
        containers_by_name(stopped)["init"]["exitCode"] == 143
    )  # SIGTERM when main ended the task
    assert log_messages(logs_client, task["taskArn"]) == ["main ran"]


def _health_check(command: list[str], **timing: int) -> dict[str, Any]:
    return {"command": command, "interval": 1, "timeout": 2, "retries": 1, **timing}


def test_healthy_waits_for_the_dependency_s_health_check(
    ecs_client: Any, logs_client: Any, tmp_path: Path
) -> None:
    """With HEALTHY, main waits while web is UNKNOWN and starts once web is HEALTHY."""
    ready = tmp_path / "ready"
    family = register(
        ecs_client,
        [
            {
                "name": "web",
                "command": SLEEPER,
                "healthCheck": _health_check(["CMD", "test", "-e", str(ready)], retries=10),
            },
            {
                "name": "main",
                "command": ["python", "-c", "print('main ran')"],
                "dependsOn": [{"containerName": "web", "condition": "HEALTHY"}],
            },
        ],
    )
    task = run_task(ecs_client, family=family, container="main")
    waiting = wait_for_container_status(ecs_client, task["taskArn"], "web", "RUNNING")
    assert containers_by_name(waiting)["web"]["healthStatus"] == "UNKNOWN"
    assert containers_by_name(waiting)["main"]["lastStatus"] == "PENDING"
    ready.touch()

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert containers_by_name(stopped)["web"]["healthStatus"] == "HEALTHY"
    assert containers_by_name(stopped)["main"]["exitCode"] == 0
    assert log_messages(logs_client, task["taskArn"]) == ["main ran"]


def test_health_status_of_containers_and_task(ecs_client: Any, tmp_path: Path) -> None:
    """UNKNOWN until the first result; an essential container's checks make the task HEALTHY,
    then UNHEALTHY when they fail; a nonessential container's failing check does not count."""
    sick = tmp_path / "sick"
    family = register(
        ecs_client,
        [
            {
                "name": "main",
                "command": SLEEPER,
                "healthCheck": _health_check(["CMD-SHELL", f"test ! -e {sick}"], retries=2),
            },
            {
                "name": "helper",
                "essential": False,
                "command": SLEEPER,
                "healthCheck": _health_check(["CMD", "false"]),
            },
        ],
    )
    task = run_task(ecs_client, family=family, container="main")
    first = describe(ecs_client, task["taskArn"])
    assert first["healthStatus"] == "UNKNOWN"
    assert {c["healthStatus"] for c in first["containers"]} == {"UNKNOWN"}

    healthy = wait_for_task(
        ecs_client,
        task["taskArn"],
        lambda t: (
            containers_by_name(t)["helper"]["healthStatus"] == "UNHEALTHY"
            and t["healthStatus"] == "HEALTHY"
        ),
        what="main HEALTHY and helper UNHEALTHY",
    )
    assert containers_by_name(healthy)["main"]["healthStatus"] == "HEALTHY"
    sick.touch()

    unhealthy = wait_for_task(
        ecs_client,
        task["taskArn"],
        lambda t: t["healthStatus"] == "UNHEALTHY",
        what="the task to become UNHEALTHY",
    )
    assert containers_by_name(unhealthy)["main"]["healthStatus"] == "UNHEALTHY"
    # UNHEALTHY is reported, not acted on: a task run outside a service keeps running.
    assert unhealthy["lastStatus"] == "RUNNING"
    ecs_client.stop_task(cluster=unhealthy["clusterArn"], task=task["taskArn"])
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")
