"""`make run`: the demo job and the demo assets, headless, on the embedded ECS by default.

Uses this checkout's embedded ECS (starting it if it has none), runs ``ecs_report_job``,
materialises the daily assets for the latest day, the Pipes asset and the asset whose task
definition is declared in code, prints a table of every ECS task the runs launched, and exits
non-zero if any run or task failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from dagster import AssetKey, DagsterInstance, materialize
from dagster._utils.warnings import BetaWarning, PreviewWarning

from ecs_pipelines.cli.target import local_ecs_running, target_from_env
from ecs_pipelines.demo.assets import daily_events, daily_summary, model_scores, weekly_rollup
from ecs_pipelines.demo.jobs import DAILY
from ecs_pipelines.demo.run_table import HOW_TO_LOOK_CLOSER, render_run_table, task_rows
from ecs_pipelines.demo.ui_instance import checkout_dagster_home, in_process_instance
from ecs_pipelines.ecs.common import LocalCredentialsNotFound
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.step_progress import progress


def quiet_run_config(verbose: bool) -> dict[str, Any]:
    """Dagster's console logger: everything with --verbose, else warnings and errors only."""
    level = "DEBUG" if verbose else "WARNING"
    return {"loggers": {"console": {"config": {"log_level": level}}}}


def show_progress() -> None:
    """Prints the step runner's one line per task launched and ended."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    progress.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="Dagster's own DEBUG log too.")
    args = parser.parse_args(argv)
    if not args.verbose:
        warnings.filterwarnings("ignore", category=PreviewWarning)
        warnings.filterwarnings("ignore", category=BetaWarning)
    show_progress()
    try:
        return _run(args.verbose)
    except LocalCredentialsNotFound as error:
        print(f"make run: {error}", file=sys.stderr)
        return 2


# An asset of the demo's YAML definitions (demo/defs/), launched as the Python ones are.
YAML_ASSET = AssetKey(["yaml", "weekly_report"])


def _run_demo(
    ecs: EcsResource, instance: DagsterInstance, config: dict[str, Any]
) -> list[tuple[str, bool, str]]:
    """Runs the report job, then materialises the demo assets: (name, success, run id) each."""
    from ecs_pipelines.demo.definitions import defs

    runs = []
    job_result = defs.get_job_def("ecs_report_job").execute_in_process(
        instance=instance, raise_on_error=False, run_config=config
    )
    runs.append(("ecs_report_job", job_result.success, job_result.run_id))
    day = DAILY.get_last_partition_key()
    materialisations = [
        (f"daily assets {day}", [daily_events, daily_summary], day),
        ("model_scores (Pipes)", [model_scores], None),
        ("weekly_rollup (task definition in code)", [weekly_rollup], None),
        ("yaml/weekly_report (declared in YAML)", [defs.get_assets_def(YAML_ASSET)], None),
    ]
    for name, assets, partition in materialisations:
        result = materialize(
            assets,
            partition_key=partition,
            resources={"ecs": ecs},
            instance=instance,
            raise_on_error=False,
            run_config=config,
        )
        runs.append((name, result.success, result.run_id))
    return runs


def _run(verbose: bool) -> int:
    with local_ecs_running(target_from_env(), keep_running=True) as target:
        # The code location reads the target when it loads: it must see this endpoint.
        if target.endpoint_url:
            os.environ.setdefault("ECS_PIPELINES_ENDPOINT_URL", target.endpoint_url)
        print(f"Target: {target.description}")
        from ecs_pipelines.demo.definitions import demo_resource

        ecs = demo_resource(target)
        # The instance `make ui` shows, so that the UI opened afterwards has these runs.
        home = checkout_dagster_home(os.environ)
        print(f"Instance: {home}")
        with in_process_instance(home) as instance:
            runs = _run_demo(ecs, instance, quiet_run_config(verbose))
        rows = [row for _, _, run_id in runs for row in task_rows(ecs, run_id)]
    print()
    for name, success, run_id in runs:
        print(f"{'SUCCESS' if success else 'FAILURE'}  {name}  (run {run_id})")
    print()
    print(render_run_table(rows))
    print(f"\n{HOW_TO_LOOK_CLOSER}")
    if target.name == "local":
        print(
            f"\nThe embedded ECS keeps running at {target.endpoint_url}: list these tasks\n"
            "with `.venv/bin/ecs-pipelines tasks`, stop it with `.venv/bin/ecs-pipelines local "
            "stop`\n(both find this checkout's server). `make ui` shows these runs."
        )
    tasks_ok = rows and all("(succeeded)" in row[3] for row in rows)
    return 0 if tasks_ok and all(success for _, success, _ in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
