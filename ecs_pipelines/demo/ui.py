"""`make ui`: dagster dev (webserver and daemon) with this checkout's embedded ECS for it.

The instance lives in ``.dagster_home`` (``DAGSTER_HOME`` overrides); a ``dagster.yaml`` is
written there when it has none, and a user's own is never overwritten.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ecs_pipelines.cli.target import local_ecs_running, target_from_env

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INSTANCE = """\
# The instance of `make ui`, written because DAGSTER_HOME had no dagster.yaml (never rewritten).
telemetry:
  enabled: false
"""


def ensure_instance_file(dagster_home: Path) -> Path:
    """``dagster.yaml`` in ``dagster_home``: the existing one, or the default written now."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    if not path.exists():
        path.write_text(DEFAULT_INSTANCE)
    return path


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DAGSTER_HOME", str(ROOT / ".dagster_home"))
    ensure_instance_file(Path(env["DAGSTER_HOME"]))
    with local_ecs_running(target_from_env()) as target:
        if target.endpoint_url:
            # dagster dev's code server resolves the target again: same endpoint.
            env["ECS_PIPELINES_ENDPOINT_URL"] = target.endpoint_url
        print(f"Target: {target.description}; DAGSTER_HOME={env['DAGSTER_HOME']}")
        command = [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml")]
        try:
            return subprocess.call(command, env=env, cwd=ROOT)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
