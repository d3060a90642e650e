"""The layout holds: each layer imports only the layers below it, no module imports itself
back (through any path, TYPE_CHECKING and function-level imports included), every package of
the core and of the embedded ECS is reached through its public face, no module holds two
ideas' worth of lines, and the library loads none of the embedded ECS's or the UI's packages."""

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


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, wherever the import stands (module level,
    under TYPE_CHECKING, inside a function). ``from package import name`` counts as an import
    of the submodule ``package.name`` when there is one, else of the package."""
    paths = {module_name(p): p for p in modules()}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in paths)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    if submodule in paths:
                        found.add(submodule)
                    elif node.module in paths:
                        found.add(node.module)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing
    itself): each is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def faced_packages() -> list[str]:
    """The packages of the core and of the embedded ECS: each has a public face."""
    return sorted(
        module_name(p)
        for layer in ("ecs", "local")
        for p in (PACKAGE / layer).glob("*/__init__.py")
    )


def test_no_module_imports_itself_back() -> None:
    """No import cycle, however hidden: TYPE_CHECKING and function-level imports count."""
    assert cycles(import_graph()) == []


def test_cycles_are_found_through_any_kind_of_import() -> None:
    """The cycle check sees a cycle closed by a function-level or TYPE_CHECKING import."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"], ["d"]]


def test_other_packages_reach_a_core_package_only_through_its_face() -> None:
    """Outside a package of the core (or of the embedded ECS), only its ``__init__`` is
    imported, never one of its modules: the face is all another part depends on."""
    graph = import_graph()
    wrong = [
        f"{importer} imports {imported}"
        for importer, imported_modules_ in graph.items()
        for imported in imported_modules_
        for package in faced_packages()
        if imported.startswith(package + ".")
        and importer != package
        and not importer.startswith(package + ".")
    ]
    assert wrong == []


def test_every_face_exports_only_what_its_package_defines() -> None:
    """A package's face names its modules' own definitions, each listed in ``__all__``."""
    import importlib
    import inspect

    wrong = []
    for package in faced_packages():
        face = importlib.import_module(package)
        for name in getattr(face, "__all__", []):
            value = getattr(face, name)
            if not (inspect.isfunction(value) or inspect.isclass(value)):
                continue  # a constant or an alias says nothing of where it was made
            home = value.__module__
            if not home.startswith(package):
                wrong.append(f"{package}.{name} comes from {home}")
    assert wrong == []


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


DAGSTER = {"dagster", "dagster_aws"}


def packages_loaded_by(imports: str, *, among: set[str]) -> list[str]:
    """The top-level packages of ``among`` that ``imports`` loads, in a fresh interpreter."""
    code = (
        f"import sys\n{imports}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(among)!r}))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    loaded: list[str] = ast.literal_eval(output.stdout.strip())
    return loaded


def test_importing_the_library_loads_no_embedded_ecs_or_ui_package() -> None:
    """`import ecs_pipelines` (and its public names) loads no moto, flask, webserver or
    psycopg2: a library user installs none of them."""
    imports = "import ecs_pipelines\nfrom ecs_pipelines import *"
    assert packages_loaded_by(imports, among=set(HEAVY)) == []


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
    imports = (
        "import ecs_pipelines.ecs.waiting, ecs_pipelines.ecs.tracking, "
        "ecs_pipelines.demo.workloads.stage"
    )
    assert packages_loaded_by(imports, among=DAGSTER) == []


def test_the_command_line_loads_no_dagster_until_a_command_needs_it() -> None:
    """Loading `ecs-pipelines` (every command defined) loads no Dagster: `local serve` and
    `local status` start without its 1.2 s import; a command that calls ECS loads it when it
    builds its resource."""
    assert packages_loaded_by("import ecs_pipelines.cli.main", among=DAGSTER) == []


MAX_UNTYPED_DICTS = 10


def test_the_core_speaks_the_typed_wire() -> None:
    """The ECS core has at most 10 `dict[str, Any]`, each saying why on its line (`# Any:`):
    requests and answers are mypy-boto3 TypedDicts, open values `Mapping[str, object]`."""
    untyped = [
        (f"{path.relative_to(PACKAGE.parent)}:{number}", "# Any:" in line)
        for path in sorted((PACKAGE / "ecs").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for _ in range(line.count("dict[str, Any]"))
    ]
    assert [where for where, explained in untyped if not explained] == []
    assert len(untyped) <= MAX_UNTYPED_DICTS
