"""Whatever ends a launch or a wait early, no task it started is left running: interrupted
fan-outs, waits in another cluster, a step's cleanup under a second interrupt or a failing
StopTask."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from dagster import DagsterInstance, job
from dagster._core.errors import DagsterExecutionInterruptedError

from ecs_pipelines.ecs.common import EcsTimeoutError
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import local_client, make_resource
from ecs_pipelines_tests.support.dagster_helpers import tasks_started_by
from ecs_pipelines_tests.support.fault_proxy import FaultProxy, always, aws_error
from ecs_pipelines_tests.support.polling import wait_until

SLEEP = ["python", "-c", "import time; time.sleep(120)"]
OTHER_CLUSTER = "ecs-pipelines-other"


def unique_started_by() -> str:
    return f"left-{uuid.uuid4().hex[:12]}"


def all_stopping(tasks: list[Any]) -> bool:
    return bool(tasks) and all(t["desiredStatus"] == "STOPPED" for t in tasks)


@pytest.fixture(scope="module")
def other_cluster(local_ecs: LocalEcs) -> str:
    """A second Fargate cluster on the embedded ECS."""
    ecs = local_client(local_ecs, "ecs")
    ecs.create_cluster(clusterName=OTHER_CLUSTER)
    return OTHER_CLUSTER


def test_fan_out_interrupted_between_calls_stops_what_it_launched(ecs: EcsResource) -> None:
    """Ctrl-C between two RunTask calls of run_tasks stops the tasks already launched and
    names them on the interrupt."""
    started_by = unique_started_by()
    calls: list[list[str]] = []

    def interrupt_after_first_call(arns: list[str]) -> None:
        calls.append(arns)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as raised:
        ecs.run_tasks(
            15, command=SLEEP, started_by=started_by, on_launch=interrupt_after_first_call
        )
    [first] = calls
    assert len(first) == 10
    assert all(arn in "\n".join(raised.value.__notes__) for arn in first)
    tasks = tasks_started_by(ecs, started_by)
    assert len(tasks) == 10 and all_stopping(tasks)


def test_timeout_in_another_cluster_stops_there(ecs: EcsResource, other_cluster: str) -> None:
    """run_task_and_wait(cluster=...) past its timeout stops its task in that cluster."""
    started_by = unique_started_by()
    with pytest.raises(EcsTimeoutError):
        ecs.run_task_and_wait(
            command=SLEEP, cluster=other_cluster, started_by=started_by, timeout_seconds=2
        )
    tasks = tasks_started_by(ecs, started_by, cluster=other_cluster)
    assert len(tasks) == 1 and all_stopping(tasks)


@pytest.fixture
def failing_stops(local_ecs: LocalEcs) -> Iterator[FaultProxy]:
    """The embedded ECS behind a proxy whose StopTask always fails."""
    with FaultProxy(
        upstream=local_ecs.endpoint_url,
        faults=[always("StopTask", lambda: aws_error("AccessDeniedException", 400, "no"))],
    ) as proxy:
        yield proxy


def test_failed_stop_in_cleanup_keeps_the_original_error(
    local_ecs: LocalEcs, failing_stops: FaultProxy
) -> None:
    """A step whose task fails to stop during cleanup fails with the error that ended it, and
    the failed StopTask is reported in the run log."""
    ecs = make_resource(local_ecs, endpoint_url=failing_stops.url)
    op_def = ecs_task_op("doomed", command=SLEEP, timeout_seconds=2)

    @job(resource_defs={"ecs": ecs})
    def doomed_job() -> None:
        op_def()

    instance = DagsterInstance.ephemeral()
    result = doomed_job.execute_in_process(instance=instance, raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    text = failure.step_failure_data.error.to_string()
    assert "did not finish within 2" in text
    assert "AccessDenied" not in text
    logged = "\n".join(r.user_message for r in instance.all_logs(result.run_id))
    assert "StopTask failed" in logged
    stuck = [
        t["taskArn"] for t in tasks_started_by(make_resource(local_ecs), f"dagster/{result.run_id}")
    ]
    make_resource(local_ecs).stop_tasks(stuck, reason="test over")


def test_step_cleanup_survives_a_second_interrupt(
    ecs: EcsResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A terminated run's step stops its tasks even when another interrupt arrives while it is
    stopping them."""
    import os
    import signal

    from ecs_pipelines.integration import step_runner

    real_wait = step_runner.StepTaskRunner.wait

    def terminated(self: step_runner.StepTaskRunner, arns: list[str]) -> Any:
        original_stop = self.ecs.task_client().stop

        def stop_with_second_interrupt(*args: Any, **kwargs: Any) -> Any:
            os.kill(os.getpid(), signal.SIGINT)  # the run is terminated again meanwhile
            return original_stop(*args, **kwargs)

        monkeypatch.setattr(self.ecs.task_client(), "stop", stop_with_second_interrupt)
        raise DagsterExecutionInterruptedError("terminated")

    monkeypatch.setattr(step_runner.StepTaskRunner, "wait", terminated)
    op_def = ecs_task_op("terminated", command=SLEEP, count=3)

    @job(resource_defs={"ecs": ecs})
    def terminated_job() -> None:
        op_def()

    result = terminated_job.execute_in_process(raise_on_error=False)
    monkeypatch.setattr(step_runner.StepTaskRunner, "wait", real_wait)
    tasks = tasks_started_by(ecs, f"dagster/{result.run_id}")
    assert len(tasks) == 3
    wait_until(lambda: all_stopping(tasks_started_by(ecs, f"dagster/{result.run_id}")))
