"""The Dagster instance of `make ui`: which run launcher, and the dagster.yaml that says so.

By default (the embedded ECS) every run is a run-worker task started by dagster-aws's
``EcsRunLauncher``, with run monitoring on: the production topology of docs/deploy.md with
SQLite storage under ``DAGSTER_HOME``. ``ECS_PIPELINES_RUN_LAUNCHER=default`` switches back to
Dagster's default launcher (run workers are local processes of `dagster dev`); with
``ECS_PIPELINES_TARGET=aws`` the default launcher is the only choice here, since run workers on
AWS need the deployment of docs/deploy.md.

The file ``make ui`` writes starts with a header holding the digest of what it wrote. At each
start it is rewritten for the launcher chosen while that digest still matches (nobody edited
it); a ``dagster.yaml`` without the header, or edited since, is the user's own and is never
touched.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef

from ecs_pipelines.cli.target import Target
from ecs_pipelines.demo.run_workers import (
    RUN_WORKER_CONTAINER,
    RUN_WORKER_STARTED_BY,
    TASK_DEFINITION_ENV,
)
from ecs_pipelines.demo.seed import DEMO_SECURITY_GROUP, DEMO_SUBNET

# The project directory the package runs from (a checkout, with `pip install -e`).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGSTER_HOME_ENV = "DAGSTER_HOME"
RUN_LAUNCHER_ENV = "ECS_PIPELINES_RUN_LAUNCHER"
ECS_LAUNCHER = "ecs"
DEFAULT_LAUNCHER = "default"
HEADER = re.compile(r"\A# Written by `make ui` \(launcher (\w+), digest ([0-9a-f]{16})\)\.[^\n]*\n")
# What `make ui` wrote before it had a header: its own, so it may be replaced.
LEGACY_INSTANCE = """\
# The instance of `make ui`, written because DAGSTER_HOME had no dagster.yaml (never rewritten).
telemetry:
  enabled: false
"""

ECS_INSTANCE = f"""\
# Every run is a run-worker task on the embedded ECS (docs/deploy.md, as deploy/dagster.yaml
# but for `dagster dev` on this host). Storage is SQLite under DAGSTER_HOME.
run_launcher:
  module: dagster_aws.ecs
  class: EcsRunLauncher
  config:
    # Registered by `make ui` at start (ecs_pipelines/demo/run_workers.py), which puts its ARN
    # in this variable for the webserver and the daemon.
    task_definition:
      env: {TASK_DEFINITION_ENV}
    container_name: {RUN_WORKER_CONTAINER}
    # `dagster dev` is not an ECS task, so there is no task of its own to copy the network
    # settings from: they are given here (deploy/dagster.yaml takes the daemon's).
    use_current_ecs_task_config: false
    run_task_kwargs:
      cluster: ecs-pipelines-demo
      startedBy: {RUN_WORKER_STARTED_BY}
      launchType: FARGATE
      networkConfiguration:
        awsvpcConfiguration:
          subnets: [{DEMO_SUBNET}]
          securityGroups: [{DEMO_SECURITY_GROUP}]
    run_resources:
      cpu: "512"
      memory: "1024"
    run_ecs_tags:
      - key: ecs_pipelines/role
        value: run-worker
    secrets_tag: null

# The daemon watches every run worker: a worker that died mid-run is replaced (its steps
# reattach to their tasks), one that never started fails its run.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 60
  max_resume_run_attempts: 1
  poll_interval_seconds: 10

telemetry:
  enabled: false
"""

DEFAULT_INSTANCE = """\
# Dagster's default run launcher: run workers are processes of `dagster dev`; their steps'
# tasks still run on ECS. Storage is SQLite under DAGSTER_HOME.
telemetry:
  enabled: false
"""

INSTANCES = {ECS_LAUNCHER: ECS_INSTANCE, DEFAULT_LAUNCHER: DEFAULT_INSTANCE}


def checkout_dagster_home(env: Mapping[str, str]) -> Path:
    """The instance directory `make ui` and `make run` share, so that the UI shows what
    `make run` materialised: ``DAGSTER_HOME`` when the user set one, else the project's
    ``.dagster_home``."""
    return Path(env.get(DAGSTER_HOME_ENV) or PROJECT_ROOT / ".dagster_home").resolve()


# Runs executed in this process launch nothing: the storage is what they share with the UI.
OPEN_LOCK = ".ecs-pipelines-open.lock"
IN_PROCESS_OVERRIDES = {
    "run_launcher": {"module": "dagster._core.launcher", "class": "DefaultRunLauncher"},
    "run_monitoring": {"enabled": False},
}


def in_process_instance(dagster_home: Path) -> DagsterInstance:
    """The instance at ``dagster_home`` for runs executed in this process (`make run`): its
    storage as the UI reads it, without the run launcher its dagster.yaml names (`make ui`'s
    EcsRunLauncher needs what only `make ui` sets up, and in-process runs use no launcher)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    ref = InstanceRef.from_dir(str(dagster_home), overrides=IN_PROCESS_OVERRIDES)
    # Two `make run`s opening a new SQLite instance at once would both create and stamp its
    # tables (alembic then finds two heads): one opens it at a time.
    with (dagster_home / OPEN_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return DagsterInstance.from_ref(ref)


def launcher_choice(env: Mapping[str, str], target: Target) -> str:
    """``ecs`` or ``default``, from ``ECS_PIPELINES_RUN_LAUNCHER`` and the target."""
    value = env.get(RUN_LAUNCHER_ENV, "").strip().lower()
    if not value:
        return ECS_LAUNCHER if target.name == "local" else DEFAULT_LAUNCHER
    if value not in INSTANCES:
        raise ValueError(f"{RUN_LAUNCHER_ENV}: must be 'ecs' or 'default', got {value!r}")
    if value == ECS_LAUNCHER and target.name != "local":
        raise ValueError(
            f"{RUN_LAUNCHER_ENV}=ecs runs run workers on the embedded ECS; on AWS they need "
            "the deployment of docs/deploy.md (use ECS_PIPELINES_RUN_LAUNCHER=default here)"
        )
    return value


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def instance_text(launcher: str) -> str:
    """The whole dagster.yaml `make ui` writes for ``launcher``, header included."""
    body = INSTANCES[launcher]
    return (
        f"# Written by `make ui` (launcher {launcher}, digest {_digest(body)}). Rewritten at "
        "each start while unedited; once edited it is yours and never rewritten.\n" + body
    )


def written_by_make_ui(text: str) -> bool:
    """True when ``text`` is a dagster.yaml `make ui` wrote and nobody edited since."""
    if text == LEGACY_INSTANCE:
        return True
    header = HEADER.match(text)
    return header is not None and _digest(text[header.end() :]) == header.group(2)


@dataclass(frozen=True)
class InstanceFile:
    path: Path
    ours: bool  # False: the user's own, left as it is

    def describe(self, launcher: str) -> str:
        if self.ours:
            return f"{self.path} (run launcher: {launcher})"
        return f"{self.path} (your own, left as it is: its run launcher decides where runs go)"


def ensure_instance_file(dagster_home: Path, launcher: str) -> InstanceFile:
    """``dagster_home``'s dagster.yaml for ``launcher``: written when missing or still the one
    `make ui` wrote, never when it is the user's own."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    if path.exists() and not written_by_make_ui(path.read_text()):
        return InstanceFile(path, ours=False)
    wanted = instance_text(launcher)
    if not path.exists() or path.read_text() != wanted:
        partial = path.with_suffix(".yaml.partial")
        partial.write_text(wanted)
        partial.replace(path)
    return InstanceFile(path, ours=True)
