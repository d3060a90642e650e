"""What tasks cost and used, at the command line: the cost and memory peak columns of `tasks`,
and `cost` summing by asset, job or day, against a real embedded ECS over HTTP."""

from __future__ import annotations

import json
import sys
import uuid

import pytest
from click.testing import CliRunner, Result

from ecs_pipelines.cli.main import main
from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_SUBNET
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.polling import wait_until

# A Fargate task of the demo definition (0.25 vCPU, 512 MiB) billed its one-minute minimum.
MINUTE_COST = 60 * (0.25 * 0.04048 + 0.5 * 0.004445) / 3600
HOLD_MEMORY = [sys.executable, "-c", "block = b'x' * (40 * 1024 * 1024); print(len(block))"]


@pytest.fixture(autouse=True)
def _local_target(local_ecs: LocalEcs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECS_PIPELINES_TARGET", "local")
    monkeypatch.setenv("ECS_PIPELINES_ENDPOINT_URL", local_ecs.endpoint_url)


@pytest.fixture(scope="module")
def asset_tasks(local_ecs: LocalEcs) -> tuple[str, list[str]]:
    """Two stopped tasks of one (new) asset, each holding about 40 MiB."""
    resource = EcsResource(
        region_name="us-east-1",
        endpoint_url=local_ecs.endpoint_url,
        **local_ecs.credentials.boto3_kwargs(),
        cluster=DEMO_CLUSTER,
        task_definition="ecs-pipelines-python",
        container_name="main",
        launch_type="FARGATE",
        subnets=[DEMO_SUBNET],
        poll_interval_seconds=0.2,
    )
    asset = f"costly_{uuid.uuid4().hex[:8]}"
    arns = resource.run_task(
        command=HOLD_MEMORY, count=2, tags={"dagster/asset-key": asset, "dagster/job": asset}
    )

    def all_stopped() -> bool:
        return all(t["lastStatus"] == "STOPPED" for t in resource.describe_tasks(arns))

    wait_until(all_stopped, timeout=30, what="both tasks to stop")
    return asset, arns


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_tasks_show_each_stopped_tasks_cost_and_memory_peak(
    asset_tasks: tuple[str, list[str]],
) -> None:
    """`tasks` prices a stopped task by Fargate's rule and shows its memory peak."""
    asset, arns = asset_tasks
    result = run("tasks", "--asset", asset, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {row["task_arn"] for row in rows} == set(arns)
    for row in rows:
        assert row["cost_usd"] == pytest.approx(MINUTE_COST, abs=1e-6)
        assert 30 <= row["memory_peak_mib"] < 120
    table = run("tasks", "--asset", asset)
    assert "COST (USD)" in table.stdout and "MEM PEAK" in table.stdout


def test_cost_sums_by_asset_job_and_day(asset_tasks: tuple[str, list[str]]) -> None:
    """`cost` sums the tasks' cost under their asset tag, their job tag and their day."""
    asset, _ = asset_tasks
    for by in ("asset", "job"):
        result = run("cost", "--since", "1h", "--by", by, "--json")
        assert result.exit_code == 0, result.output
        [row] = [r for r in json.loads(result.stdout) if r[by] == asset]
        assert row["tasks"] == 2
        assert row["cost_usd"] == pytest.approx(2 * MINUTE_COST, abs=2e-6)
    by_day = run("cost", "--since", "1d", "--by", "day")
    assert by_day.exit_code == 0 and "Total: $" in by_day.stdout


def test_a_bad_period_is_a_usage_error() -> None:
    """--since takes hours or days; anything else exits 2 saying what it takes."""
    result = run("cost", "--since", "forever")
    assert result.exit_code == 2
    assert "hours or days such as 24h or 7d" in result.stderr
