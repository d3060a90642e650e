"""`make ui`'s instance: EcsRunLauncher with a registered run-worker task definition by default,
Dagster's default launcher on request, and a user's own dagster.yaml never rewritten."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from dagster import DagsterInstance, job, op
from dagster._core.launcher import DefaultRunLauncher
from dagster_aws.ecs import EcsRunLauncher

from ecs_pipelines.cli.target import Target, target_from_env
from ecs_pipelines.demo import ui
from ecs_pipelines.demo.run_workers import (
    RUN_WORKER_CONTAINER,
    RUN_WORKER_FAMILY,
    RUN_WORKER_STARTED_BY,
    TASK_DEFINITION_ENV,
)
from ecs_pipelines.demo.seed import DEMO_TASK_ROLE_ARN
from ecs_pipelines.demo.ui_instance import (
    DEFAULT_LAUNCHER,
    ECS_LAUNCHER,
    LEGACY_INSTANCE,
    checkout_dagster_home,
    ensure_instance_file,
    in_process_instance,
    instance_text,
    launcher_choice,
)
from ecs_pipelines.ecs.common import started_by_string
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs


@pytest.fixture
def target(local_ecs: LocalEcs) -> Target:
    return target_from_env({"ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url})


def open_with(env: dict[str, str], home: Path, monkeypatch: pytest.MonkeyPatch) -> DagsterInstance:
    """The instance in ``home``, opened with the environment `make ui` gives dagster dev."""
    for name, value in env.items():
        if name.startswith(("AWS_", "DAGSTER_RUN_WORKER")):
            monkeypatch.setenv(name, value)
    return DagsterInstance.from_config(str(home))


def test_make_ui_runs_every_run_in_a_run_worker_task_by_default(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ecs: EcsResource
) -> None:
    """On the embedded ECS, make ui writes an EcsRunLauncher instance with run monitoring and
    registers the run-worker task definition with all a worker needs in its environment: no
    credentials (it has the task role), while dagster dev gets the server's own keys."""
    env = {"DAGSTER_HOME": str(tmp_path)}
    start = ui.prepare(target, env)
    assert start.launcher == ECS_LAUNCHER
    arn = start.env[TASK_DEFINITION_ENV]
    assert start.env["AWS_ENDPOINT_URL"] == target.endpoint_url
    assert target.credentials is not None
    assert start.env["AWS_ACCESS_KEY_ID"] == target.credentials.access_key_id
    assert start.env["AWS_SECRET_ACCESS_KEY"] == target.credentials.secret_access_key
    with open_with(start.env, tmp_path, monkeypatch) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        assert launcher.task_definition == arn
        assert not launcher.use_current_ecs_task_config
        assert launcher.run_task_kwargs["cluster"] == target.cluster
        # `ecs-pipelines tasks` shows who started a run worker, as for a step's task.
        assert launcher.run_task_kwargs["startedBy"] == RUN_WORKER_STARTED_BY
        started_by_string("startedBy", RUN_WORKER_STARTED_BY)
        assert instance.run_monitoring_enabled
    definition = ecs.task_client().task_definition(arn)
    [container] = definition["containerDefinitions"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert container["name"] == RUN_WORKER_CONTAINER
    assert environment["DAGSTER_HOME"] == str(tmp_path)
    assert environment["AWS_ENDPOINT_URL"] == target.endpoint_url
    assert environment["ECS_PIPELINES_ENDPOINT_URL"] == target.endpoint_url
    assert environment[TASK_DEFINITION_ENV] == RUN_WORKER_FAMILY
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(
        environment
    )
    assert definition["taskRoleArn"] == DEMO_TASK_ROLE_ARN
    # Registered once per content: a second start reuses the revision.
    assert ui.prepare(target, {"DAGSTER_HOME": str(tmp_path)}).env[TASK_DEFINITION_ENV] == arn


def test_the_variable_switches_to_the_default_launcher_and_back(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ECS_PIPELINES_RUN_LAUNCHER=default rewrites make ui's own file for Dagster's default
    launcher and registers nothing; without it the next start writes EcsRunLauncher again."""
    env = {"DAGSTER_HOME": str(tmp_path), "ECS_PIPELINES_RUN_LAUNCHER": "default"}
    start = ui.prepare(target, env)
    assert start.launcher == DEFAULT_LAUNCHER and TASK_DEFINITION_ENV not in start.env
    with open_with(start.env, tmp_path, monkeypatch) as instance:
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
    ui.prepare(target, {"DAGSTER_HOME": str(tmp_path)})
    assert (tmp_path / "dagster.yaml").read_text() == instance_text(ECS_LAUNCHER)


@pytest.mark.parametrize(
    "text",
    ["telemetry:\n  enabled: false\n", instance_text(ECS_LAUNCHER) + "# my change\n"],
    ids=["without the header", "edited since make ui wrote it"],
)
def test_a_users_own_dagster_yaml_is_never_rewritten(tmp_path: Path, text: str) -> None:
    """A dagster.yaml make ui did not write, or one edited since, stays as it is."""
    (tmp_path / "dagster.yaml").write_text(text)
    for launcher in (ECS_LAUNCHER, DEFAULT_LAUNCHER):
        assert not ensure_instance_file(tmp_path, launcher).ours
        assert (tmp_path / "dagster.yaml").read_text() == text


def test_the_file_an_earlier_make_ui_wrote_is_replaced(tmp_path: Path) -> None:
    """The header-less file make ui used to write is recognised as its own and replaced."""
    (tmp_path / "dagster.yaml").write_text(LEGACY_INSTANCE)
    assert ensure_instance_file(tmp_path, ECS_LAUNCHER).ours
    assert (tmp_path / "dagster.yaml").read_text() == instance_text(ECS_LAUNCHER)


def test_launcher_choice_refuses_what_cannot_run(target: Target) -> None:
    """The variable takes ecs or default; ecs needs the embedded ECS; AWS defaults to default."""
    aws = dataclasses.replace(target, name="aws")
    assert launcher_choice({}, target) == ECS_LAUNCHER
    assert launcher_choice({}, aws) == DEFAULT_LAUNCHER
    with pytest.raises(ValueError, match="must be 'ecs' or 'default'"):
        launcher_choice({"ECS_PIPELINES_RUN_LAUNCHER": "k8s"}, target)
    with pytest.raises(ValueError, match=r"docs/deploy\.md"):
        launcher_choice({"ECS_PIPELINES_RUN_LAUNCHER": "ecs"}, aws)


def test_make_ui_says_why_it_refuses_a_launcher(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong ECS_PIPELINES_RUN_LAUNCHER stops make ui with a message, before any server."""
    monkeypatch.setenv("ECS_PIPELINES_RUN_LAUNCHER", "kubernetes")
    assert ui.main([]) == 2
    assert "ECS_PIPELINES_RUN_LAUNCHER: must be 'ecs' or 'default'" in capsys.readouterr().err


def test_make_run_and_make_ui_share_one_instance_directory(tmp_path: Path) -> None:
    """Both use the project's .dagster_home by default, and a user's own DAGSTER_HOME when set."""
    assert checkout_dagster_home({}) == ui.ROOT / ".dagster_home"
    assert checkout_dagster_home({"DAGSTER_HOME": str(tmp_path)}) == tmp_path.resolve()


def test_make_runs_instance_opens_where_make_ui_wrote_its_launcher(tmp_path: Path) -> None:
    """`make run` stores its runs in the DAGSTER_HOME where `make ui` wrote its EcsRunLauncher
    file, without what only `make ui` sets up for that launcher."""

    @op
    def one() -> int:
        return 1

    @job
    def tiny() -> None:
        one()

    ensure_instance_file(tmp_path, ECS_LAUNCHER)
    with in_process_instance(tmp_path) as instance:
        assert tiny.execute_in_process(instance=instance).success
    with in_process_instance(tmp_path) as instance:
        assert len(instance.get_runs()) == 1
