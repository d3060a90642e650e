"""Two resources, two accounts: each assumes its own role on the embedded ECS, launches and
watches there, and sees nothing of the other's; a wait outlives the role's credentials."""

from __future__ import annotations

import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from dagster import DagsterInstance, build_sensor_context, instance_for_test, job

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.ecs.common import EcsError
from ecs_pipelines.integration.completion_sensor import ecs_task_completion_sensor
from ecs_pipelines.integration.ops import ecs_completion_report_op, ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.accounts import (
    ACCOUNT_A,
    ACCOUNT_B,
    role_in,
    set_up_like_the_demo,
)
from ecs_pipelines_tests.support.dagster_helpers import engine_event_metadata, py


@job(name="accounts_report_job")
def completion_report_job() -> None:
    ecs_completion_report_op()()


def _resource_in(local: LocalEcs, account: str, **fields: Any) -> EcsResource:
    # A session name of its own: credentials are shared per role and caller in a process.
    session = f"test-{uuid.uuid4().hex[:8]}"
    ecs = make_resource(local, role_arn=role_in(account), role_session_name=session, **fields)
    set_up_like_the_demo(ecs)
    return ecs


@pytest.fixture
def in_a(local_ecs: LocalEcs) -> EcsResource:
    return _resource_in(local_ecs, ACCOUNT_A)


@pytest.fixture
def in_b(local_ecs: LocalEcs) -> EcsResource:
    return _resource_in(local_ecs, ACCOUNT_B)


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def _listed(client: Any, started_by: str) -> list[str]:
    """The stopped tasks ListTasks names in the demo cluster for ``started_by``."""
    answer = client.list_tasks(cluster=DEMO_CLUSTER, startedBy=started_by, desiredStatus="STOPPED")
    return list(answer["taskArns"])


def test_each_resource_launches_in_its_roles_account_and_sees_only_its_own_task(
    local_ecs: LocalEcs, in_a: EcsResource, in_b: EcsResource, ecs_client: Any
) -> None:
    """A task launched through account A's role and one through B's run and finish each in its
    account; ListTasks and DescribeTasks with the other account's credentials (or the
    server's own, the default account) see nothing of it, nor of its logs; its links open
    its page in its own account."""
    marker = f"accounts-{uuid.uuid4().hex[:8]}"
    [arn_a] = in_a.run_task(command=py("print('hello from A')"), started_by=marker)
    [arn_b] = in_b.run_task(command=py("print('hello from B')"), started_by=marker)
    assert (_account_of(arn_a), _account_of(arn_b)) == (ACCOUNT_A, ACCOUNT_B)
    lines: list[str] = []
    [done_a] = in_a.wait_for_tasks([arn_a], timeout_seconds=30)
    [done_b] = in_b.wait_for_tasks(
        [arn_b], timeout_seconds=30, on_log_lines=lambda _ref, _container, new: lines.extend(new)
    )
    assert done_a.succeeded and done_b.succeeded
    assert any("hello from B" in line for line in lines)

    for own, other, arn in ((in_a, in_b, arn_a), (in_b, in_a, arn_b)):
        assert _listed(own.ecs_client(), marker) == [arn]
        assert other.describe_tasks([arn]) == []
        [failure] = other.ecs_client().describe_tasks(cluster=DEMO_CLUSTER, tasks=[arn])["failures"]
        assert failure["reason"] == "MISSING"
    assert _listed(ecs_client, marker) == []

    stream = f"ecs/main/{arn_b.rsplit('/', 1)[-1]}"
    group = "/ecs/ecs-pipelines"
    seen = in_b.logs_client().get_log_events(logGroupName=group, logStreamName=stream)
    assert any("hello from B" in e["message"] for e in seen["events"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        in_a.logs_client().get_log_events(logGroupName=group, logStreamName=stream)

    page = in_b.links().task(DEMO_CLUSTER, arn_b)
    assert f"account={ACCOUNT_B}" in page
    with urllib.request.urlopen(page, timeout=10) as answer:
        assert arn_b in answer.read().decode()


def test_one_job_launches_each_step_in_its_resources_account_and_links_there(
    in_a: EcsResource, in_b: EcsResource
) -> None:
    """A job whose two steps name two resources (two roles, two accounts) launches each
    step's task in its resource's account; each step's links open its task's page there."""
    step_a = ecs_task_op("step_in_a", command=py("print('A')"), resource_key="ecs_a")
    step_b = ecs_task_op("step_in_b", command=py("print('B')"), resource_key="ecs_b")

    @job(resource_defs={"ecs_a": in_a, "ecs_b": in_b})
    def two_accounts() -> None:
        step_a()
        step_b()

    instance = DagsterInstance.ephemeral()
    result = two_accounts.execute_in_process(instance=instance)
    assert result.success
    [done_a] = result.output_for_node("step_in_a")
    [done_b] = result.output_for_node("step_in_b")
    assert (_account_of(done_a.task_arn), _account_of(done_b.task_arn)) == (ACCOUNT_A, ACCOUNT_B)
    links = {
        m["task_arn"].value: m["task_console"].value
        for m in engine_event_metadata(instance, result.run_id)
        if "task_arn" in m
    }
    assert f"account={ACCOUNT_A}" in links[done_a.task_arn]
    assert f"account={ACCOUNT_B}" in links[done_b.task_arn]


def test_each_sensor_watches_the_account_of_its_own_resource(
    in_a: EcsResource, in_b: EcsResource
) -> None:
    """Two completion sensors, one per resource key, each report the task that finished in
    their resource's account and nothing of the other's."""
    marker = f"sensed-{uuid.uuid4().hex[:8]}"
    sensors = {
        key: ecs_task_completion_sensor(
            f"watch_{key}", started_by=marker, job=completion_report_job, resource_key=key
        )
        for key in ("ecs_a", "ecs_b")
    }
    resources = {"ecs_a": in_a, "ecs_b": in_b}
    with instance_for_test() as instance:
        cursors = {
            key: sensor_def.evaluate_tick(
                build_sensor_context(instance=instance, resources=resources)
            ).cursor
            for key, sensor_def in sensors.items()
        }
        [arn_a] = in_a.run_task(command=py("print('A')"), started_by=marker)
        [arn_b] = in_b.run_task(command=py("print('B')"), started_by=marker)
        in_a.wait_for_tasks([arn_a], timeout_seconds=30)
        in_b.wait_for_tasks([arn_b], timeout_seconds=30)
        reported = {
            key: [
                r.run_key
                for r in sensor_def.evaluate_tick(
                    build_sensor_context(
                        instance=instance, resources=resources, cursor=cursors[key]
                    )
                ).run_requests
            ]
            for key, sensor_def in sensors.items()
        }
    assert reported == {"ecs_a": [arn_a], "ecs_b": [arn_b]}


def test_ecs_exec_through_a_role_runs_in_the_task_of_its_account(
    in_b: EcsResource, ecs: EcsResource
) -> None:
    """ECS Exec through account B's role reaches B's task; the default account's credentials
    cannot find it."""
    [arn] = in_b.run_task(command=py("import time; time.sleep(60)"), enable_execute_command=True)
    try:
        assert in_b.execute_command(arn, "echo in-b").output == "in-b\n"
        with pytest.raises(EcsError):
            ecs.execute_command(arn, "echo default")
    finally:
        in_b.stop_task(arn, reason="exec through a role tested")


@pytest.fixture
def short_lived_role_credentials(local_ecs: LocalEcs) -> Iterator[int]:
    """The embedded STS issues credentials living 3 s (below AWS's 900 s minimum, which a
    test cannot wait for), for this test only."""
    keys = local_ecs.access_keys
    before = keys.assumed_role_max_seconds
    keys.assumed_role_max_seconds = 3
    try:
        yield 3
    finally:
        keys.assumed_role_max_seconds = before


def _signing_keys(ecs: EcsResource) -> list[str]:
    """The access key ids the resource's ECS client signs with, request by request."""
    used: list[str] = []

    def record(request: Any, **_: Any) -> None:
        authorization = request.headers.get("Authorization", b"")
        text = authorization.decode() if isinstance(authorization, bytes) else authorization
        used.append(text.split("Credential=", 1)[1].split("/", 1)[0])

    ecs.ecs_client().meta.events.register("before-send.ecs", record)
    return used


def test_a_wait_longer_than_the_roles_credentials_keeps_working(
    local_ecs: LocalEcs, short_lived_role_credentials: int
) -> None:
    """A task running twice as long as the role's credentials live is waited for to the end:
    the credentials are renewed ahead of expiry, and the first set is refused by then."""
    ecs = _resource_in(local_ecs, ACCOUNT_A)
    used = _signing_keys(ecs)
    first = ecs.role_credentials()
    assert first is not None
    first_set = first.get_frozen_credentials()
    lifetime = short_lived_role_credentials
    [result] = ecs.run_task_and_wait(
        command=py(f"import time; time.sleep({2 * lifetime})"), timeout_seconds=30
    )
    assert result.succeeded
    assert len(set(used)) >= 3  # renewed at least twice during the wait
    stale = boto3.client(
        "ecs",
        endpoint_url=local_ecs.endpoint_url,
        region_name=local_ecs.region,
        aws_access_key_id=first_set.access_key,
        aws_secret_access_key=first_set.secret_key,
        aws_session_token=first_set.token,
    )
    # Refused as expired, or as unknown once the server has dropped it (it keeps no expired key).
    with pytest.raises(ClientError, match=r"ExpiredToken|UnrecognizedClientException"):
        stale.list_clusters()
