"""A step reports what its tasks cost and used: metadata the asset page plots, a run-log line
per task, one Container Insights read per step, and the right-sizing hint of an asset."""

from __future__ import annotations

import re
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, py

HINT = "ecs/right_sizing"
# Holds 20 MiB and idles a little over a second: a sliver of 1 vCPU and 4 GiB.
SMALL_WORK = py("import time\ndata = b'x' * (20 * 1024 * 1024)\ntime.sleep(1.2)\nprint(len(data))")


def latest_metadata(instance: DagsterInstance, key: str) -> dict[str, Any]:
    event = instance.get_latest_materialization_event(AssetKey(key))
    assert event is not None and event.asset_materialization is not None
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_materialisations_record_cost_and_use_and_an_oversized_task_gets_the_hint(
    ecs: EcsResource,
) -> None:
    """Each materialisation records ecs/cost_usd and ecs/memory_peak_mib; a task using little
    of its 1 vCPU / 4 GiB over three materialisations is told the smaller size and saving."""
    instance = DagsterInstance.ephemeral()
    asset_def = ecs_task_asset("oversized", command=SMALL_WORK, task_cpu="1024", task_memory="4096")
    for _ in range(3):
        result = materialize([asset_def], resources={"ecs": ecs}, instance=instance)
        assert result.success

    metadata = latest_metadata(instance, "oversized")
    assert metadata["ecs/billed_seconds"] == 60
    assert metadata["ecs/cost_usd"] == pytest.approx(60 * (0.04048 + 4 * 0.004445) / 3600)
    assert metadata["ecs/vcpu_seconds_reserved"] == 60
    assert metadata["ecs/memory_reserved_mib"] == 4096
    assert 20 <= metadata["ecs/memory_peak_mib"] < 100
    assert 0 <= metadata["ecs/cpu_utilization_avg"] < 0.5
    # Python's start-up is a burst of CPU in the first second: 0.25 or 0.5 vCPU fits it.
    hint = re.search(r"smaller Fargate size cpu (\d+) / memory (\d+) MiB", metadata[HINT])
    assert hint is not None, metadata[HINT]
    assert int(hint[1]) <= 512 and int(hint[2]) <= 1024
    assert "saving about $" in metadata[HINT]
    text = all_log_text(instance, result.run_id)
    assert "billed 60 s, $0.00" in text and "memory peak" in text
    assert hint[0] in text


def test_bad_cost_settings_name_the_field() -> None:
    """A right-sizing threshold outside 0..1 or a negative price fails when the resource is
    built, naming the field."""
    with pytest.raises(ValueError, match=r"cost\.right_sizing_threshold"):
        EcsResource(cost={"right_sizing_threshold": 1.5})
    with pytest.raises(ValueError, match=r"cost\.ec2_prices\.vcpu_hour"):
        EcsResource(cost={"ec2_prices": {"vcpu_hour": -1, "gib_hour": 0}})
