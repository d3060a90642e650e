"""The layout holds: each layer imports only the layers below it, no module holds two ideas'
worth of lines, and the library loads none of the embedded ECS's or the UI's packages."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ecs_pipelines

PACKAGE = Path(ecs_pipelines.__file__).parent
MAX_MODULE_LINES = 400
# What each subpackage may import from the project (itself included), and third-party
# packages it must not import. The CLI runs the embedded ECS (`local serve`); the demo uses
# the CLI's target selection.
ALLOWED = {
    "ecs": {"ecs"},
    "local": {"ecs", "local"},
    "integration": {"ecs", "integration"},
    "cli": {"ecs", "integration", "cli", "local"},
    "demo": {"ecs", "integration", "cli", "local", "demo"},
}
FORBIDDEN_THIRD_PARTY = {
    "ecs": {"dagster", "dagster_aws", "dagster_pipes", "moto", "flask", "werkzeug"},
    "local": {"dagster", "dagster_aws", "dagster_pipes"},
    "integration": {"moto", "flask", "werkzeug", "dagster_webserver", "psycopg2"},
}
HEAVY = ("moto", "flask", "dagster_webserver", "psycopg2")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_downward(layer: str) -> None:
    """A subpackage imports only the project layers below it and none of its banned packages."""
    wrong = []
    for path in (PACKAGE / layer).rglob("*.py"):
        for module in imported_modules(path):
            top, _, rest = module.partition(".")
            if top == "ecs_pipelines" and rest and rest.split(".")[0] not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {module}")
            if top in FORBIDDEN_THIRD_PARTY.get(layer, set()):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert wrong == []


def test_package_root_holds_only_the_public_api() -> None:
    """The package root has __init__.py and subpackages, nothing else a newcomer must read."""
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def test_no_module_is_over_400_lines() -> None:
    """No module passes 400 lines: past that it holds two ideas."""
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_importing_the_library_loads_no_embedded_ecs_or_ui_package() -> None:
    """`import ecs_pipelines` (and its public names) loads no moto, flask, webserver or
    psycopg2: a library user installs none of them."""
    code = (
        "import sys, ecs_pipelines\n"
        "from ecs_pipelines import *\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    assert output.stdout.strip() == "[]"


def test_public_api_is_importable_from_the_top() -> None:
    """Every name the contract promises comes from `ecs_pipelines` itself."""
    promised = {
        "EcsResource",
        "EcsTaskResult",
        "EcsTaskFailure",
        "ecs_task_op",
        "ecs_task_asset",
        "ecs_task_multi_asset",
        "ecs_completion_report_op",
        "ecs_detached_asset_sensor",
        "ecs_task_completion_sensor",
        "ecs_orphaned_task_sensors",
    }
    assert promised <= set(ecs_pipelines.__all__)
    assert all(getattr(ecs_pipelines, name) for name in promised)


def test_the_ecs_core_and_the_workloads_load_without_dagster() -> None:
    """Importing the ECS core (or a demo workload) loads no Dagster: the core stands alone and
    a task's Python starts fast."""
    code = (
        "import sys, ecs_pipelines.ecs.waiting.watcher, ecs_pipelines.ecs.tasks.stopping, "
        "ecs_pipelines.demo.workloads.stage\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dagster_aws'}))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    assert output.stdout.strip() == "[]"
