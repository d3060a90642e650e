"""ECS ops in Dagster runs against the embedded ECS: logs, links, failures, tags, retries."""

from __future__ import annotations

import uuid
from pathlib import Path

from dagster import DagsterInstance, RetryPolicy

from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import RUN_ID_TAG, STEP_KEY_TAG
from ecs_pipelines_tests.support.dagster_helpers import (
    all_log_text,
    engine_event_metadata,
    py,
    run_op,
    tasks_of_run,
)
from ecs_pipelines_tests.support.polling import wait_until


def test_op_streams_task_logs_into_the_run_log(ecs: EcsResource) -> None:
    """Every line the task prints appears in the Dagster run log."""
    source = "for i in range(5): print(f'progress {i}', flush=True)"
    instance = DagsterInstance.ephemeral()
    result = run_op(ecs_task_op("printer", command=py(source)), ecs, instance=instance)
    assert result.success
    text = all_log_text(instance, result.run_id)
    for i in range(5):
        assert text.count(f"progress {i}") == 1


def test_op_reports_task_arn_and_links_as_soon_as_launched(ecs: EcsResource) -> None:
    """An engine event carries the task ARN and the task and log pages of the ECS in use (the
    embedded ECS's own pages here)."""
    instance = DagsterInstance.ephemeral()
    result = run_op(ecs_task_op("linked", command=py("print(1)")), ecs, instance=instance)
    assert result.success
    [event] = [m for m in engine_event_metadata(instance, result.run_id) if "task_arn" in m]
    assert event["task_arn"].value.startswith("arn:aws:ecs:")
    task_id = event["task_arn"].value.rsplit("/", 1)[-1]
    assert event["task_console"].value.startswith(f"{ecs.endpoint_url}/_local/tasks/{task_id}?")
    assert event["logs_main"].value.startswith(f"{ecs.endpoint_url}/_local/tasks/{task_id}/logs/")


def test_op_output_is_the_task_results(ecs: EcsResource) -> None:
    """The op's output is the list of EcsTaskResult, one per task."""
    result = run_op(ecs_task_op("two", command=py("print(1)"), count=2), ecs)
    assert result.success
    results = result.output_for_node("two")
    assert len(results) == 2 and all(r.succeeded for r in results)


def test_failed_task_fails_the_step_with_reason_exit_codes_and_log_tail(ecs: EcsResource) -> None:
    """A failing task raises a Failure naming stopCode, exit code and its last log lines, with
    what the task cost (a failed task is billed too)."""
    source = "import sys\nfor i in range(30): print(f'line {i}')\nprint('boom'); sys.exit(4)"
    result = run_op(ecs_task_op("failing", command=py(source)), ecs)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.step_failure_data.user_failure_data
    assert "EssentialContainerExited" in error.description
    assert "main=4" in error.description
    assert "boom" in error.description
    assert "line 29" in error.description and "line 5\n" not in error.description
    assert error.metadata["stop_code"].value == "EssentialContainerExited"
    assert error.metadata["ecs/billed_seconds"].value == 60
    assert error.metadata["ecs/cost_usd"].value > 0


def test_tasks_carry_run_tags_and_started_by(ecs: EcsResource) -> None:
    """Each task is tagged with run id and step key, and startedBy names the run."""
    result = run_op(ecs_task_op("tagged", command=py("print(1)")), ecs)
    [task] = tasks_of_run(ecs, result.run_id)
    tags = {t["key"]: t["value"] for t in task["tags"]}
    assert tags[RUN_ID_TAG] == result.run_id
    assert tags[STEP_KEY_TAG] == "tagged"
    assert task["startedBy"] == f"dagster/{result.run_id}"


def test_config_from_launchpad_overrides_the_factory_defaults(ecs: EcsResource) -> None:
    """Run config command and environment replace the op's defaults."""
    instance = DagsterInstance.ephemeral()
    op_def = ecs_task_op("configurable", command=py("print('default')"))
    config = {
        "command": py("import os; print('from config ' + os.environ['X'])"),
        "environment": {"X": "42"},
    }
    result = run_op(op_def, ecs, run_config=config, instance=instance)
    assert result.success
    text = all_log_text(instance, result.run_id)
    assert "from config 42" in text and "default" not in text


def test_resumed_step_reattaches_instead_of_launching_again(ecs: EcsResource) -> None:
    """Running the same run id and step again (a resumed worker) reuses the task ECS started."""
    run_id = str(uuid.uuid4())
    op_def = ecs_task_op("resumable", command=py("print('once')"))
    first = run_op(op_def, ecs, run_id=run_id)
    second = run_op(op_def, ecs, run_id=run_id)
    assert first.success and second.success
    assert len(tasks_of_run(ecs, run_id)) == 1
    assert first.output_for_node("resumable")[0].task_arn == (
        second.output_for_node("resumable")[0].task_arn
    )


def test_retry_launches_a_fresh_task(ecs: EcsResource, tmp_path: Path) -> None:
    """An op retried by its RetryPolicy launches a new task for the new attempt."""
    marker = tmp_path / "first-attempt-done"
    source = (
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(marker)!r})\n"
        "if not p.exists():\n    p.write_text('x'); sys.exit(1)\n"
        "print('second attempt')"
    )
    op_def = ecs_task_op("flaky", command=py(source), retry_policy=RetryPolicy(max_retries=1))
    result = run_op(op_def, ecs)
    assert result.success
    tasks = tasks_of_run(ecs, result.run_id)
    assert len(tasks) == 2
    assert sorted(t["containers"][0]["exitCode"] for t in tasks) == [0, 1]


def test_failed_task_stops_its_running_sibling(ecs: EcsResource, tmp_path: Path) -> None:
    """When one of two tasks fails, the step stops the other instead of waiting for it."""
    lock = tmp_path / "first"
    source = (
        "import os, sys, time\n"
        f"try:\n    os.open({str(lock)!r}, os.O_CREAT | os.O_EXCL)\n"
        "except FileExistsError:\n    time.sleep(120); sys.exit(0)\n"
        "sys.exit(2)"
    )
    result = run_op(ecs_task_op("siblings", command=py(source), count=2), ecs)
    assert not result.success
    tasks = tasks_of_run(ecs, result.run_id)
    assert len(tasks) == 2
    stopped_by_step = [t for t in tasks if t.get("stopCode") == "UserInitiated"]
    assert len(stopped_by_step) == 1
    assert "Sibling task" in stopped_by_step[0]["stoppedReason"]
    assert all(t["lastStatus"] == "STOPPED" for t in tasks)


def test_exec_hint_in_the_run_log_works_on_the_embedded_ecs(ecs: EcsResource) -> None:
    """With ECS Exec on, the run log gives an `ecs-pipelines exec` line for the embedded ECS,
    and that very line runs a command in the task."""
    import shlex

    from click.testing import CliRunner

    from ecs_pipelines.cli.main import main as cli

    instance = DagsterInstance.ephemeral()
    op_def = ecs_task_op(
        "shell",
        command=py("import time; time.sleep(60)"),
        enable_execute_command=True,
        detached=True,
    )
    result = run_op(op_def, ecs, instance=instance)
    assert result.success
    text = all_log_text(instance, result.run_id)
    line = next(ln for ln in text.splitlines() if ln.startswith("ecs-pipelines exec"))
    assert f"--endpoint-url {ecs.endpoint_url}" in line and "aws ecs" not in text
    [arn] = result.output_for_node("shell")
    try:
        wait_until(lambda: exec_agent_running(ecs, arn), what="the exec agent")
        ran = CliRunner().invoke(cli, shlex.split(line)[1:])
        assert ran.exit_code == 0, ran.output
    finally:
        ecs.stop_tasks([arn], reason="test over")


def exec_agent_running(ecs: EcsResource, arn: str) -> bool:
    [task] = ecs.describe_tasks([arn])
    agents = task["containers"][0].get("managedAgents") or []
    return any(agent.get("lastStatus") == "RUNNING" for agent in agents)


def test_exec_hint_on_aws_gives_the_aws_cli_line_and_ours() -> None:
    """On AWS the hint is the exact `aws ecs execute-command` line, then `ecs-pipelines exec`."""
    from ecs_pipelines.integration.metadata import exec_hint

    arn = "arn:aws:ecs:eu-west-1:123456789012:task/prod/" + "a" * 32
    hint = exec_hint(
        region="eu-west-1", cluster="prod", task_arn=arn, container="main", endpoint_url=None
    )
    assert (
        f"aws ecs execute-command --region eu-west-1 --cluster prod --task {arn} "
        "--container main --interactive --command /bin/sh" in hint
    )
    assert f"ecs-pipelines exec --cluster prod {'a' * 32} --container main -- /bin/sh" in hint


def test_the_users_variables_win_over_the_steps_own_and_the_launchpad_removes_one(
    ecs: EcsResource,
) -> None:
    """A variable the op names is launched over the step's own variable of the same name, and a
    factory variable the Launchpad config leaves out is not launched."""
    instance = DagsterInstance.ephemeral()
    op_def = ecs_task_op(
        "variables",
        command=py("import os; print('seen', os.environ['DAGSTER_STEP_KEY'], os.environ.get('B'))"),
        environment={"DAGSTER_STEP_KEY": "mine", "B": "factory"},
    )
    config = {"environment": {"DAGSTER_STEP_KEY": "mine"}}
    result = run_op(op_def, ecs, run_config=config, instance=instance)
    assert result.success
    assert "seen mine None" in all_log_text(instance, result.run_id)
