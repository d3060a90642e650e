"""``LocalEcs``: moto's AWS endpoint plus the task runner, served over HTTP on loopback.

One endpoint answers ECS, CloudWatch Logs (and the rest of moto's services) for boto3 with
``endpoint_url``; ``/_local/...`` paths are the embedded ECS's own routes (``routes.py``).
Every other request must be SigV4-signed with the server's own key pair (made at each start,
``credentials``, recorded for this user in its state file) or a task's role credentials
(``request_auth.py``).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from ecs_pipelines.local import moto_bridge
from ecs_pipelines.local.auth import (
    AccessKeyStore,
    KeyPair,
    RequestAuth,
    new_server_keys,
    require_server_signature,
)
from ecs_pipelines.local.rules import (
    NO_FAULTS,
    FaultPlan,
    LogLimits,
    default_max_running_tasks,
)
from ecs_pipelines.local.runtime import (
    BridgeSink,
    EmbeddedController,
    ExecSessions,
    TaskRunner,
    resolve_secrets,
)
from ecs_pipelines.local.serving.fault_route import fault_action
from ecs_pipelines.local.serving.http_boundary import HttpBoundary
from ecs_pipelines.local.serving.instance import forget_server, new_instance_id, record_server
from ecs_pipelines.local.serving.metadata_routes import MetadataRoutes
from ecs_pipelines.local.serving.reset_route import reset_action
from ecs_pipelines.local.serving.routes import LocalRoutes, ServiceRoutes, WsgiApp
from ecs_pipelines.local.serving.server_actions import Authorize, action_routes
from ecs_pipelines.local.serving.startup import DEFAULT_PORT, DEFAULT_REGION, Seed
from ecs_pipelines.local.serving.task_credentials import CredentialsRoutes
from ecs_pipelines.local.serving.task_pages import TaskPages

# Room given to the demo cluster's fake EC2 container instance (CPU units, MiB).
_INSTANCE_CPU = 256 * 1024
_INSTANCE_MEMORY = 1024 * 1024


class LocalEcs:
    """An embedded ECS (and CloudWatch Logs) on ``host:port`` whose tasks are host processes.

    ``port=0`` picks a free port. Only one can run per process: moto's state is global.
    ``seed`` creates what the server starts with, through its own API (nothing: an empty
    account, as a new AWS account is).
    ``log_limits`` bounds the task output it holds in memory, per log stream and in total
    (the oldest lines are dropped first).
    ``authenticate=False`` serves every request unsigned (``local serve --insecure-no-auth``,
    a throwaway sandbox only). ``owner_pid``: the process `ecs-pipelines local stop` may
    signal to end this server (``local serve`` gives its own); None for a server in a process
    that does more (a test session).
    ``faults``: the fault plan it starts with (``local/rules/fault_plan``; ``POST
    /_local/faults`` replaces it). ``max_running_tasks``: past this many tasks not yet STOPPED,
    RunTask answers no capacity, as ECS does (default: ``TASKS_PER_CPU`` per host CPU).
    ``assumed_role_max_seconds`` caps the lifetime of the credentials STS AssumeRole issues
    (below STS's 900 s minimum too), so that a test sees them renewed during a short wait;
    None: as long as DurationSeconds asks.
    Accounts: moto's backends are per account; the server's own keys act in the default
    account (123456789012), the credentials of a role assumed through its STS in the role's.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        region: str = DEFAULT_REGION,
        *,
        seed: Seed | None = None,
        log_limits: LogLimits | None = None,
        authenticate: bool = True,
        owner_pid: int | None = None,
        faults: FaultPlan | None = None,
        max_running_tasks: int | None = None,
        dagster_ui: Callable[[], str | None] = lambda: None,
        assumed_role_max_seconds: int | None = None,
    ) -> None:
        self._requested_port = port
        self._host = host
        self._region = region
        self._seed = seed
        self._log_limits = log_limits or LogLimits()
        self._authenticate = authenticate
        self._owner_pid = owner_pid
        self._faults = faults
        self._max_running_tasks = max_running_tasks or default_max_running_tasks()
        # The Dagster UI the task pages link runs to, when known (`local serve --checkout`).
        self._dagster_ui = dagster_ui
        self.access_keys = AccessKeyStore(
            new_server_keys(), assumed_role_max_seconds=assumed_role_max_seconds
        )
        # This user's record of the server (its keys for clients of its endpoint); None until
        # started, or when the state directory is not this user's alone.
        self.state_record: Path | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._runner: TaskRunner | None = None
        self._sessions: ExecSessions | None = None
        self.instance_id = new_instance_id()

    @property
    def port(self) -> int:
        if self._server is None:
            return self._requested_port
        return int(self._server.server_port)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def region(self) -> str:
        return self._region

    @property
    def credentials(self) -> KeyPair:
        """The server's own key pair: what its clients sign with."""
        return self.access_keys.server

    @property
    def authenticates(self) -> bool:
        return self._authenticate

    def _control_authorization(self) -> Authorize | None:
        """What a request to one of the server's controls (reset, fault plan) must show: a
        signature by the server's own keys (none when the server authenticates nobody)."""
        if not self._authenticate:
            return None
        keys = self.access_keys
        return lambda environ, respond: require_server_signature(environ, respond, keys)

    @property
    def running_task_count(self) -> int:
        return self._runner.running_task_count() if self._runner else 0

    def start(self) -> LocalEcs:
        if self._server is not None:
            raise RuntimeError("LocalEcs is already started")
        # Before anything is reset: moto's state is the other server's too.
        if moto_bridge.installed():
            raise RuntimeError("an embedded ECS is already running in this process")
        moto_bridge.reset_backends()
        moto_bridge.limit_log_events(self._log_limits)
        moto_bridge.set_max_running_tasks(self._max_running_tasks)
        if self._faults is not None:
            moto_bridge.set_fault_plan(self._faults)
        sessions = ExecSessions()
        runner = TaskRunner(
            sink=BridgeSink(),
            lock=moto_bridge.BACKEND_LOCK,
            work_dir=Path(tempfile.mkdtemp(prefix="ecs-pipelines-local-")),
            on_task_stopped=sessions.kill_task,
            secrets=resolve_secrets,
        )
        moto_bridge.install(
            EmbeddedController(runner, sessions, lambda: self.endpoint_url), self.access_keys
        )
        service = ServiceRoutes(sessions, self.instance_id)
        try:
            routes = [
                *service.routes(),
                *MetadataRoutes(runner).routes(),
                *CredentialsRoutes(runner, self.access_keys).routes(),
                *TaskPages(self.credentials, self._region, dagster_ui=self._dagster_ui).routes(),
                *action_routes(
                    [
                        reset_action(moto_bridge.reset_backends),
                        fault_action(moto_bridge.set_fault_plan),
                    ],
                    self._control_authorization(),
                ),
            ]
            app: WsgiApp = LocalRoutes(moto_bridge.make_moto_app(), routes)
            if self._authenticate:
                app = RequestAuth(app, self.access_keys)
            self._server = make_server(
                self._host,
                self._requested_port,
                HttpBoundary(app),  # outermost, before any route: the browser boundary
                threaded=True,
                request_handler=moto_bridge.QuietRequestHandler,
            )
        except BaseException:
            moto_bridge.uninstall()
            raise
        self._runner, self._sessions = runner, sessions
        runner.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},  # how soon stop() is noticed
            name="ecs-local-http",
            daemon=True,
        )
        self._thread.start()
        try:
            if self._seed is not None:
                self._seed(self.endpoint_url, self.credentials, self._region)
            moto_bridge.make_container_instances_roomy(
                self._region, cpu=_INSTANCE_CPU, memory=_INSTANCE_MEMORY
            )
            # Before the health route says ready: a client that sees it ready finds the keys.
            self.state_record = record_server(
                self.instance_id, self._owner_pid, self.endpoint_url, self.credentials
            )
        except BaseException:
            self.stop()
            raise
        service.ready.set()
        return self

    def stop(self) -> None:
        """Stop serving and kill every task process still running (SIGTERM, then SIGKILL)."""
        if self._server is None:
            return
        forget_server(self.instance_id)
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._runner is not None:
            self._runner.shutdown()
        if self._sessions is not None:
            self._sessions.close()
        moto_bridge.uninstall()
        # The next server in this process starts with its own plan, not this one's.
        moto_bridge.set_fault_plan(NO_FAULTS)
        self._server = None
        self._thread = None
        self._runner = None
        self._sessions = None

    def __enter__(self) -> LocalEcs:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
