"""`make ui`: `dg dev` (Dagster's webserver and daemon) with this checkout's embedded ECS for it.

By default it runs the production topology of docs/deploy.md on the embedded ECS: every run is
a run-worker task started by dagster-aws's EcsRunLauncher (its task definition registered
here, at start), the steps' tasks run beside it, run monitoring is on, and terminating a run
stops its run worker, which stops its step tasks. ``ECS_PIPELINES_RUN_LAUNCHER=default``
switches back to Dagster's default launcher (`ui_instance.py`).

The instance lives in ``.dagster_home`` (``DAGSTER_HOME`` overrides); a user's own
``dagster.yaml`` there is never overwritten. Arguments are passed on to `dg dev`
(``python -m ecs_pipelines.demo.ui -p 3001``), which serves the checkout's dg project
(``[tool.dg]`` in pyproject.toml): the demo's code location, its YAML definitions checked first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecs_pipelines.cli.checkout import checkout_root
from ecs_pipelines.cli.dagster_ui import dagster_ui_published
from ecs_pipelines.cli.local_credentials import credentials_not_found
from ecs_pipelines.cli.target import Target, local_ecs_running, target_from_env
from ecs_pipelines.demo.run_workers import launcher_environment, register_run_worker
from ecs_pipelines.demo.task_events_queue import demo_task_events_environment
from ecs_pipelines.demo.ui_address import webserver_address
from ecs_pipelines.demo.ui_instance import (
    ECS_LAUNCHER,
    PROJECT_ROOT,
    checkout_dagster_home,
    ensure_instance_file,
    launcher_choice,
)
from ecs_pipelines.ecs.common import LocalCredentialsNotFound

ROOT = PROJECT_ROOT


TASK_EVENTS_ENV = "ECS_PIPELINES_TASK_EVENTS"
STEPS_QUEUE_ENV = "ECS_PIPELINES_TASK_EVENTS_QUEUE_URL"


@dataclass
class StartUp:
    """What `make ui` prepares before `dagster dev` starts: its environment, and what to say."""

    target: Target
    launcher: str
    dagster_home: Path
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)


def set_up_task_events(start: StartUp) -> None:
    """On the embedded ECS: a queue of task state events (and its EventBridge rule) for the
    steps and one for each sensor, so that completion is pushed, not polled
    (ECS_PIPELINES_TASK_EVENTS=off polls instead)."""
    if start.target.name != "local" or start.target.endpoint_url is None:
        return
    if start.env.get(TASK_EVENTS_ENV, "on").lower() in ("off", "0", "false", "no"):
        start.notes.append("Task completion: polled (ECS_PIPELINES_TASK_EVENTS=off)")
        return
    if start.target.credentials is None:
        raise credentials_not_found(start.target.endpoint_url)
    start.env.update(
        demo_task_events_environment(start.target.endpoint_url, start.target.credentials)
    )
    start.notes.append("Task completion: ECS Task State Change events through SQS, one queue each")


def set_up_run_workers(start: StartUp) -> None:
    """With EcsRunLauncher: registers the run-worker task definition and gives the webserver
    and daemon what the launcher needs to reach the embedded ECS."""
    if start.launcher != ECS_LAUNCHER:
        start.notes.append("Runs: Dagster's default launcher (processes of dagster dev)")
        return
    # The steps in a run worker read the same task events queue as dagster dev's would.
    steps_queue = {k: v for k, v in start.env.items() if k == STEPS_QUEUE_ENV}
    arn = register_run_worker(start.target, start.dagster_home, steps_queue)
    start.env.update(launcher_environment(start.target, arn))
    start.notes.append(f"Runs: one run-worker task each on the embedded ECS ({arn})")


# Each step gets the prepared start-up in order, once the embedded ECS answers.
START_UP_STEPS: list[Callable[[StartUp], None]] = [set_up_task_events, set_up_run_workers]


def prepare(target: Target, env: dict[str, str]) -> StartUp:
    """Writes the instance file if it is `make ui`'s to write, then runs the start-up steps."""
    dagster_home = Path(env["DAGSTER_HOME"])
    start = StartUp(target, launcher_choice(env, target), dagster_home, env)
    instance = ensure_instance_file(dagster_home, start.launcher)
    start.notes.append(f"Instance: {instance.describe(start.launcher)}")
    for step in START_UP_STEPS:
        step(start)
    return start


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(checkout_dagster_home(env))
    target = target_from_env(env)
    try:
        launcher_choice(env, target)  # a wrong value fails before any server starts
    except ValueError as error:
        print(f"make ui: {error}", file=sys.stderr)
        return 2
    try:
        return _serve(target, env, argv)
    except LocalCredentialsNotFound as error:
        print(f"make ui: {error}", file=sys.stderr)
        return 2


def _serve(target: Target, env: dict[str, str], argv: Sequence[str] | None) -> int:
    """dagster dev on the target, with the embedded ECS it needs running."""
    with local_ecs_running(target) as target:
        if target.endpoint_url:
            # dagster dev's code server resolves the target again: same endpoint.
            env["ECS_PIPELINES_ENDPOINT_URL"] = target.endpoint_url
        start = prepare(target, env)
        print(f"Target: {target.description}")
        for note in start.notes:
            print(note)
        webserver = webserver_address(sys.argv[1:] if argv is None else argv)
        print(f"Dagster UI: {webserver.url}")
        command = dg_dev_command(webserver.arguments)
        # dg checks that it runs in the project's environment: it does, say so.
        start.env.setdefault("VIRTUAL_ENV", sys.prefix)
        # Ctrl-C reaches dagster dev too, which stops its webserver, daemon and code server:
        # wait for that (and then stop the embedded ECS if it was started here) rather than
        # leaving it half-stopped.
        previous = signal.signal(signal.SIGINT, _let_dagster_dev_stop)
        try:
            with dagster_ui_published(checkout_root(), target.endpoint_url, webserver.url):
                return subprocess.call(command, env=start.env, cwd=ROOT)
        finally:
            signal.signal(signal.SIGINT, previous)


def dg_dev_command(arguments: Sequence[str]) -> list[str]:
    """`dg dev` (what Dagster recommends over `dagster dev`) for this checkout's dg project
    (`[tool.dg]` in pyproject.toml: the demo's code location), with ``arguments`` passed on."""
    return [str(Path(sys.executable).parent / "dg"), "dev", *arguments]


def _let_dagster_dev_stop(_signum: int, _frame: object) -> None:
    """SIGINT while dagster dev runs: nothing to do here, dagster dev got it too."""


if __name__ == "__main__":
    sys.exit(main())
