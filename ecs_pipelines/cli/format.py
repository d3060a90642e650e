"""Pure rendering for the task commands: rows, summaries and JSON of DescribeTasks tasks.

No I/O here; every function takes the task dicts (and "now" when time matters) and returns
text or plain data, so the command module only fetches and prints. The tasks given are
masked already (``Env.shown_task``): shell quoting and JSON change a secret's text, so no
secret can be found in what these return.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ecs_pipelines.cli.table import render_table
from ecs_pipelines.ecs.common import MASK, family_revision, tags_of, task_id
from ecs_pipelines.integration.task_naming import ASSET_KEY_TAG, RUN_ID_TAG

TASK_HEADERS = (
    "TASK ID",
    "STATUS",
    "TASK DEFINITION",
    "STARTED BY",
    "AGE",
    "COST (USD)",
    "MEM PEAK",
    "DAGSTER RUN",
)
# dagster-aws's EcsRunLauncher tags each run-worker task with the run id under its own key.
RUN_WORKER_RUN_ID_TAG = "dagster/run_id"


def format_age(seconds: float) -> str:
    """A compact age like kubectl's: 42s, 7m, 3h, 5d."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def task_age(task: Mapping[str, Any], now: datetime) -> str:
    created = task.get("createdAt") or task.get("startedAt")
    if not isinstance(created, datetime):
        return ""
    return format_age((now - created).total_seconds())


def task_row(task: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """One task as the `tasks` command shows it (also its --json shape)."""
    tags = tags_of(task)
    return {
        "task_id": task_id(str(task.get("taskArn", ""))),
        "task_arn": task.get("taskArn"),
        "last_status": task.get("lastStatus"),
        "desired_status": task.get("desiredStatus"),
        "task_definition": family_revision(task.get("taskDefinitionArn")),
        "started_by": task.get("startedBy"),
        "created_at": _iso(task.get("createdAt")),
        "stopped_at": _iso(task.get("stoppedAt")),
        "age": task_age(task, now),
        "dagster_run_id": run_id_of(task),
        "dagster_asset_key": tags.get(ASSET_KEY_TAG),
    }


def run_id_of(task: Mapping[str, Any]) -> str | None:
    """The Dagster run a task belongs to: a step's task or the run's run-worker task."""
    tags = tags_of(task)
    return tags.get(RUN_ID_TAG) or tags.get(RUN_WORKER_RUN_ID_TAG)


def matches_tags(task: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    tags = tags_of(task)
    return all(tags.get(key) == value for key, value in wanted.items())


def sort_newest_first(tasks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def key(task: Mapping[str, Any]) -> float:
        created = task.get("createdAt")
        return created.timestamp() if isinstance(created, datetime) else 0.0

    return sorted(tasks, key=key, reverse=True)


def render_task_table(rows: Sequence[Mapping[str, Any]]) -> str:
    cells = [
        (
            r["task_id"],
            r["last_status"],
            r["task_definition"],
            r["started_by"],
            r["age"],
            "-" if r.get("cost_usd") is None else f"{r['cost_usd']:.6f}",
            "-" if r.get("memory_peak_mib") is None else f"{r['memory_peak_mib']:.0f} MiB",
            r["dagster_run_id"],
        )
        for r in rows
    ]
    return render_table(TASK_HEADERS, cells)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def to_json(data: Any) -> str:
    """JSON with datetimes as ISO 8601 (boto3 hands them out as datetime objects)."""
    return json.dumps(data, indent=2, default=_json_default)


def _container_lines(container: Mapping[str, Any]) -> list[str]:
    facts = [
        ("status", container.get("lastStatus")),
        ("exit code", container.get("exitCode")),
        ("reason", container.get("reason")),
        ("runtime id", container.get("runtimeId")),
    ]
    lines = [f"  {container.get('name', '?')}"]
    lines += [f"    {label + ':':<12} {value}" for label, value in facts if value is not None]
    for agent in container.get("managedAgents") or []:
        text = f"{agent.get('name')} {agent.get('lastStatus')}"
        if agent.get("reason"):
            text += f" ({agent['reason']})"
        lines.append(f"    {'agent:':<12} {text}")
    return lines


def _override_lines(task: Mapping[str, Any]) -> list[str]:
    """Overrides of a task whose secret values were masked (``redaction.mask_task``)."""
    lines: list[str] = []
    for override in (task.get("overrides") or {}).get("containerOverrides") or []:
        name = override.get("name", "?")
        if override.get("command"):
            lines.append(f"  {name} command: {shlex.join(map(str, override['command']))}")
        pairs = [
            f"{v.get('name')}={v.get('value', MASK)}" for v in override.get("environment") or []
        ]
        if pairs:
            lines.append(f"  {name} environment: " + ", ".join(pairs))
    return lines


def _time_line(label: str, value: Any) -> str | None:
    return f"{label + ':':<16} {_iso(value)}" if value is not None else None


def render_task_summary(task: Mapping[str, Any], console_url: str | None) -> str:
    """A readable account of one task, in the spirit of `aws ecs describe-tasks`."""
    arn = str(task.get("taskArn", ""))
    header: list[str | None] = [
        f"Task {task_id(arn)}",
        f"{'ARN:':<16} {arn}",
        f"{'Cluster:':<16} {task.get('clusterArn', '')}",
        f"{'Task definition:':<16} {family_revision(task.get('taskDefinitionArn'))}",
        f"{'Status:':<16} {task.get('lastStatus')} (desired {task.get('desiredStatus')})",
    ]
    if task.get("stopCode") or task.get("stoppedReason"):
        header.append(f"{'Stop code:':<16} {task.get('stopCode', '')}")
        header.append(f"{'Stopped reason:':<16} {task.get('stoppedReason', '')}")
    header += [
        f"{'Started by:':<16} {task['startedBy']}" if task.get("startedBy") else None,
        f"{'Launch type:':<16} {task['launchType']}" if task.get("launchType") else None,
        _time_line("Created", task.get("createdAt")),
        _time_line("Started", task.get("startedAt")),
        _time_line("Stopped", task.get("stoppedAt")),
        f"{'ECS Exec:':<16} {'enabled' if task.get('enableExecuteCommand') else 'disabled'}",
    ]
    lines = [line for line in header if line is not None]
    lines.append("Containers:")
    for container in task.get("containers") or []:
        lines += _container_lines(container)
    overrides = _override_lines(task)
    if overrides:
        lines += ["Overrides:", *overrides]
    tags = tags_of(task)
    if tags:
        lines += ["Tags:", *(f"  {key}={value}" for key, value in sorted(tags.items()))]
    if console_url:
        lines.append(f"{'Console:':<16} {console_url}")
    return "\n".join(lines)


def prefixed(lines: Sequence[str], container: str | None) -> list[str]:
    """Log lines, each led by its container's name when several containers are shown."""
    if container is None:
        return list(lines)
    return [f"{container} | {line}" for line in lines]
