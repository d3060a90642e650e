"""`make ui`: dagster dev (webserver and daemon) with the embedded ECS started for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ecs_pipelines.cli.target import target_from_env
from ecs_pipelines.demo.main_run import ecs_available


def main() -> int:
    target = target_from_env()
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env.setdefault("DAGSTER_HOME", str(root / ".dagster_home"))
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    print(f"Target: {target.description}; DAGSTER_HOME={env['DAGSTER_HOME']}")
    with ecs_available(target):
        command = [sys.executable, "-m", "dagster", "dev", "-w", str(root / "workspace.yaml")]
        try:
            return subprocess.call(command, env=env, cwd=root)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
