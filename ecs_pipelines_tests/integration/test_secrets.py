"""Secret environment values reach the task and never the run log, metadata, errors or CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, EnvVar, job
from dagster._serdes import serialize_value

from ecs_pipelines.cli.main import main as cli
from ecs_pipelines.ecs.common import EcsSpecError, Redactor
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.secrets import resolve_secret_environment
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import tasks_of_run
from ecs_pipelines_tests.support.secret_shapes import sha

API_TOKEN = "tok-5ecret-planted-for-the-search"
DB_PASSWORD = "pw-5ecret-also-planted"

# A careless workload: proves it got the values (by hash), then prints them, then fails.
LEAKY_TASK = """
import hashlib, os, sys
for name in ("API_TOKEN", "DB_PASSWORD"):
    value = os.environ[name]
    print(name, "sha256", hashlib.sha256(value.encode()).hexdigest(), flush=True)
    print(name, "is", value, flush=True)
sys.exit(1)
"""


def test_planted_secrets_appear_nowhere_in_the_run(
    local_ecs: LocalEcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose task prints its secrets and fails leaves no secret in its whole event log."""
    monkeypatch.setenv("TEST_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("TEST_DB_PASSWORD", DB_PASSWORD)
    ecs = make_resource(local_ecs, secret_environment={"API_TOKEN": EnvVar("TEST_API_TOKEN")})
    op_def = ecs_task_op("leaky", command=["python", "-c", LEAKY_TASK])

    @job(resource_defs={"ecs": ecs})
    def leaky_job() -> None:
        op_def()

    instance = DagsterInstance.ephemeral()
    config = {"secret_environment_from": {"DB_PASSWORD": "TEST_DB_PASSWORD"}}
    result = leaky_job.execute_in_process(
        run_config={"ops": {"leaky": {"config": config}}}, instance=instance, raise_on_error=False
    )
    assert not result.success
    everything = "\n".join(serialize_value(r) for r in instance.all_logs(result.run_id))
    everything += serialize_value(instance.get_run_by_id(result.run_id))
    # Delivered to the task...
    assert sha(API_TOKEN) in everything and sha(DB_PASSWORD) in everything
    # ...and masked wherever the run wrote it down.
    assert "API_TOKEN is ***" in everything
    assert API_TOKEN not in everything and DB_PASSWORD not in everything

    [task] = tasks_of_run(ecs, result.run_id)
    described = CliRunner().invoke(
        cli, ["describe", task["taskArn"], "--json", "--endpoint-url", local_ecs.endpoint_url]
    )
    assert described.exit_code == 0, described.output
    assert json.loads(described.output)["taskArn"] == task["taskArn"]
    assert API_TOKEN not in described.output and DB_PASSWORD not in described.output


def test_resource_repr_masks_secret_environment(local_ecs: LocalEcs) -> None:
    """The resource's repr (tracebacks, test output) shows secret names, never values."""
    ecs = make_resource(local_ecs, secret_environment={"API_TOKEN": API_TOKEN})
    assert "API_TOKEN" in repr(ecs) and API_TOKEN not in repr(ecs)


def test_missing_secret_variable_names_it_without_a_value() -> None:
    """An unset run-worker variable is named in the error before any AWS call."""
    with pytest.raises(EcsSpecError, match="NOT_SET_ANYWHERE is not set"):
        resolve_secret_environment({"DB_PASSWORD": "NOT_SET_ANYWHERE"}, environ={})


def test_redactor_masks_longest_secret_first() -> None:
    """A secret containing another secret is masked whole, and short values are left alone."""
    redact = Redactor(["abcd", "abcdefgh", "ab"])
    assert redact("x abcdefgh y abcd z ab") == "x *** y *** z ab"
