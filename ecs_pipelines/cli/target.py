"""Which ECS the project talks to: the embedded local ECS (default) or AWS, chosen by one variable.

``ECS_PIPELINES_TARGET=local`` (default): the embedded ECS at ``ECS_PIPELINES_ENDPOINT_URL``,
else this checkout's own server (``checkout.py``), with the demo cluster and task definitions
and that server's own key pair (``local_credentials.py``: how it is found; inside a task of
the embedded ECS, the task role's credentials instead).
``ECS_PIPELINES_TARGET=aws``: the AWS account of the usual credential chain; cluster, task
definitions and networking come from the ``ECS_PIPELINES_*`` variables listed in the README.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from ecs_pipelines.cli.checkout import checkout_root, recorded_server, start_server
from ecs_pipelines.cli.local_access import FAULTS_ENV, send_fault_plan
from ecs_pipelines.cli.local_credentials import (
    credentials_not_found,
    credentials_of_endpoint,
    inside_a_task,
)
from ecs_pipelines.cli.local_names import (
    LOCAL_CLUSTER,
    LOCAL_CONTAINER,
    LOCAL_REGION,
    LOCAL_SECURITY_GROUP,
    LOCAL_SUBNET,
    LOCAL_TASK_DEFINITION,
)
from ecs_pipelines.ecs.common import Deadline, Pace, poll_until
from ecs_pipelines.local.auth import KeyPair

if TYPE_CHECKING:
    from ecs_pipelines.integration.resource import EcsResource

TARGET_ENV = "ECS_PIPELINES_TARGET"
ENDPOINT_ENV = "ECS_PIPELINES_ENDPOINT_URL"


@dataclass(frozen=True)
class Target:
    """Where tasks run, resolved from the environment."""

    name: str  # "local" or "aws"
    endpoint_url: str | None
    region: str
    cluster: str
    task_definition: str
    container_name: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool | None
    launch_type: str | None
    # The embedded ECS's key pair (local only); None when none was found, or in a task.
    credentials: KeyPair | None = None
    # Inside a task of the embedded ECS: its task role's credentials, by the default chain.
    task_role: bool = False
    # aws: the role every call is made as (ECS_PIPELINES_ROLE_ARN), in its account.
    role_arn: str | None = None

    @property
    def description(self) -> str:
        if self.name == "local":
            return f"embedded local ECS at {self.endpoint_url} (cluster {self.cluster})"
        return f"AWS ECS in {self.region} (cluster {self.cluster})"


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def target_from_env(env: Mapping[str, str] | None = None) -> Target:
    env = os.environ if env is None else env
    name = env.get(TARGET_ENV, "local").strip().lower() or "local"
    if name not in ("local", "aws"):
        raise ValueError(f"{TARGET_ENV}: must be 'local' or 'aws', got {name!r}")
    if name == "local":
        explicit = env.get(ENDPOINT_ENV) or None
        server = None if explicit else recorded_server(checkout_root())
        in_task = inside_a_task(env)
        credentials = None
        if server is not None and not in_task:
            credentials = server.credentials
        elif explicit is not None and not in_task:
            credentials = credentials_of_endpoint(explicit)
        return Target(
            name="local",
            # None: this checkout has no server running yet (make run and make ui start one).
            endpoint_url=explicit or (server.endpoint_url if server else None),
            region=LOCAL_REGION,
            cluster=LOCAL_CLUSTER,
            task_definition=LOCAL_TASK_DEFINITION,
            container_name=LOCAL_CONTAINER,
            # awsvpc tasks need a network configuration, on the embedded ECS as on AWS.
            subnets=(LOCAL_SUBNET,),
            security_groups=(LOCAL_SECURITY_GROUP,),
            assign_public_ip=None,
            launch_type="FARGATE",
            credentials=credentials,
            task_role=in_task,
        )
    public_ip = env.get("ECS_PIPELINES_ASSIGN_PUBLIC_IP")
    return Target(
        name="aws",
        endpoint_url=env.get(ENDPOINT_ENV) or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        cluster=env.get("ECS_PIPELINES_CLUSTER", "default"),
        task_definition=env.get("ECS_PIPELINES_TASK_DEFINITION", LOCAL_TASK_DEFINITION),
        container_name=env.get("ECS_PIPELINES_CONTAINER", LOCAL_CONTAINER),
        subnets=_split(env.get("ECS_PIPELINES_SUBNETS")),
        security_groups=_split(env.get("ECS_PIPELINES_SECURITY_GROUPS")),
        assign_public_ip=None if public_ip is None else public_ip.lower() in ("1", "true", "yes"),
        launch_type=env.get("ECS_PIPELINES_LAUNCH_TYPE", "FARGATE") or None,
        role_arn=env.get("ECS_PIPELINES_ROLE_ARN") or None,
    )


def at_endpoint(target: Target, endpoint_url: str) -> Target:
    """The local target pointed at ``endpoint_url``, with that server's keys."""
    credentials = None if target.task_role else credentials_of_endpoint(endpoint_url)
    return dataclasses.replace(target, endpoint_url=endpoint_url, credentials=credentials)


def resource_for(target: Target, **fields: object) -> EcsResource:
    """The EcsResource for a target (``resource_config``)."""
    # Imported here: the resource brings Dagster (1.2 s of CPU), which `local serve` and the
    # other commands that make no ECS call do not need.
    from ecs_pipelines.integration.resource import EcsResource

    return EcsResource(**resource_config(target, **fields))  # type: ignore[arg-type]


def resource_config(target: Target, **fields: object) -> dict[str, object]:
    """An EcsResource's fields for a target; ``fields`` override its settings (an
    ``endpoint_url`` of another embedded ECS brings that server's keys, a ``profile_name`` its
    own keys). On the embedded ECS, raises LocalCredentialsNotFound, before any call, when no
    keys are found."""
    endpoint = fields.get("endpoint_url")
    if target.name == "local" and isinstance(endpoint, str) and endpoint != target.endpoint_url:
        target = at_endpoint(target, endpoint)
    config: dict[str, object] = {
        "region_name": target.region,
        "endpoint_url": target.endpoint_url,
        "cluster": target.cluster,
        "task_definition": target.task_definition,
        "container_name": target.container_name,
        "subnets": list(target.subnets),
        "security_groups": list(target.security_groups),
        "assign_public_ip": target.assign_public_ip,
        "launch_type": target.launch_type,
    }
    if target.role_arn is not None:
        config["role_arn"] = target.role_arn
    # A profile named explicitly (the CLI's --profile) brings its own keys.
    local_keys = target.name == "local" and not fields.get("profile_name")
    if local_keys and target.credentials is not None:
        config.update(target.credentials.boto3_kwargs())
    elif local_keys and target.endpoint_url and not target.task_role:
        raise credentials_not_found(target.endpoint_url)
    config.update(fields)
    return config


def local_ecs_reachable(endpoint_url: str, timeout: float = 1.0) -> bool:
    """True when the embedded ECS answers its health route at the endpoint."""
    try:
        with urllib.request.urlopen(endpoint_url.rstrip("/") + "/_local/health", timeout=timeout):
            return True
    except (urllib.error.URLError, OSError):  # HTTPError included: another server is there
        return False


def start_local_ecs(endpoint_url: str, timeout: float = 30.0) -> subprocess.Popen[bytes]:
    """Starts `ecs-pipelines local serve` on ``endpoint_url``'s port in its own session (so it
    can outlive this process) and returns once it answers."""
    port = urlparse(endpoint_url).port or 0
    log_path = Path(tempfile.gettempdir()) / f"ecs-pipelines-local-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ecs_pipelines.cli", "local", "serve", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ready() -> bool | None:
        if local_ecs_reachable(endpoint_url, timeout=0.5):
            return True
        if process.poll() is not None:
            raise RuntimeError(
                f"embedded ECS exited with {process.returncode} before serving {endpoint_url} "
                f"(see {log_path})"
            )
        return None

    def timed_out() -> RuntimeError:
        process.terminate()
        return RuntimeError(f"embedded ECS did not serve {endpoint_url} within {timeout} s")

    poll_until(ready, deadline=Deadline.after(timeout), on_timeout=timed_out, pace=Pace(0.1, 0.5))
    return process


@contextlib.contextmanager
def local_ecs_running(target: Target, *, keep_running: bool = False) -> Iterator[Target]:
    """The target, with an embedded ECS answering at its endpoint: the one named by
    ``ECS_PIPELINES_ENDPOINT_URL`` (started on its port if nothing answers there), else this
    checkout's own (started on a free port if it has none). Says which on stdout.

    A server started here is stopped on exit unless ``keep_running`` (then `ecs-pipelines
    local stop` ends it). Raises LocalCredentialsNotFound when the server's keys cannot be
    found (outside a task). AWS targets pass through untouched.
    """
    if target.name != "local":
        yield target
        return
    pid: int | None = None
    if target.endpoint_url is not None:
        where = target.endpoint_url
        if local_ecs_reachable(where):
            print(f"Embedded ECS: {where} (ECS_PIPELINES_ENDPOINT_URL)")
            known = target.credentials is not None or target.task_role
            running = target if known else at_endpoint(target, where)
            plan = os.environ.get(FAULTS_ENV, "")
            if plan and running.credentials is not None:
                # A server started earlier did not read it: hand it the plan now.
                send_fault_plan(where, running.credentials, plan)
                print(f"Embedded ECS: fault plan of {FAULTS_ENV} set")
        else:
            pid = start_local_ecs(where).pid
            print(f"Embedded ECS: started at {where} (ECS_PIPELINES_ENDPOINT_URL)")
            running = at_endpoint(target, where)
    else:
        root = checkout_root()
        server = start_server(root)
        where, pid = server.endpoint_url, server.pid
        print(f"Embedded ECS of this checkout ({root}): started at {where}")
        running = dataclasses.replace(target, endpoint_url=where, credentials=server.credentials)
    try:
        if running.credentials is None and not running.task_role:
            raise credentials_not_found(where)
        yield running
    finally:
        if pid is not None and not keep_running:
            stop_process(pid)


def stop_process(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM a server this process started; SIGKILL if it has not ended by ``timeout``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(TimeoutError):
        poll_until(
            lambda: True if _ended(pid) else None,
            deadline=Deadline.after(timeout),
            on_timeout=lambda: TimeoutError(pid),
            pace=Pace(0.1, 0.5),
        )
    if not _ended(pid):
        os.kill(pid, signal.SIGKILL)


def _ended(pid: int) -> bool:
    """True once ``pid`` is gone (a child of ours is reaped here, not left a zombie)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:  # not our child: ask whether it still exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
