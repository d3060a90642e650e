"""Launches against the embedded ECS under a fault plan: refusals that pass are waited out
(one task in the end, never two), final ones are raised at once, and a capacity with no room
gives way to the next of capacity_fallback."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from dagster import DagsterInstance, job

from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_SECURITY_GROUP, DEMO_SUBNET
from ecs_pipelines.ecs.common import Deadline, EcsLaunchError, client_config
from ecs_pipelines.ecs.launching import (
    CapacityBackoff,
    CapacityFallback,
    CapacityWait,
    Launched,
    launch,
    launch_on_capacity,
)
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import local_client, make_resource
from ecs_pipelines_tests.support.dagster_helpers import tasks_started_by
from ecs_pipelines_tests.support.launch_plans import plan_of

SetPlan = Callable[[str], None]
FAST = CapacityBackoff(base_delay=0.05, max_delay=0.2)


@pytest.fixture
def ecs_client(local_ecs: LocalEcs) -> Any:
    """An ECS client as the project builds them: botocore's own retries off, so that every
    attempt is the Retrier's (and counted)."""
    return local_client(local_ecs, "ecs", config=client_config())


def launch_once(
    client: EcsTaskClient, started_by: str, waits: list[CapacityWait], **settings: Any
) -> list[str]:
    """Launches one short task with ``client``; the waits it says go to ``waits``."""
    plan = plan_of(
        cluster=DEMO_CLUSTER,
        task_definition=settings.pop("task_definition", "ecs-pipelines-python"),
        container_name="main",
        command=["python", "-c", "pass"],
        launch_type="FARGATE",
        subnets=[DEMO_SUBNET],
        security_groups=[DEMO_SECURITY_GROUP],
        started_by=started_by,
        **settings,
    )
    return launch(client, plan, on_wait=waits.append, backoff=FAST)


def started(local_ecs: LocalEcs, started_by: str) -> list[dict[str, Any]]:
    return tasks_started_by(make_resource(local_ecs), started_by)


def unique() -> str:
    return f"cap-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    "reason",
    [
        None,
        "RESOURCE:CPU",
        "RESOURCE:MEMORY",
        "RESOURCE:PORTS",
        "RESOURCE:ENI",
        "RESOURCE:GPU",
        "AGENT",
    ],
)
def test_a_refusal_that_passes_is_waited_out_and_starts_one_task(
    local_ecs: LocalEcs, ecs_client: Any, fault_plan: SetPlan, reason: str | None
) -> None:
    """Two answers of no capacity (Fargate's, or the EC2 reason named) are retried after a
    said wait each; the third call starts the task, and only it."""
    fault_plan("no-capacity:count=2" + (f",reason={reason}" if reason else ""))
    started_by, client, waits = unique(), EcsTaskClient(ecs_client), []
    arns = launch_once(client, started_by, waits)
    assert len(arns) == 1
    assert client.calls["run_task"] == 3
    assert [wait.attempt for wait in waits] == [1, 2]
    said = reason or "Capacity is unavailable at this time"
    assert all(said in wait.message() for wait in waits)
    assert [task["taskArn"] for task in started(local_ecs, started_by)] == arns


@pytest.mark.parametrize("reason", ["ATTRIBUTE", "MISSING", "LOCATION"])
def test_a_final_failure_reason_is_raised_at_once(
    local_ecs: LocalEcs, ecs_client: Any, fault_plan: SetPlan, reason: str
) -> None:
    """A failure waiting cannot fix is raised after one call, with no wait and no task."""
    fault_plan(f"no-capacity:count=1,reason={reason}")
    started_by, client, waits = unique(), EcsTaskClient(ecs_client), []
    with pytest.raises(EcsLaunchError, match=reason) as raised:
        launch_once(client, started_by, waits)
    assert raised.value.failures[0]["reason"] == reason
    assert (client.calls["run_task"], waits) == (1, [])
    assert started(local_ecs, started_by) == []


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"task_definition": "no-such-family"}, "ClientException"),
        ({"cluster": "no-such-cluster"}, "ClusterNotFoundException"),
    ],
)
def test_a_final_error_of_the_embedded_ecs_is_raised_at_once(
    ecs_client: Any, settings: dict[str, Any], code: str
) -> None:
    """A request ECS refuses for good (no such task definition, no such cluster) is one
    RunTask call and no wait."""
    client = EcsTaskClient(ecs_client)
    waits: list[CapacityWait] = []
    plan = plan_of(
        **{"cluster": DEMO_CLUSTER, "task_definition": "ecs-pipelines-python", **settings},
        launch_type="FARGATE",
        subnets=[DEMO_SUBNET],
    )
    with pytest.raises(ClientError) as raised:
        launch(client, plan, on_wait=waits.append, backoff=FAST)
    assert raised.value.response["Error"]["Code"] == code
    assert client.calls["run_task"] == 1
    assert waits == []


def test_a_throttled_runtask_is_retried(
    local_ecs: LocalEcs, ecs_client: Any, fault_plan: SetPlan
) -> None:
    """ThrottlingException is retried by the client's Retrier (same token), ECS's other
    throttling answer, ClientException "Rate exceeded", by the launch's waits; one task."""
    fault_plan("throttle:api=RunTask,count=2")
    started_by, client, waits = unique(), EcsTaskClient(ecs_client), []
    launch_once(client, started_by, waits)
    assert (client.calls["run_task"], waits) == (3, [])
    fault_plan("throttle:api=RunTask,count=2,code=ClientException")
    client = EcsTaskClient(ecs_client)
    launch_once(client, started_by, waits)
    assert client.calls["run_task"] == 3
    assert ["Rate exceeded" in wait.said for wait in waits] == [True, True]
    assert len(started(local_ecs, started_by)) == 2  # one per launch


def test_a_launch_gives_up_when_its_budget_is_spent(
    local_ecs: LocalEcs, ecs_client: Any, fault_plan: SetPlan
) -> None:
    """While capacity never comes back, the launch tries within capacity_retry_seconds, then
    raises the last refusal saying it gave up; nothing was started."""
    fault_plan("no-capacity")
    started_by, client, waits = unique(), EcsTaskClient(ecs_client), []
    # A budget of many pauses (FAST's are at most 0.2 s), even if a loaded host answers a
    # RunTask in a second.
    with pytest.raises(EcsLaunchError, match="Capacity is unavailable") as raised:
        launch_once(client, started_by, waits, capacity_retry_seconds=3)
    assert client.calls["run_task"] == len(waits) + 1 >= 2
    assert any("capacity_retry_seconds=3" in note for note in raised.value.__notes__)
    assert started(local_ecs, started_by) == []


def test_the_callers_deadline_ends_the_waits_before_the_budget(
    local_ecs: LocalEcs, ecs_client: Any, fault_plan: SetPlan
) -> None:
    """A deadline sooner than capacity_retry_seconds (a step's timeout) ends the waits."""
    fault_plan("no-capacity")
    started_by, client = unique(), EcsTaskClient(ecs_client)
    plan = plan_of(
        cluster=DEMO_CLUSTER,
        task_definition="ecs-pipelines-python",
        launch_type="FARGATE",
        subnets=[DEMO_SUBNET],
        started_by=started_by,
    )
    assert plan.capacity_retry_seconds == 300
    with pytest.raises(EcsLaunchError) as raised:
        launch(client, plan, deadline=Deadline.after(0.5), backoff=FAST)
    assert any("Gave up after" in note for note in raised.value.__notes__)
    assert started(local_ecs, started_by) == []


def test_a_step_says_each_wait_once_in_the_run_log(
    local_ecs: LocalEcs, fault_plan: SetPlan
) -> None:
    """An op whose launch meets no capacity twice succeeds; the run log has one line per
    wait, naming the answer and the budget."""
    fault_plan("no-capacity:count=2")
    op_def = ecs_task_op("patient", command=["python", "-c", "pass"])

    @job(resource_defs={"ecs": make_resource(local_ecs)})
    def patient_job() -> None:
        op_def()

    instance = DagsterInstance.ephemeral()
    result = patient_job.execute_in_process(instance=instance)
    assert result.success
    logged = [r.user_message for r in instance.all_logs(result.run_id)]
    waits = [line for line in logged if "was refused" in line]
    assert len(waits) == 2, waits
    assert all("Capacity is unavailable" in w and "capacity_retry_seconds" in w for w in waits)
    assert len(tasks_started_by(make_resource(local_ecs), f"dagster/{result.run_id}")) == 1


SPOT_FIRST = {
    "launch_type": None,
    "capacity_provider_strategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
    "capacity_fallback": [[{"capacityProvider": "FARGATE", "weight": 1}]],
}


def launch_spot_first(
    client: EcsTaskClient, started_by: str, fallbacks: list[CapacityFallback], budget: float
) -> Launched:
    plan = plan_of(
        cluster=DEMO_CLUSTER,
        task_definition="ecs-pipelines-python",
        container_name="main",
        command=["python", "-c", "pass"],
        subnets=[DEMO_SUBNET],
        security_groups=[DEMO_SECURITY_GROUP],
        started_by=started_by,
        capacity_retry_seconds=budget,
        **SPOT_FIRST,
    )
    return launch_on_capacity(client, plan, on_fallback=fallbacks.append, backoff=FAST)


def test_a_launch_falls_back_to_the_next_capacity(
    local_ecs: LocalEcs, ecs_client: Any, fault_plan: SetPlan
) -> None:
    """FARGATE_SPOT has no capacity for the whole budget: the launch moves to FARGATE (said
    once), starts one task there, and says it ran on FARGATE, as DescribeTasks does."""
    fault_plan("no-capacity:provider=FARGATE_SPOT")
    started_by, client, fallbacks = unique(), EcsTaskClient(ecs_client), []
    launched = launch_spot_first(client, started_by, fallbacks, budget=0.3)
    assert (launched.capacity, launched.passed_over) == ("FARGATE", ("FARGATE_SPOT",))
    assert [(f.from_capacity, f.to_capacity) for f in fallbacks] == [("FARGATE_SPOT", "FARGATE")]
    assert "Capacity is unavailable" in fallbacks[0].message()
    [task] = started(local_ecs, started_by)
    assert task["taskArn"] == launched.task_arns[0]
    assert task["capacityProviderName"] == "FARGATE"


def test_a_launch_with_room_stays_on_its_own_capacity(local_ecs: LocalEcs, ecs_client: Any) -> None:
    """With capacity on FARGATE_SPOT, the fallback is never used: one call, one Spot task."""
    started_by, client, fallbacks = unique(), EcsTaskClient(ecs_client), []
    launched = launch_spot_first(client, started_by, fallbacks, budget=0.3)
    assert (launched.capacity, fallbacks, client.calls["run_task"]) == ("FARGATE_SPOT", [], 1)
    [task] = started(local_ecs, started_by)
    assert task["capacityProviderName"] == "FARGATE_SPOT"


def test_a_final_refusal_does_not_fall_back(ecs_client: Any, fault_plan: SetPlan) -> None:
    """A refusal no capacity can fix (ATTRIBUTE) is raised on the first capacity, after one call."""
    fault_plan("no-capacity:provider=FARGATE_SPOT,reason=ATTRIBUTE")
    client, fallbacks = EcsTaskClient(ecs_client), []
    with pytest.raises(EcsLaunchError, match="ATTRIBUTE"):
        launch_spot_first(client, unique(), fallbacks, budget=5)
    assert (client.calls["run_task"], fallbacks) == (1, [])


def test_the_last_capacity_gives_up_after_its_budget(
    local_ecs: LocalEcs, ecs_client: Any, fault_plan: SetPlan
) -> None:
    """No room anywhere: each capacity is tried for its budget, then the last refusal is raised;
    nothing was started."""
    fault_plan("no-capacity")
    started_by, client, fallbacks = unique(), EcsTaskClient(ecs_client), []
    with pytest.raises(EcsLaunchError, match="Capacity is unavailable") as raised:
        launch_spot_first(client, started_by, fallbacks, budget=0.2)
    assert len(fallbacks) == 1
    assert any("Gave up after" in note for note in raised.value.__notes__)
    assert started(local_ecs, started_by) == []
