"""The embedded ECS under a fault plan: RunTask refused for want of capacity where the plan
narrows to, Spot tasks reclaimed, starts that fail as ECS words them, throttled calls, the
cap on running tasks; and who may set a plan."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from ecs_pipelines.cli.main import main
from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving import FAULTS_PATH
from ecs_pipelines_tests.conftest import local_client
from ecs_pipelines_tests.local.dedicated import StartServer
from ecs_pipelines_tests.local.local_ecs_tools import (
    NETWORK,
    register,
    run_task,
    wait_for_status,
)
from ecs_pipelines_tests.support.fault_plans import post_fault_plan

SetPlan = Callable[[str], None]
SPOT = {"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}
SLEEPER = ["python", "-c", "import time; time.sleep(60)"]


def raw_run_task(ecs: Any, **placement: Any) -> dict[str, Any]:
    """RunTask as it answers, failures included."""
    params = placement or {"launchType": "FARGATE"}
    return ecs.run_task(  # type: ignore[no-any-return]
        cluster=DEMO_CLUSTER,
        taskDefinition="ecs-pipelines-python",
        networkConfiguration=NETWORK,
        overrides={"containerOverrides": [{"name": "main", "command": ["true"]}]},
        **params,
    )


def test_no_capacity_only_where_the_plan_narrows_to(ecs_client: Any, fault_plan: SetPlan) -> None:
    """A plan refusing FARGATE_SPOT answers its failures there, with no task, and leaves a
    FARGATE launch alone."""
    fault_plan("no-capacity:provider=FARGATE_SPOT")
    refused = raw_run_task(ecs_client, **SPOT)
    assert refused["tasks"] == []
    assert refused["failures"] == [
        {
            "reason": "Capacity is unavailable at this time. Please try again later or in a "
            "different availability zone"
        }
    ]
    assert len(raw_run_task(ecs_client)["tasks"]) == 1


def test_a_refused_token_may_be_used_again(ecs_client: Any, fault_plan: SetPlan) -> None:
    """RunTask keeps no clientToken it started nothing for: the same token tries afresh."""
    fault_plan("no-capacity:count=1")
    token = "refused-then-started"
    assert raw_run_task(ecs_client, launchType="FARGATE", clientToken=token)["tasks"] == []
    [task] = raw_run_task(ecs_client, launchType="FARGATE", clientToken=token)["tasks"]
    [again] = raw_run_task(ecs_client, launchType="FARGATE", clientToken=token)["tasks"]
    assert again["taskArn"] == task["taskArn"]


def test_a_spot_task_is_reclaimed(ecs_client: Any, fault_plan: SetPlan) -> None:
    """A FARGATE_SPOT task gets SIGTERM (its handler runs) and stops with stopCode
    SpotInterruption and ECS's reason."""
    # After the task's Python has its handler in place, even on a loaded machine.
    fault_plan("spot-reclaim:after=5s,warning=10s")
    script = (
        "import signal, sys, time; "
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(7)); time.sleep(60)"
    )
    task = run_task(ecs_client, command=["python", "-c", script], **SPOT)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "SpotInterruption"
    assert stopped["stoppedReason"] == "Your Spot Task was interrupted."
    assert stopped["containers"][0]["exitCode"] == 7


def test_the_warning_window_is_shortened(ecs_client: Any, fault_plan: SetPlan) -> None:
    """A reclaimed task that ignores SIGTERM is killed once the plan's warning has passed,
    not after its two minutes."""
    # The reclaim comes after the task's Python has set SIGTERM aside (it starts in well under
    # 5 s even on a loaded machine): the kill must come from the warning's end.
    fault_plan("spot-reclaim:after=5s,warning=300ms")
    script = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
    family = register(
        ecs_client, [{"name": "main", "command": ["python", "-c", script], "stopTimeout": 120}]
    )
    task = run_task(ecs_client, family=family, **SPOT)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED", timeout=20)
    assert stopped["stopCode"] == "SpotInterruption"
    assert stopped["containers"][0]["exitCode"] == 137


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [("pull-error", "CannotPullContainerError: "), ("init-error", "ResourceInitializationError: ")],
)
def test_a_failed_start(ecs_client: Any, fault_plan: SetPlan, kind: str, prefix: str) -> None:
    """The plan's failed image pull or resource initialisation stops the task with
    TaskFailedToStart and ECS's reason prefix; the next task starts."""
    fault_plan(f"{kind}:count=1")
    task = run_task(ecs_client, command=SLEEPER)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"].startswith(prefix)
    assert "exitCode" not in stopped["containers"][0]
    after = run_task(ecs_client, command=["true"])
    assert wait_for_status(ecs_client, after["taskArn"], "STOPPED")["stopCode"] != (
        "TaskFailedToStart"
    )


def test_describe_tasks_throttled(local_ecs: LocalEcs, fault_plan: SetPlan) -> None:
    """A plan throttling DescribeTasks answers ThrottlingException "Rate exceeded" for as many
    calls as it says, then answers again."""
    ecs = local_client(local_ecs, "ecs", config=_no_retries())
    task = run_task(ecs, command=["true"])
    fault_plan("throttle:api=DescribeTasks,count=1")
    with pytest.raises(ClientError) as throttled:
        ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"]])
    assert throttled.value.response["Error"] == {
        "Code": "ThrottlingException",
        "Message": "Rate exceeded",
    }
    assert ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"]])["tasks"]


def _no_retries() -> Any:
    from botocore.config import Config

    return Config(retries={"total_max_attempts": 1})


def test_the_cap_on_running_tasks(start_dedicated_server: StartServer) -> None:
    """Past --max-running-tasks, RunTask answers no capacity as ECS does; once a task stops,
    there is room again."""
    with start_dedicated_server("--max-running-tasks", "1") as server:
        ecs = server.client("ecs")
        first = run_task(ecs, command=SLEEPER)
        refused = raw_run_task(ecs)
        assert refused["tasks"] == []
        assert refused["failures"][0]["reason"].startswith("Capacity is unavailable")
        ecs.stop_task(cluster=DEMO_CLUSTER, task=first["taskArn"])
        wait_for_status(ecs, first["taskArn"], "STOPPED")
        assert len(raw_run_task(ecs)["tasks"]) == 1


def test_only_the_server_sets_a_plan(local_ecs: LocalEcs, fault_plan: SetPlan) -> None:
    """A plan without the action header, or signed with keys not the server's, is refused; a
    plan that cannot be read is refused naming the setting; an empty one clears the plan."""
    url = local_ecs.endpoint_url + FAULTS_PATH
    request = urllib.request.Request(url, method="POST", data=b"no-capacity")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    made_up = KeyPair("AKIAEXAMPLEEXAMPLE00", "x" * 40)
    status, _ = post_fault_plan(local_ecs.endpoint_url, made_up, "no-capacity")
    assert status in (400, 403)
    status, answer = post_fault_plan(
        local_ecs.endpoint_url, local_ecs.credentials, "no-capacity:rate=2"
    )
    assert (status, answer["message"]) == (400, "faults[0] (no-capacity).rate: must be 0..1, got 2")
    fault_plan("no-capacity;throttle:api=DescribeTasks,seed=3")
    status, answer = post_fault_plan(local_ecs.endpoint_url, local_ecs.credentials, "")
    assert (status, answer["faults"]) == (200, 0)
    assert len(raw_run_task(local_client(local_ecs, "ecs"))["tasks"]) == 1


def test_serve_reads_the_plan_from_its_option_or_the_environment() -> None:
    """`local serve` refuses a plan it cannot read, given as --faults or in
    ECS_PIPELINES_LOCAL_FAULTS (what `make run` passes on), before it starts anything."""
    runner = CliRunner()
    given = runner.invoke(main, ["local", "serve", "--port", "0", "--faults", "flood:count=1"])
    assert given.exit_code == 2
    assert "faults[0] (flood): unknown kind" in given.output
    inherited = runner.invoke(
        main, ["local", "serve", "--port", "0"], env={"ECS_PIPELINES_LOCAL_FAULTS": "pull-error:x"}
    )
    assert inherited.exit_code == 2
    assert "'x' is not name=value" in inherited.output


@pytest.mark.parametrize("length", ["-1", "70000", "many"])
def test_a_fault_plan_body_past_its_bound_is_refused_unread(length: str) -> None:
    """A control's body whose Content-Length is negative, too large or not a number is
    refused with 413 before any of it is read (a negative length would read to the end)."""
    from ecs_pipelines.local.serving.fault_route import fault_action
    from ecs_pipelines.local.serving.server_actions import ACTION_HEADER, action_routes

    plans: list[object] = []
    [route] = action_routes([fault_action(plans.append)], authorize=None)
    statuses: list[str] = []

    class Unread(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("the body was read")

    environ = {
        "PATH_INFO": FAULTS_PATH,
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": length,
        "HTTP_" + ACTION_HEADER.upper().replace("-", "_"): "faults",
        "wsgi.input": Unread(b"no-capacity"),
    }
    route.handler(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["413 Content Too Large"] and plans == []
