"""A real PostgreSQL server for tests: Debian's server binaries on a free loopback port.

``running_postgres()`` starts one (as the ``postgres`` user when the tests run as root, since
initdb and postgres refuse to run as root), with password authentication over TCP, and stops
and deletes it on exit. Each test takes its own database (``create_database``); ``dagster_yaml``
gives the instance storage section that points Dagster at one. Without the binaries a test is
skipped, except in CI, where it fails.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2  # type: ignore[import-untyped]  # no stubs installed
import pytest

from ecs_pipelines_tests.support.ports import free_port

INSTALL_HINT = "install Debian's PostgreSQL server: apt-get install postgresql"
SERVER_USER = "postgres"  # initdb and postgres refuse to run as root
DB_USER, DB_PASSWORD, DB_NAME = "dagster", "not-a-secret-test-password", "dagster_deploy_test"


def postgres_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL server's bin directory, or the one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path and shutil.which("pg_ctl") else None


def _major_version(initdb: str) -> int:
    version = Path(initdb).parts[-3]
    return int(version) if version.isdigit() else 0


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    run_as: list[str]

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def server_command(self, *argv: str) -> None:
        """Runs a server binary as the server's user; its output is in the failure message."""
        done = subprocess.run(
            [*self.run_as, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"{argv[0]} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        password_file = self.root / "password"
        password_file.write_text(DB_PASSWORD + "\n")
        self._hand_over(password_file)
        # Password authentication over TCP, so the password from the environment is checked.
        self.server_command(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            DB_USER,
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--no-locale",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off"
        )
        # -w: pg_ctl returns once the server accepts connections.
        self.server_command(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        self.server_command(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"
        )

    def _hand_over(self, *paths: Path) -> None:
        if self.run_as:
            user = pwd.getpwnam(SERVER_USER)
            for path in paths:
                os.chown(path, user.pw_uid, user.pw_gid)

    def connect(self, dbname: str) -> Any:
        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user=DB_USER, password=DB_PASSWORD, dbname=dbname
        )

    def create_database(self, name: str) -> None:
        connection = self.connect("postgres")
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def new_database(self) -> str:
        """A fresh, empty database of its own for one test."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        self.create_database(name)
        return name

    def query(self, sql: str, *args: object, dbname: str = DB_NAME) -> list[tuple[Any, ...]]:
        connection = self.connect(dbname)
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, args)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        connection.close()
        return rows

    def dagster_storage(self, dbname: str) -> dict[str, Any]:
        """The ``storage`` section of a dagster.yaml that keeps everything in ``dbname``."""
        return {
            "postgres": {
                "postgres_db": {
                    "hostname": "127.0.0.1",
                    "port": self.port,
                    "username": DB_USER,
                    "password": DB_PASSWORD,
                    "db_name": dbname,
                    # SQLAlchemy 2.1 maps a bare postgresql:// URL to psycopg 3, which is not
                    # installed; dagster-postgres installs psycopg2.
                    "scheme": "postgresql+psycopg2",
                }
            }
        }


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started server, stopped and deleted on exit (skipped without binaries, except in CI)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(
                f"PostgreSQL server binaries (initdb, pg_ctl) are missing in CI; {INSTALL_HINT}"
            )
        pytest.skip(f"PostgreSQL server binaries (initdb, pg_ctl) not found; {INSTALL_HINT}")
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            pytest.fail(f"running as root and there is no {SERVER_USER!r} user; {INSTALL_HINT}")
        run_as = ["runuser", "-u", SERVER_USER, "--"]
    # Under /tmp rather than pytest's tmp_path: the server's user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="ecs-pipelines-pg-"))
    server = PostgresServer(bin_dir=bin_dir, root=root, port=free_port(), run_as=run_as)
    server._hand_over(root)
    try:
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module", name="postgres")
def postgres_fixture() -> Iterator[PostgresServer]:
    """The ``postgres`` fixture: a server for the module, with the ``DB_NAME`` database.

    A module uses it by importing ``postgres_fixture``."""
    with running_postgres() as server:
        server.create_database(DB_NAME)
        yield server
