"""Pure: how a Dagster step names its ECS tasks (tags, startedBy, clientToken, environment)."""

from __future__ import annotations

import re

from ecs_pipelines.ecs.common import started_by_value
from ecs_pipelines.ecs.launching import MAX_TAG_VALUE, derive_client_token

# Tag on tasks a detached step launched, so that tasks nobody waits on can be found by tag.
DETACHED_TAG = "ecs-pipelines/detached"
# Tag on a detached-asset sensor naming the assets it reports (space-separated), so that the
# launching step can name the sensor in the run log, or warn that none watches the asset.
WATCHED_ASSETS_TAG = "ecs-pipelines/detached-assets"
RUN_ID_TAG = "dagster/run-id"
STEP_KEY_TAG = "dagster/step-key"
ASSET_KEY_TAG = "dagster/asset-key"
PARTITION_TAG = "dagster/partition"
JOB_TAG = "dagster/job"

# ECS tag values allow letters, digits, spaces and _ . : / = + - @ (limits.py checks that).
_TAG_UNSAFE = re.compile(r"[^\w .:/=+\-@]")


def tag_value(text: str) -> str:
    """``text`` as a valid ECS tag value: disallowed characters become '_', cut to 256."""
    return _TAG_UNSAFE.sub("_", text)[:MAX_TAG_VALUE]


def step_tags(
    *,
    run_id: str,
    step_key: str,
    job_name: str | None = None,
    asset_key: str | None = None,
    partition_key: str | None = None,
) -> dict[str, str]:
    tags = {RUN_ID_TAG: run_id, STEP_KEY_TAG: tag_value(step_key)}
    if job_name:
        tags[JOB_TAG] = tag_value(job_name)
    if asset_key:
        tags[ASSET_KEY_TAG] = tag_value(asset_key)
    if partition_key is not None:
        tags[PARTITION_TAG] = tag_value(partition_key)
    return tags


def started_by_for_run(run_id: str) -> str:
    """startedBy names the run (ECS allows 128 letters, digits, '-', '/', '_')."""
    return started_by_value(f"dagster/{run_id}")


def step_client_token(run_id: str, step_key: str, retry_number: int, task_index: int) -> str:
    """The same step attempt always gets the same token: a resumed run worker reattaches to the
    task ECS already started for it, while a retry (a new attempt number) launches afresh."""
    return derive_client_token(run_id, step_key, str(retry_number), str(task_index))


def step_environment(
    *,
    run_id: str,
    step_key: str,
    asset_key: str | None = None,
    partition_key: str | None = None,
    partition_start: str | None = None,
    partition_end: str | None = None,
) -> dict[str, str]:
    """Variables every task launched by a step receives, so the workload knows its context."""
    env = {"DAGSTER_RUN_ID": run_id, "DAGSTER_STEP_KEY": step_key}
    if asset_key:
        env["DAGSTER_ASSET_KEY"] = asset_key
    if partition_key is not None:
        env["DAGSTER_PARTITION_KEY"] = partition_key
    if partition_start is not None:
        env["DAGSTER_PARTITION_START"] = partition_start
    if partition_end is not None:
        env["DAGSTER_PARTITION_END"] = partition_end
    return env
