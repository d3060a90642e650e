"""moto's own ECS test suite, from the sdist of the moto release installed here, run in moto's
server mode against an embedded ECS of its own (a separate process).

The sdist is downloaded once with pip and its ``tests/`` kept under the virtualenv. The tests
that do not hold for an ECS whose tasks really run are listed, with their reasons, in
``moto_suite_plugin.EXPECTED_FAILURES``; every other test must pass.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pytest

from ecs_pipelines_tests.local.dedicated import DedicatedServer
from ecs_pipelines_tests.local.moto_suite_plugin import EXPECTED_FAILURES

PROJECT = Path(__file__).resolve().parents[2]
MOTO_VERSION = version("moto")
CACHE = Path(sys.prefix) / ".cache" / f"moto-{MOTO_VERSION}-tests"
# What the moto suite counted against plain moto's server (9 tests skip themselves there).
EXPECTED_SKIPPED = 9


def _moto_tests() -> Path:
    """``tests/`` of moto's sdist (with test_ecs), downloaded and unpacked on first use."""
    if (CACHE / "tests" / "test_ecs").is_dir():
        return CACHE
    with tempfile.TemporaryDirectory(prefix="moto-sdist-") as scratch:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"moto=={MOTO_VERSION}",
                "-d",
                scratch,
            ],
            check=True,
            timeout=300,
        )
        sdist = Path(scratch) / f"moto-{MOTO_VERSION}.tar.gz"
        root = f"moto-{MOTO_VERSION}"
        # moto's pytest settings, the tests package's own modules and the ECS tests.
        wanted = {f"{root}/pyproject.toml"} | {
            f"{root}/tests/{name}" for name in ("__init__.py", "conftest.py", "markers.py")
        }
        unpacked = Path(scratch) / "unpacked"
        with tarfile.open(sdist) as archive:
            members = [
                m
                for m in archive.getmembers()
                if m.name in wanted or m.name.startswith(f"{root}/tests/test_ecs/")
            ]
            archive.extractall(unpacked, members=members, filter="data")
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=CACHE.name, dir=CACHE.parent))
        shutil.move(str(unpacked / root), staged / "tree")
        with contextlib.suppress(OSError):  # another run put it there first
            (staged / "tree").rename(CACHE)
        shutil.rmtree(staged, ignore_errors=True)
    return CACHE


def _outcomes(report: Path) -> dict[str, str]:
    """test id -> passed / failed / skipped / xfailed / xpassed, from a JUnit XML report."""
    found = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{Path(case.get('file') or case.get('classname', '')).name}::{case.get('name')}"
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            found[name] = "failed"
        elif skipped is not None:
            xfail = skipped.get("type") == "pytest.xfail"
            found[name] = "xfailed" if xfail else "skipped"
        else:
            found[name] = "passed"
    return found


@pytest.mark.timeout(600)
def test_moto_ecs_suite_passes_against_the_embedded_ecs(
    dedicated_server: DedicatedServer, tmp_path: Path
) -> None:
    """moto's ECS tests pass in server mode against the embedded ECS, but for the listed ones,
    signing every request (and moto's resets) with the server's own keys."""
    root = _moto_tests()
    report = tmp_path / "moto-ecs.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
    env.update(
        TEST_SERVER_MODE="true",
        TEST_SERVER_MODE_ENDPOINT=dedicated_server.endpoint_url,
        **dedicated_server.credentials.environment(),
        PYTHONPATH=os.pathsep.join([str(root), str(PROJECT)]),
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_ecs",
            "-q",
            "--color=no",
            "--tb=short",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "ecs_pipelines_tests.local.moto_suite_plugin",
            "-o",
            "junit_family=xunit1",
            f"--junitxml={report}",
            "--timeout=120",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    outcomes = _outcomes(report)
    counts = Counter(outcomes.values())
    print(f"moto {MOTO_VERSION} ECS suite against the embedded ECS: {dict(counts)}")
    failed = sorted(name for name, outcome in outcomes.items() if outcome == "failed")
    assert failed == [], run.stdout[-20000:]
    assert run.returncode == 0, run.stdout[-20000:]
    assert counts["skipped"] == EXPECTED_SKIPPED, dict(counts)
    unknown = set(EXPECTED_FAILURES) - set(outcomes)
    assert unknown == set(), f"listed exceptions that moto's suite no longer has: {unknown}"
