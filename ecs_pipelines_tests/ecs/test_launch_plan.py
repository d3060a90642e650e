"""The launch plan: one check before any call, the task definition resolved and read only
when needed, RunTask's request built once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.common.redaction import SECRET_NAMES_TAG
from ecs_pipelines.ecs.launching.plan import LaunchPlan, plan_launch
from ecs_pipelines.ecs.launching.settings import ContainerOverride, LaunchSettings
from ecs_pipelines.ecs.task_definitions import ResolvedTaskDefinition, TaskDefinitionSpec

ROLE = "arn:aws:iam::123456789012:role/task"
DEFINITION = {
    "family": "etl",
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/etl:3",
    "containerDefinitions": [
        {"name": "sidecar", "essential": False},
        {"name": "app", "essential": True},
    ],
}
BASE = LaunchSettings(cluster="demo", task_definition="etl")
BAD_SPEC = TaskDefinitionSpec(image="Not An Image", family="x")


class TaskDefinitions:
    """Counts the reads and resolutions a plan asks for."""

    def __init__(self, definition: Mapping[str, Any] = DEFINITION) -> None:
        self.definition = definition
        self.calls: Counter[str] = Counter()

    def describe(self, reference: str) -> Mapping[str, Any]:
        self.calls["describe"] += 1
        return self.definition

    def resolve(self, spec: TaskDefinitionSpec) -> ResolvedTaskDefinition:
        self.calls["resolve"] += 1
        arn = self.definition["taskDefinitionArn"]
        return ResolvedTaskDefinition(arn, "etl", 3, "digest", self.definition)

    def plan(self, settings: LaunchSettings, **options: Any) -> LaunchPlan:
        return plan_launch(settings, describe=self.describe, resolve=self.resolve, **options)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"count": 11}, "count"),
        ({"started_by": "nightly run"}, "started_by"),
        ({"cpu": -1}, "cpu"),
        ({"command": "echo hi"}, "command"),
        ({"launch_type": "FARGATE", "placement_strategy": [{"type": "random"}]}, "placement"),
        ({"task_definition": None, "task_definition_spec": BAD_SPEC}, "task_definition_spec"),
        ({"environment": {"BIG": "x" * 9000}}, "8192"),
    ],
    ids=["count", "started_by", "cpu", "command", "placement", "spec", "overrides size"],
)
def test_a_bad_value_fails_before_any_read_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    """Every option is checked before the plan reads or resolves anything."""
    definitions = TaskDefinitions()
    with pytest.raises(EcsSpecError) as raised:
        definitions.plan(BASE.replace(**changes, enable_execute_command=True))
    assert field in str(raised.value)
    assert "x" * 100 not in str(raised.value)
    assert definitions.calls == Counter()


def test_a_named_container_needs_no_read() -> None:
    """With the container named and no ECS Exec, the task definition is not read."""
    definitions = TaskDefinitions()
    plan = definitions.plan(BASE.replace(container_name="app", command=["run"]))
    assert definitions.calls == Counter()
    assert plan.request["overrides"] == {
        "containerOverrides": [{"name": "app", "command": ["run"]}]
    }
    assert plan.definition is None


def test_the_first_essential_container_is_read_once() -> None:
    """Command, environment, cpu and memory go to the first essential container, read once."""
    definitions = TaskDefinitions()
    plan = definitions.plan(
        BASE.replace(command=["run"], environment={"A": "1"}, cpu=256, memory=512)
    )
    assert definitions.calls == Counter(describe=1)
    assert plan.container_name == "app"
    [override] = plan.request["overrides"]["containerOverrides"]
    assert override == {
        "name": "app",
        "command": ["run"],
        "environment": [{"name": "A", "value": "1"}],
        "cpu": 256,
        "memory": 512,
    }


def test_the_container_read_is_checked_with_its_own_name() -> None:
    """When the container is known only from the task definition, the overrides as sent (its
    name included) are checked for it before RunTask."""
    long_name = "c" * 255
    definitions = TaskDefinitions({"containerDefinitions": [{"name": long_name}]})
    environment = {"BIG": "x" * 7880}  # fits with the placeholder's short name, not with this
    with pytest.raises(EcsSpecError, match="8192"):
        definitions.plan(BASE.replace(environment=environment))
    assert definitions.calls == Counter(describe=1)


def test_exec_reads_the_definition_once_for_its_task_role() -> None:
    """ECS Exec needs a task role: the definition is read once; without a role, refused."""
    definitions = TaskDefinitions()
    with pytest.raises(EcsSpecError, match="enable_execute_command: ECS Exec needs a task role"):
        definitions.plan(BASE.replace(enable_execute_command=True, container_name="app"))
    assert definitions.calls == Counter(describe=1)
    with_role = TaskDefinitions({**DEFINITION, "taskRoleArn": ROLE})
    plan = with_role.plan(BASE.replace(enable_execute_command=True, command=["run"]))
    assert with_role.calls == Counter(describe=1)
    assert plan.request["enableExecuteCommand"] is True


def test_a_code_defined_task_definition_is_resolved_not_read() -> None:
    """A TaskDefinitionSpec is resolved once to its revision, which RunTask names; its
    definition comes with it, so nothing more is read even for a step that asks for it."""
    definitions = TaskDefinitions()
    spec = TaskDefinitionSpec(image="python:3.12-slim", family="etl")
    settings = LaunchSettings(cluster="demo", task_definition_spec=spec, command=["run"])
    plan = definitions.plan(settings, read_definition=True)
    assert definitions.calls == Counter(resolve=1)
    assert plan.task_definition == DEFINITION["taskDefinitionArn"]
    assert plan.container_name == "main"  # the spec's own container
    assert plan.definition == DEFINITION


def test_a_caller_that_needs_the_definition_gets_it() -> None:
    """read_definition reads it even when the launch itself would not."""
    definitions = TaskDefinitions()
    plan = definitions.plan(BASE, read_definition=True)
    assert definitions.calls == Counter(describe=1)
    assert plan.definition == DEFINITION


def test_a_launch_needs_a_task_definition() -> None:
    """Without a task definition at any level the plan is refused before any call."""
    with pytest.raises(EcsSpecError, match="task_definition: is required"):
        TaskDefinitions().plan(LaunchSettings(cluster="demo"))


def test_the_request_is_typed_and_a_call_of_a_fan_out_has_its_own_count_and_token() -> None:
    """for_call changes count and token of a copy; the plan's request is left as it was."""
    plan = TaskDefinitions().plan(
        BASE.replace(
            count=3,
            container_overrides=(ContainerOverride("app", environment={"A": "1"}),),
        )
    )
    call = plan.for_call(count=10, client_token="t-1")
    assert (call.count, call.client_token) == (10, "t-1")
    assert (plan.count, plan.client_token) == (3, None)
    assert call.request["overrides"] == plan.request["overrides"]


def test_secret_variables_are_named_in_a_tag_and_counted_with_the_tags() -> None:
    """The launch's secret variables (every level's) are named in a task tag, which counts
    toward the 50 tags; their values reach only the container's environment."""
    settings = BASE.replace(
        container_name="app",
        secret_environment={"TOKEN": "s3cr3t"},
        environment={"DAY": "1"},
        tags={"team": "data"},
    )
    plan = TaskDefinitions().plan(settings)
    tags = {tag["key"]: tag["value"] for tag in plan.request["tags"]}
    assert tags == {"team": "data", SECRET_NAMES_TAG: "TOKEN"}
    [container] = plan.request["overrides"]["containerOverrides"]
    assert container["environment"] == [
        {"name": "TOKEN", "value": "s3cr3t"},
        {"name": "DAY", "value": "1"},
    ]
    full = {f"t{i}": "v" for i in range(50)}
    with pytest.raises(EcsSpecError, match="tags: must have at most 50"):
        TaskDefinitions().plan(settings.replace(tags=full))
