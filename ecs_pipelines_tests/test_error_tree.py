"""Every exception class the project defines derives from the one base, ``EcsError``, so a
caller can catch all of the project's deliberate errors with one ``except``."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import ecs_pipelines
from ecs_pipelines.ecs.common import EcsError

PACKAGE = Path(ecs_pipelines.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def class_paths(body: list[ast.stmt], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The attribute path of every class with bases, at module level or nested in a class."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            path = (*prefix, node.name)
            if node.bases:
                yield path
            yield from class_paths(node.body, path)


def classes_in_functions(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [n.name for n in ast.walk(node) if isinstance(n, ast.ClassDef)]
    return found


def defined_exceptions() -> dict[str, type[BaseException]]:
    """Qualified name -> class, for every exception class defined in ``ecs_pipelines``."""
    found: dict[str, type[BaseException]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        paths = list(class_paths(tree.body))
        if not paths:
            continue
        module = importlib.import_module(module_name(path))
        for attributes in paths:
            value: object = module
            for attribute in attributes:
                value = getattr(value, attribute)
            if isinstance(value, type) and issubclass(value, BaseException):
                found[f"{module.__name__}.{'.'.join(attributes)}"] = value
    return found


def test_every_exception_class_derives_from_the_one_base() -> None:
    """Each class in ecs_pipelines that derives from an exception type also derives from
    EcsError."""
    exceptions = defined_exceptions()
    assert len(exceptions) >= 13  # the walk does find them (EcsTaskFailure, RequestRejected...)
    strays = sorted(name for name, cls in exceptions.items() if not issubclass(cls, EcsError))
    assert strays == []


def test_no_class_is_defined_inside_a_function() -> None:
    """No module defines a class inside a function, where the error-tree walk cannot see it."""
    hidden = {
        module_name(path): names
        for path in sorted(PACKAGE.rglob("*.py"))
        if (names := classes_in_functions(ast.parse(path.read_text())))
    }
    assert hidden == {}


def test_moved_errors_keep_their_builtin_kinds() -> None:
    """The errors that were ValueError or TimeoutError before they joined the tree still are,
    so existing `except ValueError` / `except TimeoutError` callers keep catching them."""
    exceptions = defined_exceptions()
    value_errors = ("CursorError", "LocalCredentialsNotFound", "ExecCommandError", "EcsSpecError")
    for name in value_errors:
        (cls,) = [c for qualified, c in exceptions.items() if qualified.endswith("." + name)]
        assert issubclass(cls, ValueError), name
    (deadline,) = [c for q, c in exceptions.items() if q.endswith(".DeadlinePassed")]
    assert issubclass(deadline, TimeoutError)
