"""`ecs-pipelines logs`: a task's CloudWatch lines, once or followed until the task stops."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import click

from ecs_pipelines.cli import format as fmt
from ecs_pipelines.cli.common import RAW_OPTION, Env, echo, ecs_command, find_task
from ecs_pipelines.ecs.common import Redactor, task_id
from ecs_pipelines.ecs.logs import LogStreamRef, LogTail, last_lines, log_stream_refs
from ecs_pipelines.ecs.waiting import TaskWatcher


class LogsClients:
    """One CloudWatch Logs client per region: awslogs-region may differ from the target's."""

    def __init__(self, env: Env) -> None:
        self._resource = env.resource
        self._clients: dict[str | None, Any] = {}

    def __call__(self, region: str | None) -> Any:
        own = self._resource.region_name
        key = None if region in (None, own) else region
        if key not in self._clients:
            if key is None:
                self._clients[key] = self._resource.logs_client()
            else:
                # with_clients drops the cached logs client, so the copy builds one for `region`.
                other = self._resource.model_copy(update={"region_name": region})
                self._clients[key] = other.with_clients(self._resource.ecs_client()).logs_client()
        return self._clients[key]


@dataclass(frozen=True)
class LinePrinter:
    """Prints log lines: each line masked first, then led by its container's name when
    several containers are shown, then printed with control characters escaped unless raw."""

    redactor: Redactor
    several: bool = False
    raw: bool = False

    def __call__(self, container: str, lines: Sequence[str]) -> int:
        masked = self.redactor.lines(lines)
        for line in fmt.prefixed(masked, container if self.several else None):
            echo(line, raw=self.raw)
        return len(lines)


def streams(
    definition: Mapping[str, Any], task_arn: str, container: str | None
) -> list[LogStreamRef]:
    refs = log_stream_refs(definition, task_arn)
    if not refs:
        family = definition.get("family", "the task definition")
        raise click.ClickException(
            f"{family} has no container logging to CloudWatch (awslogs with a stream prefix)"
        )
    if container is None:
        return refs
    chosen = [ref for ref in refs if ref.container == container]
    if not chosen:
        names = ", ".join(ref.container for ref in refs)
        raise click.BadParameter(
            f"no container {container!r} with CloudWatch logs; containers: {names}",
            param_hint="--container",
        )
    return chosen


def print_all(env: Env, show: LinePrinter, refs: Sequence[LogStreamRef]) -> int:
    """Every line of every stream, to the end; exit 1 naming where a read stopped."""
    clients = LogsClients(env)
    printed = 0
    for ref in refs:
        reader = LogTail(clients(ref.region), ref)
        while True:
            printed += show(ref.container, reader.poll())
            if not reader.complete:
                raise click.ClickException(
                    f"stopped after {printed} line(s): {reader.error}; run again to retry"
                )
            if reader.at_end:
                break
    return printed


def print_tail(env: Env, show: LinePrinter, refs: Sequence[LogStreamRef], n: int) -> int:
    clients = LogsClients(env)
    return sum(show(ref.container, last_lines(clients(ref.region), ref, n)) for ref in refs)


@dataclass(frozen=True)
class TailShown:
    """What ``print_last`` printed: how many lines, and whether earlier ones were left out."""

    printed: int
    cut: bool


def print_last(env: Env, show: LinePrinter, refs: Sequence[LogStreamRef], n: int) -> TailShown:
    """At most the last ``n`` lines of each stream; says whether a stream had more."""
    clients = LogsClients(env)
    printed, cut = 0, False
    for ref in refs:
        # One line more than shown tells whether the stream had earlier lines.
        lines = last_lines(clients(ref.region), ref, n + 1)
        cut = cut or len(lines) > n
        printed += show(ref.container, lines[-n:])
    return TailShown(printed, cut)


def follow(
    env: Env,
    task: Mapping[str, Any],
    show_lines: LinePrinter,
    refs: Sequence[LogStreamRef],
    tail: int | None,
    queue_url: str | None = None,
) -> int:
    """Prints new lines until the task stops (the project's one poll loop; the task's end from
    its state change events when ``queue_url`` is given); exit 1 when the task failed."""
    shown = {ref.container for ref in refs}
    first_batch: set[tuple[str, str]] = set()
    printed = [0]

    def show(_task: str, name: str, lines: list[str]) -> None:
        if name not in shown:
            return
        if tail is not None and (_task, name) not in first_batch:
            # --tail applies to what was there before following started.
            first_batch.add((_task, name))
            lines = lines[-tail:] if tail else []
        printed[0] += show_lines(name, lines)

    watcher = TaskWatcher(
        env.client,
        env.cluster,
        settings=env.resource.watch_settings(),
        logs_client=LogsClients(env)(None),
        on_log_lines=show,
        events=env.resource.task_event_queue(queue_url) if queue_url else None,
        on_notice=lambda text: echo(text, err=True),
    )
    [result] = watcher.wait([task["taskArn"]])
    if not watcher.drain_logs():
        echo("Warning: some lines may be missing (a log read failed)", err=True)
    if not result.succeeded:
        reason = result.masked(show_lines.redactor).reason
        raise click.ClickException(f"task {task_id(task['taskArn'])} failed: {reason}")
    return printed[0]


@click.command("logs")
@click.argument("task")
@click.option("--follow", "-f", "following", is_flag=True, help="Print lines until it stops.")
@click.option("--container", help="Only this container's lines.")
@click.option("--tail", type=click.IntRange(min=0), help="Only the last N lines (per container).")
@click.option(
    "--task-events-queue-url",
    envvar="ECS_PIPELINES_TASK_EVENTS_QUEUE_URL",
    help="With --follow: learn that the task stopped from this queue of task state events.",
)
@RAW_OPTION
@ecs_command
def logs_command(
    env: Env,
    task: str,
    following: bool,
    container: str | None,
    tail: int | None,
    task_events_queue_url: str | None,
    raw: bool,
) -> None:
    """Print a task's CloudWatch log lines (awslogs), oldest first, every one of them.

    Lines are prefixed with the container name when several containers are shown.
    With --follow it exits when the task stops: status 1 if the task failed. A read that
    fails part way exits 1 saying how many lines were printed. Secret values are ***;
    control characters (escape sequences, carriage returns) are shown escaped (\\x1b,
    \\r) unless --raw.

    \b
    Example:
      ecs-pipelines logs 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f --tail 50
      ecs-pipelines logs 0f9c1d2e --follow --container main
    """
    found = find_task(env, task)
    definition = env.client.task_definition(found["taskDefinitionArn"])
    refs = streams(definition, found["taskArn"], container)
    show = LinePrinter(env.redactor(found), several=len(refs) > 1, raw=raw)
    if following:
        printed = follow(env, found, show, refs, tail, task_events_queue_url)
    elif tail is not None:
        printed = print_tail(env, show, refs, tail)
    else:
        printed = print_all(env, show, refs)
    if printed == 0:
        which = f"container {container}" if container else "any container"
        echo(f"Task {task_id(found['taskArn'])} wrote no log lines ({which}).", err=True)
