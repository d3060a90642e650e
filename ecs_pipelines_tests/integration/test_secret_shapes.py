"""Secrets of every shape reach the task and nothing else: not the event log, metadata, stored
op outputs, Pipes messages, sensor results, CLI output or the task's page, however the task
prints them and however each surface encodes text (raw, HTML, shell, JSON)."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dagster import (
    DagsterInstance,
    EnvVar,
    FilesystemIOManager,
    job,
    materialize,
    op,
)
from dagster._serdes import serialize_value

from ecs_pipelines.cli.main import main as cli
from ecs_pipelines.ecs.common import Redactor
from ecs_pipelines.ecs.tasks import EcsTaskResult
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.browser import browser_page
from ecs_pipelines_tests.support.dagster_helpers import sensor_context, tasks_of_run
from ecs_pipelines_tests.support.secret_shapes import PIECES, SHAPED_SECRET, encodings, sha

# Each secret carries markers that must never show up anywhere but in the task.
SECRETS = {
    "PLAIN": "plain-5ecret-aaaa",
    "TRAILING": "trailing-5ecret-bbbb\n",  # as read from a secret file
    "PEM": "-----BEGIN KEY-----\nMIIpem5ecretline1cccc\npem5ecretline2dddd\n-----END KEY-----\n",
    "CREDENTIAL": '{"user": "svc", "password": "json-5ecret-\\"q\\"-eeee"}',
    "TWO_PIECES": "twopiece5ecretffff",
    # & < > " ' \\ $, a space and a newline: what HTML, shell quoting and JSON transform.
    "RENDERERS": SHAPED_SECRET,
}
# Given through op config (secret_environment_from); the others through the resource.
FROM_CONFIG = ("PEM", "CREDENTIAL", "TWO_PIECES", "RENDERERS")
MARKERS = [
    "plain-5ecret-aaaa",
    "trailing-5ecret-bbbb",
    "pem5ecretline1cccc",
    "pem5ecretline2dddd",
    "json-5ecret-",
    "twopiece5ecretffff",
    *PIECES,
]

# A careless workload: proves it got each value (by hash), then prints it plainly, inside JSON,
# and the last one in two writes with a pause between; then fails or succeeds as told.
LEAKY = """
import hashlib, json, os, sys, time
names = {names!r}
for name in names:
    value = os.environ[name]
    print(name, "sha256", hashlib.sha256(value.encode()).hexdigest(), flush=True)
    print(name, "is", value, flush=True)
    print(json.dumps({{"name": name, "value": value}}), flush=True)
piece = os.environ["TWO_PIECES"]
sys.stdout.write("in two pieces: " + piece[:9]); sys.stdout.flush(); time.sleep(0.3)
sys.stdout.write(piece[9:] + "\\n"); sys.stdout.flush()
sys.exit({exit_code})
"""

PIPES_LEAK = """
import os
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as pipes:
    for name in {names!r}:
        pipes.log.info("pipes says " + os.environ[name])
    pipes.report_asset_materialization(
        metadata={{
            "leak": os.environ["PEM"],
            "nested": {{"raw_value": {{"cred": os.environ["CREDENTIAL"]}}, "type": "json"}},
        }}
    )
"""


def leaks(text: str) -> list[str]:
    """Markers (the same in every encoding), and each secret whole or by line in any encoding."""
    forms = sorted({form for value in SECRETS.values() for form in encodings(value)})
    return [marker for marker in MARKERS if marker in text] + [f for f in forms if f in text]


def event_log_text(instance: DagsterInstance, run_id: str) -> str:
    text = "\n".join(serialize_value(r) for r in instance.all_logs(run_id))
    return text + serialize_value(instance.get_run_by_id(run_id))


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The secrets as run-worker variables: two for the resource, the rest for op config."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"WORKER_{name}", value)
    return {name: f"WORKER_{name}" for name in SECRETS}


def resource_with_secrets(local_ecs: LocalEcs, secret_env: dict[str, str]) -> EcsResource:
    return make_resource(
        local_ecs,
        secret_environment={n: EnvVar(secret_env[n]) for n in ("PLAIN", "TRAILING")},
    )


@pytest.mark.parametrize("exit_code", [0, 1], ids=["succeeds", "fails"])
def test_no_secret_shape_reaches_the_run_outputs_or_cli(
    local_ecs: LocalEcs, secret_env: dict[str, str], tmp_path: Path, exit_code: int
) -> None:
    """Plain, trailing-newline, multi-line, JSON and two-piece secrets printed by the task are
    masked in the event log, failure text, metadata, stored outputs and CLI output."""
    ecs = resource_with_secrets(local_ecs, secret_env)
    source = LEAKY.format(names=list(SECRETS), exit_code=exit_code)
    op_def = ecs_task_op("leaky", command=["python", "-c", source])

    @job(resource_defs={"ecs": ecs, "io_manager": FilesystemIOManager(base_dir=str(tmp_path))})
    def leaky_job() -> None:
        op_def()

    instance = DagsterInstance.ephemeral()
    from_config = {n: secret_env[n] for n in FROM_CONFIG}
    config = {"ops": {"leaky": {"config": {"secret_environment_from": from_config}}}}
    result = leaky_job.execute_in_process(
        run_config=config, instance=instance, raise_on_error=False
    )
    assert result.success is (exit_code == 0)
    everything = event_log_text(instance, result.run_id)
    assert all(sha(value) in everything for value in SECRETS.values())  # the task got them
    assert "in two pieces: ***" in everything
    assert leaks(everything) == []
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert (exit_code == 0) is bool(stored)
    assert [m for m in MARKERS if m.encode() in stored] == []

    [task] = tasks_of_run(ecs, result.run_id)
    commands = [
        ["logs", task["taskArn"]],
        ["tasks"],
        ["tasks", "--json"],
        ["describe", task["taskArn"], "--json"],
        ["describe", task["taskArn"], "--show-env"],
    ]
    for args in commands:
        shown = CliRunner().invoke(cli, [*args, "--endpoint-url", local_ecs.endpoint_url])
        assert shown.exit_code == 0, shown.output
        assert leaks(shown.output) == [], args
    assert "DAGSTER_RUN_ID=" in shown.output  # --show-env shows what is not secret
    with browser_page() as page:
        served = page.goto(ecs.links().task(ecs.cluster, task["taskArn"])).text()
        assert leaks(served) == [] and leaks(page.inner_text("body")) == []
        page.click("#containers a")  # the log page, its lines read as JSON and shown
        # A selector, not a script: the page's CSP allows no eval.
        page.wait_for_selector("#state:has-text('Task stopped:')")
        assert "in two pieces: ***" in page.inner_text("#lines")
        assert leaks(page.content()) == [] and leaks(page.inner_text("body")) == []


def test_pipes_messages_pass_the_redaction(local_ecs: LocalEcs, secret_env: dict[str, str]) -> None:
    """Secrets a task sends through dagster-pipes (log text, materialisation metadata) are
    masked before Dagster stores them."""
    ecs = resource_with_secrets(local_ecs, secret_env)
    asset_def = ecs_task_asset(
        "pipes_leak",
        command=["python", "-c", PIPES_LEAK.format(names=list(SECRETS))],
        pipes=True,
        secret_environment_from={n: secret_env[n] for n in FROM_CONFIG},
    )
    instance = DagsterInstance.ephemeral()
    result = materialize([asset_def], resources={"ecs": ecs}, instance=instance)
    assert result.success
    everything = event_log_text(instance, result.run_id)
    assert "pipes says ***" in everything
    assert leaks(everything) == []
    [materialization] = result.asset_materializations_for_node("pipes_leak")
    assert materialization.metadata["leak"].value == "***"


def test_redactor_masks_every_form_of_a_secret() -> None:
    """A secret is masked whole, stripped, line by line, JSON-escaped and repr-escaped."""
    redact = Redactor(SECRETS.values())
    pem = SECRETS["PEM"]
    texts = [
        pem,
        json.dumps({"v": pem}),
        repr(pem),
        SECRETS["TRAILING"].strip(),
        json.dumps(SECRETS["CREDENTIAL"]),
        *pem.splitlines(),
    ]
    assert [leaks(redact(text)) for text in texts] == [[]] * len(texts)
    assert redact("ab and abc stay") == "ab and abc stay"


def test_a_detached_failure_reports_no_secret(
    local_ecs: LocalEcs, secret_env: dict[str, str]
) -> None:
    """A detached task that prints its secrets and fails: the sensor's failing check (log
    tail, description, metadata) and everything it stores carry none of them."""
    from dagster import AssetCheckKey, AssetKey, instance_for_test

    from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
    from ecs_pipelines.integration.metadata import ECS_TASK_CHECK
    from ecs_pipelines_tests.support.polling import wait_until

    ecs = resource_with_secrets(local_ecs, secret_env)
    asset_def = ecs_task_asset(
        "detached_leak",
        command=["python", "-c", LEAKY.format(names=list(SECRETS), exit_code=3)],
        detached=True,
        secret_environment_from={n: secret_env[n] for n in FROM_CONFIG},
    )
    with instance_for_test() as instance:
        launched = materialize([asset_def], resources={"ecs": ecs}, instance=instance)
        [task] = tasks_of_run(ecs, launched.run_id)
        wait_until(lambda: ecs.describe_tasks([task["taskArn"]])[0]["lastStatus"] == "STOPPED")
        sensor_def = ecs_detached_asset_sensor(asset_def)
        context = sensor_context(sensor_def, instance=instance, resources={"ecs": ecs})
        evaluation = sensor_def.evaluate_tick(context)
        key = AssetCheckKey(AssetKey("detached_leak"), ECS_TASK_CHECK)
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        check = record.event.dagster_event.event_specific_data
        assert not check.passed and "main=3" in check.description
        assert "***" in check.description  # the tail was read, and masked
        stored = event_log_text(instance, launched.run_id) + serialize_value(evaluation)
        stored += serialize_value(record.event)
        assert leaks(stored) == []
    # The task got them: its whole log (the tail holds only the last lines) has their hashes.
    logs = CliRunner().invoke(cli, ["logs", task["taskArn"], "--endpoint-url", ecs.endpoint_url])
    assert all(sha(value) in logs.output for value in SECRETS.values())
    assert leaks(logs.output) == []


@op(config_schema={"command": str})
def notify() -> None:
    """Stands for an op that runs the command its run config gives."""


@job
def notify_job() -> None:
    notify()


def test_a_sensor_run_config_rendered_from_a_result_carries_no_secret(local_ecs: LocalEcs) -> None:
    """A completion sensor's run_config_fn that shell-quotes a task's stop reason receives the
    result with secrets already masked, so its run config cannot carry the quoted secret."""
    from dagster import instance_for_test

    from ecs_pipelines.integration.completion_sensor import ecs_task_completion_sensor
    from ecs_pipelines_tests.support.polling import wait_until

    ecs = make_resource(local_ecs)
    started_by = f"shapes-{hashlib.sha256(SHAPED_SECRET.encode()).hexdigest()[:12]}"

    def quoted_reason(result: EcsTaskResult, _cluster: str) -> dict[str, Any]:
        command = shlex.join(["notify", result.stopped_reason or ""])
        return {"ops": {"notify": {"config": {"command": command}}}}

    sensor_def = ecs_task_completion_sensor(
        "quoting", started_by=started_by, failure_job=notify_job, run_config_fn=quoted_reason
    )
    with instance_for_test() as instance:

        def tick(cursor: str | None) -> Any:
            context = sensor_context(
                sensor_def, instance=instance, resources={"ecs": ecs}, cursor=cursor
            )
            return sensor_def.evaluate_tick(context)

        first = tick(None)
        [arn] = ecs.run_task(
            command=["python", "-c", "import time; time.sleep(60)"],
            started_by=started_by,
            secret_environment={"DB_PASSWORD": SHAPED_SECRET},
        )
        ecs.stop_task(arn, reason=f"rotated {SHAPED_SECRET}")
        wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "STOPPED")
        [request] = tick(first.cursor).run_requests
    assert request.run_config["ops"]["notify"]["config"]["command"] == "notify 'rotated ***'"
    assert leaks(serialize_value(request)) == []
