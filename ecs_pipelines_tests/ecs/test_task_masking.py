"""Which variable values a described task shows: masked by default, but never a value the
task shows anyway (a step's DAGSTER_RUN_ID is its run-id tag), and never a secret."""

from __future__ import annotations

from typing import Any

from ecs_pipelines.ecs.common import MASK, mask_task, masked_task, secret_names_tag

RUN_ID = "6f1c2e9a-1234-4000-8000-000000000001"


def step_task(variables: dict[str, str], tags: dict[str, str]) -> dict[str, Any]:
    return {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef",
        "startedBy": f"dagster/{RUN_ID}",
        "tags": [{"key": key, "value": value} for key, value in tags.items()],
        "overrides": {
            "containerOverrides": [
                {
                    "name": "main",
                    "environment": [{"name": n, "value": v} for n, v in variables.items()],
                }
            ]
        },
    }


def shown(task: dict[str, Any]) -> dict[str, str]:
    [override] = task["overrides"]["containerOverrides"]
    return {variable["name"]: variable["value"] for variable in override["environment"]}


def test_a_value_the_task_shows_in_its_tags_is_not_masked() -> None:
    """DAGSTER_RUN_ID and DAGSTER_STEP_KEY equal the task's own tags: shown; DAY is not."""
    task = step_task(
        {"DAGSTER_RUN_ID": RUN_ID, "DAGSTER_STEP_KEY": "extract", "DAY": "2026-11-24"},
        {"dagster/run-id": RUN_ID, "dagster/step-key": "extract"},
    )
    assert shown(masked_task(task)) == {
        "DAGSTER_RUN_ID": RUN_ID,
        "DAGSTER_STEP_KEY": "extract",
        "DAY": MASK,
    }


def test_a_secret_is_masked_even_when_a_tag_carries_its_value() -> None:
    """A variable named secret stays masked, and its value is masked in the tags too."""
    secret = "tok-never-shown"
    tags = {"leaky": secret, **secret_names_tag(["API_TOKEN"])}
    task = step_task({"API_TOKEN": secret}, tags)
    masked = mask_task(task)
    assert shown(masked) == {"API_TOKEN": MASK}
    assert secret not in str(masked)
    everything_secret = step_task({"DAGSTER_RUN_ID": RUN_ID}, {"dagster/run-id": RUN_ID})
    everything_secret["tags"].append({"key": "ecs-pipelines/secret-environment", "value": "*"})
    assert shown(masked_task(everything_secret)) == {"DAGSTER_RUN_ID": MASK}
