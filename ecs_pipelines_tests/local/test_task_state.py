"""A task's ECS lifecycle as DescribeTasks shows it, decided without processes or moto."""

from __future__ import annotations

from typing import Any

from ecs_pipelines.local.runtime.container_order import Progress
from ecs_pipelines.local.runtime.container_plan import ContainerSpec, TaskLaunch
from ecs_pipelines.local.runtime.health_checks import HealthCheck
from ecs_pipelines.local.runtime.task_state import ESSENTIAL_EXITED, FAILED_TO_START, TaskState

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/demo/0123abcd"
TASK_ROLE = "arn:aws:iam::123456789012:role/task"


def spec(name: str, *, essential: bool = True, health: bool = False) -> ContainerSpec:
    return ContainerSpec(
        name=name,
        container_arn=f"arn:aws:ecs:us-east-1:123456789012:container/demo/0123abcd/{name}",
        runtime_id=f"{name}-runtime",
        image="img",
        argv=("run",),
        environment={},
        essential=essential,
        stop_timeout=2.0,
        log=None,
        health_check=HealthCheck(argv=("true",)) if health else None,
    )


def task(
    *containers: ContainerSpec, exec_enabled: bool = False, role: str | None = TASK_ROLE
) -> TaskState:
    launch = TaskLaunch(
        task_arn=TASK_ARN,
        cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/demo",
        region="us-east-1",
        containers=containers or (spec("main"),),
        enable_execute_command=exec_enabled,
        task_role_arn=role,
    )
    return TaskState(launch)


def by_name(fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in fields["containers"]}


def test_a_new_task_is_provisioning_with_pending_containers_and_no_times() -> None:
    """RunTask's answer: PROVISIONING, desired RUNNING, containers PENDING, no start or stop."""
    fields = task(spec("main"), spec("side")).ecs_fields()
    assert (fields["lastStatus"], fields["desiredStatus"]) == ("PROVISIONING", "RUNNING")
    assert {c["lastStatus"] for c in by_name(fields).values()} == {"PENDING"}
    for name in ("startedAt", "stoppingAt", "stoppedAt", "stopCode", "stoppedReason"):
        assert fields[name] is None, name
    assert fields["connectivity"] is None


def test_the_task_is_running_only_once_no_container_waits_to_start() -> None:
    """A task whose containers wait on dependsOn stays PENDING until each started or gave up."""
    state = task(spec("init"), spec("main"))
    state.mark_pending()
    state.container_started("init")
    state.mark_running()
    assert state.last_status == "PENDING"
    state.container_failed_to_start("main", "never")
    state.mark_running()
    fields = state.ecs_fields()
    assert fields["lastStatus"] == "RUNNING"
    assert fields["startedAt"] is not None and fields["connectivity"] == "CONNECTED"


def test_pending_is_entered_once_from_provisioning() -> None:
    """PENDING is entered from PROVISIONING, with the pull start; later calls change nothing."""
    state = task()
    state.mark_pending()
    pulled = state.pull_started_at
    assert state.last_status == "PENDING" and pulled is not None
    state.container_started("main")
    state.mark_running()
    state.mark_pending()
    assert state.last_status == "RUNNING"
    assert state.pull_started_at == pulled


def test_a_stopping_task_never_becomes_running() -> None:
    """A task asked to stop before its containers all started does not show RUNNING."""
    state = task()
    state.mark_pending()
    assert state.begin_stop(*ESSENTIAL_EXITED)
    state.container_started("main")
    state.mark_running()
    assert state.last_status == "PENDING"
    state.mark_stopping()
    assert state.last_status == "STOPPING"


def test_finish_stops_every_container_and_keeps_the_stop_reason() -> None:
    """STOPPED: desired STOPPED, each container STOPPED, the first stop code and reason kept,
    stoppingAt no later than stoppedAt."""
    state = task(spec("main"), spec("side", essential=False))
    state.mark_pending()
    state.container_started("main")
    state.container_started("side")
    state.container_exited("main", 3)
    assert state.begin_stop(*ESSENTIAL_EXITED)
    state.mark_stopping()
    state.finish()
    fields = state.ecs_fields()
    assert (fields["lastStatus"], fields["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert (fields["stopCode"], fields["stoppedReason"]) == ESSENTIAL_EXITED
    assert fields["stoppingAt"] <= fields["stoppedAt"]
    assert fields["executionStoppedAt"] == fields["stoppedAt"]
    containers = by_name(fields)
    assert {c["lastStatus"] for c in containers.values()} == {"STOPPED"}
    assert containers["main"]["exitCode"] == 3
    assert "exitCode" not in containers["side"]
    state.mark_stopping()
    assert state.last_status == "STOPPED"


def test_a_task_that_finished_without_a_stop_request_is_stopped_all_the_same() -> None:
    """finish() alone sets desired STOPPED and stoppingAt, as ECS shows any stopped task."""
    state = task()
    state.finish()
    assert state.stopping and state.stopped
    assert state.stopping_at is not None


def test_a_container_that_failed_to_start_has_a_reason_and_no_exit_code() -> None:
    """A start failure shows the container STOPPED with its reason and without exitCode."""
    state = task()
    state.container_failed_to_start("main", "CannotStartContainerError: nope")
    state.begin_stop(FAILED_TO_START, "CannotStartContainerError: nope")
    [container] = state.ecs_fields()["containers"]
    assert container["lastStatus"] == "STOPPED"
    assert container["reason"] == "CannotStartContainerError: nope"
    assert "exitCode" not in container
    assert state.all_containers_done


def test_progress_is_what_depends_on_decides_from() -> None:
    """A container's progress: started, ended, exit code, health (None without a check)."""
    state = task(spec("init"), spec("web", health=True))
    assert state.containers["init"].progress == Progress(False, False, None, None)
    assert state.containers["web"].progress == Progress(False, False, None, "UNKNOWN")
    state.container_started("init")
    state.container_exited("init", 0)
    assert state.containers["init"].progress == Progress(True, True, 0, None)


def test_health_changes_are_reported_once_and_only_essential_containers_count() -> None:
    """A repeated health status is no change; the task's health follows essential containers."""
    state = task(spec("main", health=True), spec("side", essential=False, health=True))
    assert state.health_status == "UNKNOWN"
    assert state.container_health("side", "UNHEALTHY", "bad")
    assert state.health_status == "UNKNOWN"
    assert state.container_health("main", "HEALTHY", "ok")
    assert not state.container_health("main", "HEALTHY", "ok again")
    assert state.containers["main"].health_output == "ok again"
    fields = state.ecs_fields()
    assert fields["healthStatus"] == "HEALTHY"
    assert by_name(fields)["side"]["healthStatus"] == "UNHEALTHY"


def test_a_container_without_a_health_check_shows_unknown() -> None:
    """Without a healthCheck the container's healthStatus is UNKNOWN, as ECS shows it."""
    [container] = task().ecs_fields()["containers"]
    assert container["healthStatus"] == "UNKNOWN"


def test_the_exec_agent_runs_only_with_a_role_on_a_running_container_of_a_running_task() -> None:
    """ExecuteCommandAgent: PENDING until container and task run, RUNNING then, STOPPED with
    the container; without a task role it is STOPPED with a reason."""
    state = task(exec_enabled=True)
    container = state.containers["main"]
    assert state.exec_agent_status(container) == "PENDING"
    state.mark_pending()
    state.container_started("main")
    assert state.exec_agent_status(container) == "PENDING"
    state.mark_running()
    assert state.exec_agent_running(container)
    [agent] = by_name(state.ecs_fields())["main"]["managedAgents"]
    assert agent["name"] == "ExecuteCommandAgent" and agent["lastStatus"] == "RUNNING"
    state.container_exited("main", 0)
    assert state.exec_agent_status(container) == "STOPPED"

    roleless = task(exec_enabled=True, role=None)
    [agent] = by_name(roleless.ecs_fields())["main"]["managedAgents"]
    assert agent["lastStatus"] == "STOPPED" and "task role" in agent["reason"]


def test_without_execute_command_there_is_no_agent_and_no_exec() -> None:
    """A task run without enableExecuteCommand shows no managed agent and refuses exec."""
    state = task()
    state.mark_pending()
    state.container_started("main")
    state.mark_running()
    assert not state.exec_agent_running(state.containers["main"])
    assert "managedAgents" not in by_name(state.ecs_fields())["main"]
