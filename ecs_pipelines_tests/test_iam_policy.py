"""docs/iam-policy.json grants exactly the AWS APIs the code calls, found by reading the code and
by watching it work against the embedded ECS; docs/iam-task-role-exec.json is what ECS Exec needs.
With ``role_arn``, the resource's own identity calls only STS AssumeRole
(docs/iam-assume-role.json) and the role, which trusts it (docs/iam-trust-policy.json), holds
docs/iam-policy.json.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from click.testing import CliRunner
from dagster import AssetCheckSpec, DagsterInstance, materialize
from dagster_aws.pipes import PipesCloudWatchMessageReader
from dagster_aws.pipes import message_readers as pipes_message_readers

import ecs_pipelines
from ecs_pipelines.cli.main import main as cli_main
from ecs_pipelines.demo.seed import DEMO_EXECUTION_ROLE_ARN, DEMO_TASK_ROLE_ARN
from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.ecs.exec.readiness import EXEC_PERMISSIONS
from ecs_pipelines.ecs.task_definitions.request import register_request
from ecs_pipelines.ecs.task_definitions.spec import TaskDefinitionSpec, content_digest
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import py, run_op
from ecs_pipelines_tests.support.resource_clients import hook_resource_clients
from ecs_pipelines_tests.support.task_events import (
    events_queue_fixture,  # noqa: F401 (the events_queue fixture)
)

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "docs" / "iam-policy.json"
TASK_ROLE_POLICY = ROOT / "docs" / "iam-task-role-exec.json"
CALLER_POLICY = ROOT / "docs" / "iam-assume-role.json"
TRUST_POLICY = ROOT / "docs" / "iam-trust-policy.json"
PACKAGE = Path(ecs_pipelines.__file__).parent

# The embedded ECS (local/), the commands that run it (cli/local.py, cli/local_running.py)
# and the demo's set-up of its account on it (demo/seed.py, demo/task_events_queue.py) talk
# to loopback only.
NOT_SCANNED = (
    "local/",
    "cli/local.py",
    "cli/local_running.py",
    "demo/seed.py",
    "demo/task_events_queue.py",
)

# Library code the project hands its boto3 clients to: dagster-aws's Pipes reader gets the
# resource's CloudWatch Logs client, so its calls are made with the resource's permissions.
LIBRARY_CODE = (PipesCloudWatchMessageReader, pipes_message_readers.get_log_events)

# IAM action prefix of each botocore service the code builds clients for.
IAM_PREFIX = {"ecs": "ecs", "logs": "logs", "sqs": "sqs", "sts": "sts", "pricing": "pricing"}
# What the resource's own identity calls when it assumes role_arn (the caller's policy); every
# other call is made as the role (docs/iam-policy.json).
CALLER_ACTIONS = frozenset({"sts:AssumeRole"})

# SQS has no IAM action for its batch calls: "You cannot set permissions explicitly for
# SendMessageBatch, DeleteMessageBatch, or ChangeMessageVisibilityBatch. Instead, setting
# permissions for SendMessage, DeleteMessage, or ChangeMessageVisibility sets permissions for
# the corresponding batch versions" (SQS developer guide, "Amazon SQS batch actions").
AUTHORISED_AS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}

# Actions AWS authorises on top of the call itself. RunTask with tags (op and asset launches
# tag their tasks) is also authorised as ecs:TagResource (tag on create), and launching a task
# definition that has a task or execution role, or overriding the task role, passes the role.
# RegisterTaskDefinition likewise tags the revision (its content digest) and passes the roles
# the code-defined task definition names.
DEPENDENT_ACTIONS = {
    "ecs:RunTask": frozenset({"ecs:TagResource", "iam:PassRole"}),
    "ecs:RegisterTaskDefinition": frozenset({"ecs:TagResource", "iam:PassRole"}),
}

# The only actions whose statement may use "Resource": "*": DescribeTaskDefinition and
# ListTaskDefinitions have no resource-level permissions, ListTasks is scoped by its
# ecs:cluster condition, the Price List API's GetProducts has no resources at all.
UNSCOPED_ACTIONS = frozenset(
    {
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:ListTasks",
        "pricing:GetProducts",
    }
)


# --- the policy ---------------------------------------------------------------------------


def load_statements(path: Path) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(path.read_text())["Statement"]
    return statements


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def policy_actions(path: Path) -> set[str]:
    return {action for s in load_statements(path) for action in as_list(s["Action"])}


def statements_for(action: str) -> list[dict[str, Any]]:
    return [s for s in load_statements(POLICY) if action in as_list(s["Action"])]


# --- what the code calls: static scan --------------------------------------------------------


def service_operations(service: str) -> dict[str, str]:
    """boto3 method name -> API operation name (run_task -> RunTask) of a botocore service."""
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def scanned_trees() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if not path.relative_to(PACKAGE).as_posix().startswith(NOT_SCANNED):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), filename=str(path))
    for code in LIBRARY_CODE:
        yield f"{code.__module__}.{code.__qualname__}", ast.parse(inspect.getsource(code))


def first_string_argument(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def client_services() -> set[str]:
    """Services the code builds clients for: ``boto3_client("ecs", ...)``, ``boto3.client(...)``."""
    found = set()
    for _, tree in scanned_trees():
        for node in ast.walk(tree):
            builders = ("client", "_client", "boto3_client")
            if isinstance(node, ast.Call) and called_name(node) in builders:
                service = first_string_argument(node)
                if service:
                    found.add(service)
    return found


def statically_called_operations() -> dict[str, set[str]]:
    """``service:Operation`` -> where it is referenced, for every client method the code uses:
    attribute access (``ecs_client.describe_tasks``, ``fn=client.get_log_events``) and the
    operation names given to ``EcsTaskClient._call("run_task", ...)`` or ``get_paginator``."""
    by_method: dict[str, set[str]] = {}
    for service in client_services():
        for method, operation in service_operations(service).items():
            by_method.setdefault(method, set()).add(f"{service}:{operation}")
    found: dict[str, set[str]] = {}
    for where, tree in scanned_trees():
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Attribute):
                names.append(node.attr)
            if isinstance(node, ast.Call) and called_name(node) in ("_call", "get_paginator"):
                method = first_string_argument(node)
                assert method in by_method, f"{where}: {method!r} is no operation of a client"
                names.append(method)
            for name in names:
                for operation in by_method.get(name, ()):
                    found.setdefault(operation, set()).add(where)
    return found


def iam_actions(operations: set[str]) -> set[str]:
    """The IAM actions that allow ``service:Operation`` calls, dependent actions included."""
    actions: set[str] = set()
    for operation in operations:
        service, name = operation.split(":")
        assert service in IAM_PREFIX, f"{operation}: add the IAM prefix of {service} to IAM_PREFIX"
        action = f"{IAM_PREFIX[service]}:{name}"
        action = AUTHORISED_AS.get(action, action)
        actions |= {action, *DEPENDENT_ACTIONS.get(action, ())}
    return actions


# --- what the code calls: watched against the embedded ECS ----------------------------------


class RecordedCall:
    def __init__(self, service: str, operation: str, params: dict[str, Any]) -> None:
        self.name = f"{service}:{operation}"
        self.params = params


@pytest.fixture
def recorded_calls(monkeypatch: pytest.MonkeyPatch) -> list[RecordedCall]:
    """Every call made by a client that EcsResource builds (the only client factory the
    project has outside local/), recorded by a botocore ``before-call`` hook."""
    calls: list[RecordedCall] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        # ECS and CloudWatch Logs speak JSON: the request body is the call's parameters.
        body = params.get("body") or "{}"
        parsed = json.loads(body) if isinstance(body, str | bytes) else dict(body)
        calls.append(RecordedCall(model.service_model.service_name, model.name, parsed))

    hook_resource_clients(monkeypatch, "before-call.*.*", record)
    return calls


def exercise_everything(local: LocalEcs, monkeypatch: pytest.MonkeyPatch) -> None:
    """Launch, wait with logs, a failure with its last lines, stop, list, describe, logs,
    exec and a Pipes asset: what a run worker and a person at the CLI do."""
    instance = DagsterInstance.ephemeral()
    ok = ecs_task_op("iam_ok", command=py("print('fine')"))
    # Prices from the Price List API (which the embedded ECS does not serve: the shipped
    # table stands in, with a note), and the step's use read from Container Insights.
    priced = make_resource(local, cost={"price_list_api": True})
    assert run_op(ok, priced, instance=instance).success
    failing = ecs_task_op("iam_fails", command=py("import sys; print('bad'); sys.exit(3)"))
    assert not run_op(failing, make_resource(local), instance=instance).success

    ecs = make_resource(local)
    [sleeper] = ecs.run_task(command=py("import time; time.sleep(60)"), enable_execute_command=True)
    try:
        assert ecs.execute_command(sleeper, "echo exec-ok").exit_code == 0
    finally:
        ecs.stop_task(sleeper, reason="IAM coverage test")
    [stopped] = ecs.wait_for_tasks([sleeper], timeout_seconds=60)
    assert stopped.stop_code == "UserInitiated"

    scores = ecs_task_asset(
        "iam_scores",
        command=python_command("pipes_scores"),
        pipes=True,
        check_specs=[AssetCheckSpec("scores_in_range", asset="iam_scores")],
    )
    assert materialize([scores], resources={"ecs": make_resource(local)}).success

    exercise_code_defined_task_definitions(local)

    # Through a role (of the default account here: its demo cluster is set up already).
    as_role = make_resource(local, role_arn="arn:aws:iam::123456789012:role/iam-coverage")
    [through_role] = as_role.run_task_and_wait(command=py("print('as the role')"))
    assert through_role.succeeded

    monkeypatch.setenv("ECS_PIPELINES_TARGET", "local")
    monkeypatch.setenv("ECS_PIPELINES_ENDPOINT_URL", local.endpoint_url)
    task_id = sleeper.rsplit("/", 1)[-1]
    for args in (["tasks"], ["describe", task_id], ["logs", task_id, "--tail", "5"]):
        result = CliRunner().invoke(cli_main, args)
        assert result.exit_code == 0, result.output


def exercise_task_events_and_batched_logs(local: LocalEcs, queue_url: str) -> None:
    """A wait on task state events that meets another task's events (handed back), and a step
    of many tasks whose logs are read batched."""
    ecs = make_resource(local, task_events_queue_url=queue_url)
    [other] = ecs.run_task(command=py("print('not waited for')"))
    [waited] = ecs.run_task(command=py("import time; time.sleep(1)"))
    [result] = ecs.wait_for_tasks([waited], timeout_seconds=60)
    assert result.succeeded and other
    many = ecs_task_op("iam_many_logs", command=py("print('line')"), count=5)
    assert run_op(many, make_resource(local)).success


def exercise_code_defined_task_definitions(local: LocalEcs) -> None:
    """A code-defined asset registered, then changed (its family listed), and two workers
    registering the same content at once (the duplicate deregistered)."""
    name = f"iam_code_{uuid.uuid4().hex[:8]}"  # new to this process's task-definition cache
    roles = {"execution_role_arn": DEMO_EXECUTION_ROLE_ARN, "task_role_arn": DEMO_TASK_ROLE_ARN}
    code = TaskDefinitionSpec(image="python:3.12-slim", command=py("print('code-defined')"))
    for memory in (512, 1024):
        changed = dataclasses.replace(code, memory=memory)
        asset_def = ecs_task_asset(name, task_definition_spec=changed)
        ecs = make_resource(local, code_task_definitions=roles)
        assert materialize([asset_def], resources={"ecs": ecs}).success
    workers = [
        make_resource(local, code_task_definitions=roles).task_definition_registry()
        for _ in range(2)
    ]
    raced = dataclasses.replace(code, memory=2048, family=ecs.family_for(name))
    request = register_request(raced, ecs.task_definition_defaults(ecs.region))
    digest = content_digest(request)
    looked = [worker.find(ecs.family_for(name), request, digest) for worker in workers]
    registered = [
        worker.register(request, digest, after=lookup.latest_revision)
        for worker, lookup in zip(workers, looked, strict=True)
    ]
    assert registered[0].arn == registered[1].arn


# --- tests ------------------------------------------------------------------------------------


def test_code_builds_clients_only_for_services_the_policy_knows() -> None:
    """The code builds boto3 clients for ECS, CloudWatch Logs and SQS, and STS to assume a role."""
    assert client_services() == set(IAM_PREFIX)


def test_policy_allows_exactly_the_apis_the_code_calls() -> None:
    """The policy's actions equal the scanned calls' IAM actions: none missing, none extra;
    the caller's policy allows just AssumeRole."""
    needed = iam_actions(set(statically_called_operations()))
    assert needed & CALLER_ACTIONS == policy_actions(CALLER_POLICY) == CALLER_ACTIONS
    needed -= CALLER_ACTIONS
    granted = policy_actions(POLICY)
    assert not needed - granted, f"calls the policy does not allow: {sorted(needed - granted)}"
    assert not granted - needed, f"actions no code needs: {sorted(granted - needed)}"


def test_calls_made_against_the_embedded_ecs_are_those_the_scan_finds(
    local_ecs: LocalEcs,
    recorded_calls: list[RecordedCall],
    monkeypatch: pytest.MonkeyPatch,
    events_queue: str,
) -> None:
    """Running every feature makes exactly the calls the scan finds, each allowed."""
    exercise_everything(local_ecs, monkeypatch)
    exercise_task_events_and_batched_logs(local_ecs, events_queue)
    made = {call.name for call in recorded_calls}
    scanned = set(statically_called_operations())
    assert made == scanned, f"made, not scanned: {made - scanned}; never made: {scanned - made}"
    assert iam_actions(made) == policy_actions(POLICY) | policy_actions(CALLER_POLICY)
    # The dependent actions are really needed: op and asset launches tag their tasks, and the
    # launched task definition has the task and execution roles that RunTask passes.
    launches = [c.params for c in recorded_calls if c.name == "ecs:RunTask"]
    assert any(launch.get("tags") for launch in launches)
    definition = make_resource(local_ecs).task_client().task_definition("ecs-pipelines-python")
    assert definition["taskRoleArn"] and definition["executionRoleArn"]


def test_run_task_is_limited_to_named_task_definitions_on_one_cluster() -> None:
    """RunTask names the registered families and the code-defined prefix, on the cluster."""
    [statement] = statements_for("ecs:RunTask")
    assert as_list(statement["Resource"]) == [
        "arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:*",
        "arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY_PREFIX*",
    ]
    assert statement["Condition"] == {
        "ArnEquals": {"ecs:cluster": "arn:aws:ecs:REGION:ACCOUNT:cluster/CLUSTER"}
    }


def test_task_calls_are_limited_to_the_cluster() -> None:
    """DescribeTasks, StopTask and ListTasks carry the ecs:cluster condition; exec is scoped."""
    for action in ("ecs:DescribeTasks", "ecs:StopTask", "ecs:ListTasks"):
        [statement] = statements_for(action)
        assert statement["Condition"]["ArnEquals"]["ecs:cluster"].endswith(":cluster/CLUSTER")
    [exec_statement] = statements_for("ecs:ExecuteCommand")
    assert all("CLUSTER" in arn for arn in as_list(exec_statement["Resource"]))


def test_pass_role_and_tagging_are_conditioned() -> None:
    """iam:PassRole names the two roles, for ECS tasks only; tagging only while creating."""
    [pass_role] = statements_for("iam:PassRole")
    assert as_list(pass_role["Resource"]) == [
        "arn:aws:iam::ACCOUNT:role/TASK_ROLE",
        "arn:aws:iam::ACCOUNT:role/EXECUTION_ROLE",
    ]
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    [tagging] = statements_for("ecs:TagResource")
    assert tagging["Condition"] == {
        "StringEquals": {"ecs:CreateAction": ["RunTask", "RegisterTaskDefinition"]}
    }


def test_registering_is_limited_to_the_code_defined_families() -> None:
    """Register and deregister only task definitions whose family has the resource's prefix."""
    for action in ("ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"):
        [statement] = statements_for(action)
        assert as_list(statement["Resource"]) == [
            "arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY_PREFIX*"
        ]


def test_statements_are_named_allow_only_and_scoped() -> None:
    """Statements have unique Sids, only allow, and use '*' only where nothing narrower exists."""
    statements = load_statements(POLICY)
    sids = [s["Sid"] for s in statements]
    assert len(set(sids)) == len(sids) and all(sids)
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert not any("*" in action for action in actions), statement["Sid"]
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPED_ACTIONS, statement["Sid"]
    [logs_read] = statements_for("logs:GetLogEvents")
    assert as_list(logs_read["Resource"]) == [
        "arn:aws:logs:REGION:ACCOUNT:log-group:LOG_GROUP:log-stream:*"
    ]


def test_task_event_queues_are_read_only_by_name() -> None:
    """The SQS actions are a consumer's (receive, delete, hand back) on the task event queues
    deploy/task-events.yaml names, nothing else; FilterLogEvents reads the workloads' group."""
    [queues] = [s for s in load_statements(POLICY) if "sqs:ReceiveMessage" in as_list(s["Action"])]
    assert set(as_list(queues["Action"])) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    }
    assert as_list(queues["Resource"]) == ["arn:aws:sqs:REGION:ACCOUNT:ecs-pipelines-task-events-*"]
    filtered = {s["Sid"]: as_list(s["Resource"]) for s in statements_for("logs:FilterLogEvents")}
    assert filtered == {
        "ReadManyTaskLogsAtOnce": ["arn:aws:logs:REGION:ACCOUNT:log-group:LOG_GROUP:*"],
        # Container Insights' task performance events: what each task used.
        "ReadTaskUseFromContainerInsights": [
            "arn:aws:logs:REGION:ACCOUNT:log-group:/aws/ecs/containerinsights/CLUSTER/performance:*"
        ],
    }


def test_task_role_policy_grants_what_ecs_exec_needs() -> None:
    """The task-role policy allows exactly the ssmmessages channels ECS Exec opens."""
    assert policy_actions(TASK_ROLE_POLICY) == set(EXEC_PERMISSIONS)


def test_the_trust_policy_lets_one_named_caller_assume_the_role_with_an_external_id() -> None:
    """The role's trust policy allows sts:AssumeRole to one named principal, on condition of
    the ExternalId; the caller's policy names the roles it may assume (no '*')."""
    [trust] = load_statements(TRUST_POLICY)
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"AWS": "arn:aws:iam::CALLER_ACCOUNT:role/CALLER_ROLE"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "EXTERNAL_ID"}}
    [caller] = load_statements(CALLER_POLICY)
    assert caller["Action"] == "sts:AssumeRole"
    assert all(r.startswith("arn:aws:iam::") for r in as_list(caller["Resource"]))
