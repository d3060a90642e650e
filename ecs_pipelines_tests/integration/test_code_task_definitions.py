"""Ops and assets whose task definition is described in code, on the embedded ECS."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from ecs_pipelines.demo.seed import DEMO_EXECUTION_ROLE_ARN
from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.task_definitions.request import register_request
from ecs_pipelines.ecs.task_definitions.spec import DIGEST_TAG, TaskDefinitionSpec, content_digest
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import ApiCalls, make_resource
from ecs_pipelines_tests.support.dagster_helpers import py, run_op, tasks_of_run
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.resource_clients import hook_resource_clients

ROOT = Path(__file__).resolve().parents[2]
SPEC = TaskDefinitionSpec(image="python:3.12-slim", command=py("print('from code')"))


@pytest.fixture
def code_ecs(local_ecs: LocalEcs) -> EcsResource:
    """The demo resource with an execution role for code-defined task definitions."""
    return make_resource(
        local_ecs, code_task_definitions={"execution_role_arn": DEMO_EXECUTION_ROLE_ARN}
    )


class RecordedEcs:
    """Every ECS request the clients built by resources make (Dagster builds its own
    resource per run, so the calls are recorded where the clients are made)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    def named(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> RecordedEcs:
    recording = RecordedEcs()
    hook_resource_clients(monkeypatch, "before-parameter-build.ecs.*", recording.record)
    return recording


def unique(name: str) -> str:
    """Asset names of their own: the embedded ECS and the process cache outlive a test."""
    return f"{name}_{uuid.uuid4().hex[:8]}"


def active_revisions(ecs: EcsResource, family: str) -> list[str]:
    response = ecs.ecs_client().list_task_definitions(familyPrefix=family, status="ACTIVE")
    return list(response["taskDefinitionArns"])


def test_materialising_twice_registers_once_and_more_memory_registers_again(
    code_ecs: EcsResource, recorded: RecordedEcs
) -> None:
    """Two materialisations register one revision, RunTask names its ARN and the second
    makes no task-definition call; more memory registers revision 2, which RunTask names."""
    name = unique("code_defined")
    family = f"dagster-{name}"
    asset_def = ecs_task_asset(name, task_definition_spec=SPEC)
    for _ in range(2):
        assert materialize([asset_def], resources={"ecs": code_ecs}).success
    [first] = active_revisions(code_ecs, family)
    assert first.endswith(f"task-definition/{family}:1")
    assert len(recorded.named("RegisterTaskDefinition")) == 1
    assert len(recorded.named("DescribeTaskDefinition")) == 1  # the lookup of the first launch
    assert [call["taskDefinition"] for call in recorded.named("RunTask")] == [first, first]

    bigger = ecs_task_asset(
        name, task_definition_spec=TaskDefinitionSpec(**{**SPEC.__dict__, "memory": 1024})
    )
    assert materialize([bigger], resources={"ecs": code_ecs}).success
    first_again, second = active_revisions(code_ecs, family)
    assert (first_again, second) == (first, first[: -len(":1")] + ":2")
    assert len(recorded.named("RegisterTaskDefinition")) == 2
    assert recorded.named("RunTask")[-1]["taskDefinition"] == second
    registered = code_ecs.ecs_client().describe_task_definition(taskDefinition=second)
    assert registered["taskDefinition"]["memory"] == "1024"


def test_a_revision_with_the_specs_digest_tag_but_other_content_is_not_launched(
    code_ecs: EcsResource, recorded: RecordedEcs
) -> None:
    """A revision of the family registered elsewhere with another image and command but the
    spec's digest tag (as a copy made with --include TAGS carries) is not what RunTask names:
    the task runs a revision whose content is the spec's."""
    family = unique("impostor")
    spec = TaskDefinitionSpec(**{**SPEC.__dict__, "family": family})
    request = register_request(spec, code_ecs.task_definition_defaults(code_ecs.region))
    container = {
        **request["containerDefinitions"][0],
        "image": "python:3.13-slim",
        "command": py("print('not the spec')"),
    }
    impostor = code_ecs.ecs_client().register_task_definition(
        **{**request, "containerDefinitions": [container]},
        tags=[{"key": DIGEST_TAG, "value": content_digest(request)}],
    )["taskDefinition"]["taskDefinitionArn"]
    [arn] = code_ecs.run_task(task_definition_spec=spec)
    [result] = code_ecs.wait_for_tasks([arn], timeout_seconds=60)
    assert result.succeeded
    [launched] = [call["taskDefinition"] for call in recorded.named("RunTask")]
    assert launched != impostor
    described = code_ecs.ecs_client().describe_task_definition(taskDefinition=launched)
    [ran] = described["taskDefinition"]["containerDefinitions"]
    assert (ran["image"], ran["command"]) == (SPEC.image, list(SPEC.command or []))


def test_an_op_runs_its_code_defined_image_and_command(code_ecs: EcsResource) -> None:
    """The task runs the spec's command; the embedded ECS records the spec's image."""
    name = unique("code_op")
    spec = TaskDefinitionSpec(
        image="python:3.13-slim", command=py("print('op from code')"), cpu=512, memory=2048
    )
    instance = DagsterInstance.ephemeral()
    result = run_op(ecs_task_op(name, task_definition_spec=spec), code_ecs, instance=instance)
    assert result.success
    [task] = tasks_of_run(code_ecs, result.run_id)
    assert task["taskDefinitionArn"].endswith(f"dagster-{name}:1")
    assert task["containers"][0]["image"] == "python:3.13-slim"
    assert (task["cpu"], task["memory"]) == ("512", "2048")
    text = "\n".join(r.user_message for r in instance.all_logs(result.run_id))
    assert "op from code" in text


def test_a_launchpad_image_derives_a_revision_from_the_registered_task_definition(
    code_ecs: EcsResource,
) -> None:
    """An image in the run config registers the registered definition with that image, in
    the step's family; the roles and logs stay the registered one's."""
    name = unique("new_image")
    asset_def = ecs_task_asset(name, task_definition="ecs-pipelines-python")
    config = {"ops": {name: {"config": {"image": "python:3.13-slim"}}}}
    result = materialize([asset_def], resources={"ecs": code_ecs}, run_config=config)
    assert result.success
    [task] = tasks_of_run(code_ecs, result.run_id)
    assert task["taskDefinitionArn"].endswith(f"task-definition/dagster-{name}:1")
    definition = code_ecs.ecs_client().describe_task_definition(
        taskDefinition=task["taskDefinitionArn"]
    )
    [container] = definition["taskDefinition"]["containerDefinitions"]
    assert container["image"] == "python:3.13-slim"
    assert container["command"] == ["python", "-c", "print('hello from ECS')"]
    assert definition["taskDefinition"]["taskRoleArn"].endswith("role/ecs-pipelines-task")


def test_the_launchpad_shows_the_code_defined_command_and_no_task_definition() -> None:
    """A code-defined step's config has no task_definition field; command defaults to the spec's."""
    asset_def = ecs_task_asset(unique("schema"), task_definition_spec=SPEC)
    fields = asset_def.op.config_schema.as_field().config_type.fields
    assert "task_definition" not in fields
    assert fields["command"].default_value == SPEC.command
    assert fields["image"].default_value == ""  # unset: the spec's image


def test_a_bad_spec_fails_when_the_definitions_load() -> None:
    """The factory refuses a spec ECS would refuse, naming its field; and a spec with a
    registered task definition beside it."""
    with pytest.raises(EcsSpecError, match=r"task_definition_spec\.memory: Fargate with cpu 256"):
        ecs_task_asset(
            "bad", task_definition_spec=TaskDefinitionSpec(image="a", cpu=256, memory=4096)
        )
    with pytest.raises(EcsSpecError, match="image"):
        ecs_task_op("bad", task_definition_spec=TaskDefinitionSpec(image="Not An Image"))
    with pytest.raises(EcsSpecError, match="task_definition: give task_definition or"):
        ecs_task_op("both", task_definition="etl", task_definition_spec=SPEC)


def test_run_task_with_a_bad_spec_makes_no_call(counted_ecs: tuple[EcsResource, ApiCalls]) -> None:
    """run_task with a spec ECS would refuse raises before any AWS call."""
    ecs, calls = counted_ecs
    bad = TaskDefinitionSpec(
        image="python:3.12-slim", family="x", secrets={"DB": "not a reference"}
    )
    with pytest.raises(EcsSpecError, match=r"secrets\[DB\]"):
        ecs.run_task(task_definition_spec=bad)
    with pytest.raises(EcsSpecError, match="count"):
        ecs.run_task(task_definition_spec=SPEC, count=11)
    assert calls.total == 0


def test_run_task_launches_a_spec_with_its_own_family(code_ecs: EcsResource) -> None:
    """The resource launches a spec naming its family; without one it names what is missing."""
    family = unique("direct")
    spec = TaskDefinitionSpec(**{**SPEC.__dict__, "family": family})
    [arn] = code_ecs.run_task(task_definition_spec=spec)
    [result] = code_ecs.wait_for_tasks([arn], timeout_seconds=60)
    assert result.succeeded
    assert active_revisions(code_ecs, family)[0].endswith(f"{family}:1")
    with pytest.raises(EcsSpecError, match="family: is required here"):
        code_ecs.run_task(task_definition_spec=SPEC)


def test_bad_code_task_definition_settings_fail_when_the_resource_is_built(
    local_ecs: LocalEcs,
) -> None:
    """A prefix ECS refuses or a role that is no ARN fails naming the setting."""
    with pytest.raises(Exception, match=r"code_task_definitions\.family_prefix"):
        make_resource(local_ecs, code_task_definitions={"family_prefix": "team/etl"})
    with pytest.raises(Exception, match=r"code_task_definitions\.execution_role_arn"):
        make_resource(local_ecs, code_task_definitions={"execution_role_arn": "etl"})


def test_two_processes_launching_the_same_asset_at_once_use_one_revision(
    local_ecs: LocalEcs, tmp_path: Path
) -> None:
    """Two run workers materialising the same new code-defined asset, both registering it,
    run their tasks on one revision, the only ACTIVE one of the family afterwards."""
    name, barrier = unique("raced"), tmp_path
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ecs_pipelines_tests.integration.code_defined_worker",
                local_ecs.endpoint_url,
                name,
                str(barrier),
                str(index),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for index in range(2)
    ]
    try:
        wait_until(
            lambda: all((barrier / f"ready-{i}").exists() for i in range(2)),
            timeout=120,
            what="both workers ready",
        )
        (barrier / "go").touch()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    reports = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    assert all(report["success"] for report in reports)
    used = {report["task_definition"] for report in reports}
    assert len(used) == 1
    ecs = make_resource(local_ecs)
    assert active_revisions(ecs, f"dagster-{name}") == sorted(used)
    # Both did register (the workers wait for each other after looking up): the duplicate
    # is the one deregistered.
    inactive = ecs.ecs_client().list_task_definitions(
        familyPrefix=f"dagster-{name}", status="INACTIVE"
    )["taskDefinitionArns"]
    assert [arn.rsplit(":", 1)[1] for arn in [*used, *inactive]] == ["1", "2"]


def test_the_demo_materialises_its_code_defined_asset(local_ecs: LocalEcs) -> None:
    """The demo's weekly_rollup, declared with its task definition in code, runs on the
    embedded ECS with the demo location's resource settings."""
    from ecs_pipelines.cli.target import target_from_env
    from ecs_pipelines.demo.assets import weekly_rollup
    from ecs_pipelines.demo.definitions import code_task_definitions, defs

    assert defs.get_assets_def("weekly_rollup") is weekly_rollup
    settings = code_task_definitions(target_from_env({}))
    ecs = make_resource(local_ecs, code_task_definitions=settings)
    instance = DagsterInstance.ephemeral()
    result = materialize([weekly_rollup], resources={"ecs": ecs}, instance=instance)
    assert result.success
    [task] = tasks_of_run(ecs, result.run_id)
    assert "task-definition/dagster-weekly_rollup:" in task["taskDefinitionArn"]
    text = "\n".join(r.user_message for r in instance.all_logs(result.run_id))
    assert "weekly_rollup: finished for run" in text
