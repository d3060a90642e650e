"""What every task command shares: the target, the resource and client, errors as messages,
finding a task by id, ARN or unique id prefix, and printing.

Each command resolves the same target as the resource (``ECS_PIPELINES_TARGET`` and friends),
lets ``--cluster/--endpoint-url/--region/--profile`` override it, and fetches through the ECS
core. Known failures become one ``Error: ...`` line and exit status 1; bad usage exits 2
(click's convention).

What a command prints is masked as data first (``Env.shown_task``, ``Env.redactor``: the
resource's secret values and the task's own secret variables), then rendered, then printed
through ``echo``, which shows control characters escaped (``cli.terminal``) unless raw.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click
from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.cli.checkout import checkout_root, no_server_message
from ecs_pipelines.cli.target import Target, local_ecs_reachable, resource_for, target_from_env
from ecs_pipelines.cli.terminal import terminal_text
from ecs_pipelines.ecs.common import (
    MISSING,
    EcsError,
    LocalCredentialsNotFound,
    Redactor,
    Retrier,
    TaskStatus,
    mask_task,
    task_id,
    task_secret_values,
)
from ecs_pipelines.ecs.tasks import EcsTaskClient

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskTypeDef

    from ecs_pipelines.integration.resource import EcsResource

F = TypeVar("F", bound=Callable[..., Any])

# A person is waiting at the terminal: give up on an unreachable or throttled API sooner
# than the resource's default, which is tuned for unattended bulk launches.
CLI_ATTEMPTS = 4
RAW_OPTION = click.option(
    "--raw",
    is_flag=True,
    help="Print control characters (escape sequences, carriage returns) as they are, instead "
    "of escaped as \\x1b and \\r. Secrets stay masked.",
)


@dataclass(frozen=True)
class Env:
    """What every command works with: the resolved target, its resource and a task client."""

    target: Target
    resource: EcsResource
    client: EcsTaskClient

    @property
    def cluster(self) -> str:
        return self.resource.cluster

    def redactor(self, task: Mapping[str, Any] | None = None) -> Redactor:
        """Masks the resource's secret values and, given a task, its own secret variables."""
        values = list(self.resource.secret_environment.values())
        if task is not None:
            values += task_secret_values(task)
        return Redactor(values)

    def shown_task(self, task: Mapping[str, Any], *, reveal: bool = False) -> TaskTypeDef:
        """The task to render: every known secret value masked wherever it carries it, and
        variable values masked too unless ``reveal`` (then only the secret ones)."""
        secret_names = list(self.resource.secret_environment)
        return mask_task(task, self.redactor(), reveal=reveal, also_secret=secret_names)


def echo(text: str, *, err: bool = False, raw: bool = False) -> None:
    """Prints a line of text already masked: control characters shown escaped, or as they are
    when ``raw`` (click then keeps ANSI sequences even when the output is not a terminal)."""
    if raw:
        click.echo(text, err=err, color=True)
    else:
        click.echo(terminal_text(text), err=err)


@contextlib.contextmanager
def errors_as_messages() -> Iterator[None]:
    """Known failures become one `Error: ...` line with exit 1 instead of a traceback."""
    try:
        yield
    # Messages quote tasks and API fields (a stop reason, a container name) too: shown
    # escaped like any output, the usage errors still as usage errors (exit 2).
    except click.UsageError as error:
        raise click.UsageError(terminal_text(error.format_message()), error.ctx) from None
    except click.ClickException as error:
        raise click.ClickException(terminal_text(error.format_message())) from None
    except ClientError as error:
        raise click.ClickException(terminal_text(client_error_message(error))) from None
    except (EcsError, BotoCoreError, TimeoutError) as error:
        raise click.ClickException(terminal_text(str(error) or type(error).__name__)) from None


def client_error_message(error: ClientError) -> str:
    """``ListTasks: ClusterNotFoundException: Cluster not found.`` rather than botocore's prose."""
    details = error.response.get("Error", {})
    code = details.get("Code", "Error")
    return f"{error.operation_name}: {code}: {details.get('Message', '')}".rstrip(": ")


def build_env(
    cluster: str | None, endpoint_url: str | None, region: str | None, profile: str | None
) -> Env:
    try:
        target = target_from_env()
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    given = {
        "cluster": cluster,
        "endpoint_url": endpoint_url,
        "region_name": region,
        "profile_name": profile,
    }
    endpoint = endpoint_url or target.endpoint_url
    # Fail fast when the embedded ECS is down, rather than after retrying connections.
    if target.name == "local" and not endpoint:
        raise click.ClickException(
            f"{no_server_message(checkout_root())} (or name one with --endpoint-url / "
            "ECS_PIPELINES_ENDPOINT_URL)"
        )
    if target.name == "local" and endpoint and not local_ecs_reachable(endpoint):
        raise click.ClickException(
            f"nothing answers at {endpoint}; start the embedded ECS with "
            "`ecs-pipelines local serve`, or point ECS_PIPELINES_ENDPOINT_URL at it"
        )
    try:
        resource = resource_for(target, **{k: v for k, v in given.items() if v})
    except LocalCredentialsNotFound as error:
        raise click.ClickException(str(error)) from None
    client = EcsTaskClient(resource.ecs_client(), retrier=Retrier(max_attempts=CLI_ATTEMPTS))
    return Env(target=target, resource=resource, client=client)


def ecs_command(func: F) -> F:
    """Adds the target options; the command receives an ``Env`` as its first argument."""

    @click.option("--profile", help="AWS profile to use (default: the usual credential chain).")
    @click.option("--region", help="AWS region (default: the target's).")
    @click.option(
        "--endpoint-url",
        help="ECS/CloudWatch Logs endpoint (default: ECS_PIPELINES_ENDPOINT_URL or the target's).",
    )
    @click.option("--cluster", help="Cluster name or ARN (default: the target's cluster).")
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        cluster: str | None,
        endpoint_url: str | None,
        region: str | None,
        profile: str | None,
        **kwargs: Any,
    ) -> Any:
        with errors_as_messages():
            env = build_env(cluster, endpoint_url, region, profile)
            return func(env, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _is_full_reference(task: str) -> bool:
    """An ARN, a 32-hex task id, or an older UUID-form id: DescribeTasks takes it as it is."""
    ident = task_id(task)
    return task.startswith("arn:") or len(ident) in (32, 36)


def resolve_task(env: Env, task: str) -> str:
    """The task a reference names: an id, an ARN, or any unique prefix of a task id (as the run
    log shows them, 8 characters). An ambiguous or unknown prefix exits 1 saying so."""
    if _is_full_reference(task):
        return task
    wanted = task.lower()
    matches = sorted(
        {
            arn
            for status in (TaskStatus.RUNNING, TaskStatus.STOPPED)
            for arn in env.client.list_task_arns(env.cluster, desired_status=status)
            if task_id(arn).startswith(wanted)
        }
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise click.ClickException(f"no task in cluster {env.cluster} has an id starting {task}")
    shown = ", ".join(task_id(arn) for arn in matches[:5])
    more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
    raise click.ClickException(
        f"task id prefix {task} is ambiguous in cluster {env.cluster}: {shown}{more}; "
        "give more characters"
    )


def find_task(env: Env, task: str) -> TaskTypeDef:
    """The described task for an id, ARN or unique id prefix; exit 1 when unknown."""
    reference = resolve_task(env, task)
    described = env.client.describe(env.cluster, [reference])
    found = described.tasks.get(reference)
    if found is not None:
        return found
    reason = described.missing.get(reference, MISSING)
    raise click.ClickException(f"task {task} not found in cluster {env.cluster} ({reason})")
