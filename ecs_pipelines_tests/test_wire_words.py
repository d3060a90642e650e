"""ECS's words for a task's state (TaskStatus), why it stopped (StopCode) and the project's
MISSING are spelled once, in ecs/common/states.py; everywhere else names the constant."""

from __future__ import annotations

import ast
from pathlib import Path

import ecs_pipelines
from ecs_pipelines.ecs.common import MISSING, StopCode, TaskStatus

PACKAGE = Path(ecs_pipelines.__file__).parent
HOME = PACKAGE / "ecs" / "common" / "states.py"
WORDS = {*(s.value for s in TaskStatus), *(c.value for c in StopCode), MISSING}
# Literals that must stay literals, each with why: (module path, word) -> reason.
ALLOWED: dict[tuple[str, str], str] = {}


def not_words(tree: ast.Module) -> set[int]:
    """The ids of the string nodes that are not values: docstrings (module, class, function)
    and the names listed in ``__all__``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            found.update(id(name) for name in ast.walk(node.value))
    return found


def literal_words(path: Path) -> list[tuple[int, str]]:
    """(line, word) for each string literal in the module equal to one of ECS's words."""
    tree = ast.parse(path.read_text())
    skip = not_words(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in WORDS
        and id(node) not in skip
    ]


def test_task_states_stop_codes_and_missing_are_never_spelled_as_literals() -> None:
    """No module of ecs_pipelines but states.py writes "STOPPED", "UserInitiated", "MISSING"...
    as a string literal (docstrings aside)."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {word!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != HOME
        for line, word in literal_words(path)
        if (str(path.relative_to(PACKAGE.parent)), word) not in ALLOWED
    ]
    assert found == []


def test_the_check_sees_a_literal_and_ignores_a_docstring(tmp_path: Path) -> None:
    """The literal check flags a status written as a string, not one named in a docstring or
    in __all__."""
    module = tmp_path / "sample.py"
    module.write_text(
        '__all__ = ["MISSING"]\n\ndef f():\n    """STOPPED"""\n    return "STOPPED"\n'
    )
    assert literal_words(module) == [(5, "STOPPED")]
