"""Which task definition revision a reference names once revisions are deregistered, and the
actions that refuse an INACTIVE one: RunTask, StartTask, CreateService, UpdateService and
CreateTaskSet.

"If a revision isn't specified, the latest ACTIVE revision is used" (each action's
``taskDefinition``). "You can't use an INACTIVE task definition to run new tasks or create new
services, and you can't update an existing service to reference an INACTIVE task definition"
(DeregisterTaskDefinition); an INACTIVE revision named explicitly is still described.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines_tests.local.local_ecs_tools import (
    describe,
    register,
    unique,
    wait_for_status,
)

QUICK = ["python", "-c", "print('quick')"]
LAUNCHES = ["RunTask", "StartTask"]
NAMED_BY = ["family:revision", "ARN"]
INACTIVE_FOR_SERVICES = (400, "ClientException", "TaskDefinition is inactive")


def _revisions(ecs_client: Any, count: int, command: list[str] = QUICK) -> str:
    """A new EC2 (bridge) family with ``count`` ACTIVE revisions; returns the family."""
    containers = [{"name": "main", "command": command, "memory": 128}]
    family = register(ecs_client, containers, network_mode="bridge")
    for _ in range(count - 1):
        register(ecs_client, containers, network_mode="bridge", family=family)
    return family


def _deregistered(ecs_client: Any, family: str, revision: int, named_by: str) -> str:
    """Deregisters ``family:revision``; the reference to it ``named_by`` names."""
    reference = f"{family}:{revision}"
    arn = ecs_client.deregister_task_definition(taskDefinition=reference)["taskDefinition"][
        "taskDefinitionArn"
    ]
    return reference if named_by == "family:revision" else str(arn)


def _launch(ecs_client: Any, action: str, task_definition: str, **extra: Any) -> dict[str, Any]:
    """RunTask (EC2) or StartTask on the demo cluster's container instance; the response."""
    if action == "RunTask":
        return ecs_client.run_task(  # type: ignore[no-any-return]
            cluster=DEMO_CLUSTER, taskDefinition=task_definition, launchType="EC2", **extra
        )
    instance = ecs_client.list_container_instances(cluster=DEMO_CLUSTER)["containerInstanceArns"]
    return ecs_client.start_task(  # type: ignore[no-any-return]
        cluster=DEMO_CLUSTER,
        taskDefinition=task_definition,
        containerInstances=instance[:1],
        **extra,
    )


def _service(ecs_client: Any, task_definition: str, *, external: bool = False) -> str:
    """A new service of one task on the demo cluster; its name. ``external``: the EXTERNAL
    deployment controller, whose tasks come from task sets."""
    name = unique("service")
    controller = {"deploymentController": {"type": "EXTERNAL"}} if external else {}
    ecs_client.create_service(
        cluster=DEMO_CLUSTER,
        serviceName=name,
        taskDefinition=task_definition,
        desiredCount=1,
        launchType="EC2",
        **controller,
    )
    return name


def _described_service(ecs_client: Any, name: str) -> dict[str, Any]:
    return ecs_client.describe_services(  # type: ignore[no-any-return]
        cluster=DEMO_CLUSTER, services=[name]
    )["services"][0]


def _create_task_set(ecs_client: Any, service: str, task_definition: str) -> dict[str, Any]:
    return ecs_client.create_task_set(  # type: ignore[no-any-return]
        cluster=DEMO_CLUSTER,
        service=service,
        taskDefinition=task_definition,
        launchType="EC2",
        scale={"unit": "PERCENT", "value": 100},
    )


def _refusal(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    error = response["Error"]
    return response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def _listed_tasks(ecs_client: Any, **selection: str) -> list[str]:
    """The tasks ListTasks answers for ``selection``, RUNNING or STOPPED."""
    return [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs_client.list_tasks(cluster=DEMO_CLUSTER, desiredStatus=status, **selection)[
            "taskArns"
        ]
    ]


def test_bare_family_describes_its_latest_active_revision(ecs_client: Any) -> None:
    """DescribeTaskDefinition of a bare family answers its newest ACTIVE revision."""
    family = _revisions(ecs_client, 3)
    ecs_client.deregister_task_definition(taskDefinition=f"{family}:3")
    described = ecs_client.describe_task_definition(taskDefinition=family)["taskDefinition"]
    assert (described["revision"], described["status"]) == (2, "ACTIVE")


def test_inactive_revision_named_explicitly_is_still_described(ecs_client: Any) -> None:
    """DescribeTaskDefinition of an INACTIVE family:revision or ARN answers it, status INACTIVE."""
    family = _revisions(ecs_client, 1)
    arn = _deregistered(ecs_client, family, 1, "ARN")
    for reference in (f"{family}:1", arn):
        described = ecs_client.describe_task_definition(taskDefinition=reference)
        assert described["taskDefinition"]["status"] == "INACTIVE"


@pytest.mark.parametrize("action", LAUNCHES)
def test_bare_family_launches_its_latest_active_revision(ecs_client: Any, action: str) -> None:
    """RunTask and StartTask of a bare family run its newest ACTIVE revision."""
    family = _revisions(ecs_client, 2)
    ecs_client.deregister_task_definition(taskDefinition=f"{family}:2")
    response = _launch(ecs_client, action, family)
    assert response["failures"] == []
    task = response["tasks"][0]
    assert task["taskDefinitionArn"].endswith(f"task-definition/{family}:1")
    assert wait_for_status(ecs_client, task["taskArn"], "STOPPED")["stopCode"] == (
        "EssentialContainerExited"
    )


@pytest.mark.parametrize("action", ["DescribeTaskDefinition", *LAUNCHES])
def test_family_without_an_active_revision_is_unknown(ecs_client: Any, action: str) -> None:
    """A family with no ACTIVE revision left is refused as an unknown task definition is."""
    family = _revisions(ecs_client, 2)
    for revision in (1, 2):
        ecs_client.deregister_task_definition(taskDefinition=f"{family}:{revision}")
    if action == "DescribeTaskDefinition":
        refusal = _refusal(lambda: ecs_client.describe_task_definition(taskDefinition=family))
    else:
        refusal = _refusal(lambda: _launch(ecs_client, action, family))
    assert refusal == (400, "ClientException", "Unable to describe task definition.")


@pytest.mark.parametrize("named_by", NAMED_BY)
@pytest.mark.parametrize("action", LAUNCHES)
def test_inactive_revision_runs_no_new_task(ecs_client: Any, action: str, named_by: str) -> None:
    """RunTask and StartTask refuse an INACTIVE revision named explicitly and start nothing."""
    family = _revisions(ecs_client, 2)
    reference = _deregistered(ecs_client, family, 1, named_by)
    started_by = unique("inactive")
    refusal = _refusal(lambda: _launch(ecs_client, action, reference, startedBy=started_by))
    assert refusal == (400, "InvalidParameterException", "TaskDefinition is inactive")
    assert _listed_tasks(ecs_client, startedBy=started_by) == []


def test_running_task_outlives_the_deregistration_of_its_revision(ecs_client: Any) -> None:
    """A task already running on a revision that is deregistered keeps running until stopped."""
    family = _revisions(ecs_client, 1, command=["python", "-c", "import time; time.sleep(60)"])
    task = _launch(ecs_client, "RunTask", family)["tasks"][0]
    wait_for_status(ecs_client, task["taskArn"], "RUNNING")
    ecs_client.deregister_task_definition(taskDefinition=f"{family}:1")
    assert describe(ecs_client, task["taskArn"])["lastStatus"] == "RUNNING"
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"], reason="test over")
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert (stopped["stopCode"], stopped["stoppedReason"]) == ("UserInitiated", "test over")


@pytest.mark.parametrize("named_by", NAMED_BY)
def test_create_service_refuses_an_inactive_revision(ecs_client: Any, named_by: str) -> None:
    """CreateService refuses an INACTIVE revision named explicitly and creates no service."""
    family = _revisions(ecs_client, 2)
    reference = _deregistered(ecs_client, family, 1, named_by)
    name = unique("service")
    refusal = _refusal(
        lambda: ecs_client.create_service(
            cluster=DEMO_CLUSTER, serviceName=name, taskDefinition=reference, desiredCount=1
        )
    )
    assert refusal == INACTIVE_FOR_SERVICES
    described = ecs_client.describe_services(cluster=DEMO_CLUSTER, services=[name])
    assert described["services"] == []
    assert [f["reason"] for f in described["failures"]] == ["MISSING"]


@pytest.mark.parametrize("named_by", NAMED_BY)
def test_update_service_refuses_an_inactive_revision(ecs_client: Any, named_by: str) -> None:
    """UpdateService refuses an INACTIVE revision named explicitly and leaves the service as it
    was: its task definition and its desired count."""
    family = _revisions(ecs_client, 2)
    name = _service(ecs_client, f"{family}:2")
    reference = _deregistered(ecs_client, family, 1, named_by)
    before = _described_service(ecs_client, name)
    refusal = _refusal(
        lambda: ecs_client.update_service(
            cluster=DEMO_CLUSTER, service=name, taskDefinition=reference, desiredCount=3
        )
    )
    assert refusal == INACTIVE_FOR_SERVICES
    after = _described_service(ecs_client, name)
    assert after["taskDefinition"].endswith(f"task-definition/{family}:2")
    assert after == before


@pytest.mark.parametrize("named_by", NAMED_BY)
def test_create_task_set_refuses_an_inactive_revision(ecs_client: Any, named_by: str) -> None:
    """CreateTaskSet refuses an INACTIVE revision named explicitly: no task set, no task."""
    family = _revisions(ecs_client, 2)
    name = _service(ecs_client, f"{family}:2", external=True)
    reference = _deregistered(ecs_client, family, 1, named_by)
    refusal = _refusal(lambda: _create_task_set(ecs_client, name, reference))
    assert refusal == INACTIVE_FOR_SERVICES
    task_sets = ecs_client.describe_task_sets(cluster=DEMO_CLUSTER, service=name)["taskSets"]
    assert task_sets == []
    assert _listed_tasks(ecs_client, serviceName=name) == []


def test_update_service_naming_no_active_revision_changes_nothing(ecs_client: Any) -> None:
    """UpdateService naming a family with no ACTIVE revision left is refused as an unknown task
    definition and leaves the service as it was."""
    family = _revisions(ecs_client, 1)
    name = _service(ecs_client, f"{family}:1")
    ecs_client.deregister_task_definition(taskDefinition=f"{family}:1")
    before = _described_service(ecs_client, name)
    refusal = _refusal(
        lambda: ecs_client.update_service(
            cluster=DEMO_CLUSTER, service=name, taskDefinition=family, desiredCount=3
        )
    )
    assert refusal == (400, "ClientException", "Unable to describe task definition.")
    assert _described_service(ecs_client, name) == before


def test_service_on_a_deregistered_revision_still_scales(ecs_client: Any) -> None:
    """UpdateService without a taskDefinition scales a service whose revision is INACTIVE."""
    family = _revisions(ecs_client, 1)
    name = _service(ecs_client, f"{family}:1")
    ecs_client.deregister_task_definition(taskDefinition=f"{family}:1")
    ecs_client.update_service(cluster=DEMO_CLUSTER, service=name, desiredCount=2)
    service = _described_service(ecs_client, name)
    assert service["desiredCount"] == 2
    assert service["taskDefinition"].endswith(f"task-definition/{family}:1")


@pytest.mark.parametrize("action", ["CreateService", "CreateTaskSet"])
def test_bare_family_gives_its_latest_active_revision_to_services(
    ecs_client: Any, action: str
) -> None:
    """CreateService and CreateTaskSet of a bare family take its newest ACTIVE revision."""
    family = _revisions(ecs_client, 2)
    ecs_client.deregister_task_definition(taskDefinition=f"{family}:2")
    if action == "CreateService":
        arn = _described_service(ecs_client, _service(ecs_client, family))["taskDefinition"]
    else:
        name = _service(ecs_client, f"{family}:1", external=True)
        arn = _create_task_set(ecs_client, name, family)["taskSet"]["taskDefinition"]
    assert arn.endswith(f"task-definition/{family}:1")


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("CreateService", "ClusterNotFoundException"),
        ("UpdateService", "ServiceNotFoundException"),
        ("CreateTaskSet", "ServiceNotFoundException"),
    ],
)
def test_what_a_call_names_is_found_before_its_revision_is_checked(
    ecs_client: Any, action: str, code: str
) -> None:
    """An unknown cluster or service is reported before an INACTIVE revision is."""
    family = _revisions(ecs_client, 2)
    reference = _deregistered(ecs_client, family, 1, "family:revision")
    missing = unique("missing")
    calls = {
        "CreateService": lambda: ecs_client.create_service(
            cluster=missing, serviceName=unique("service"), taskDefinition=reference
        ),
        "UpdateService": lambda: ecs_client.update_service(
            cluster=DEMO_CLUSTER, service=missing, taskDefinition=reference
        ),
        "CreateTaskSet": lambda: _create_task_set(ecs_client, missing, reference),
    }
    assert _refusal(calls[action])[:2] == (400, code)
