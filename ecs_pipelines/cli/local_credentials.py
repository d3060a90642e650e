"""Which key pair a client signs its requests to an embedded ECS with, found the normal way.

An embedded ECS accepts only requests signed with the keys it made at start (or a task's role
credentials). A client finds them without anything configured by hand:

- this checkout's own server: its record (``checkout.py``) holds them;
- an endpoint named explicitly (``ECS_PIPELINES_ENDPOINT_URL``, ``--endpoint-url``): the state
  record of the instance its health route names, only when that record (0600, this user's)
  says the instance serves that very endpoint (``local/instance.py``);
- inside a task of the embedded ECS (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` set): none here;
  the SDK's default chain fetches the task role's credentials, as on ECS.

When none can be found, ``LocalCredentialsNotFound`` says so, and what to run, before any call.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecs_pipelines.cli.checkout import health
from ecs_pipelines.ecs.common import LocalCredentialsNotFound
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving import recorded_credentials, state_dir

# What ECS (and the embedded ECS) sets in a container with a task role.
TASK_CREDENTIALS_VARIABLES = (
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


def credentials_not_found(endpoint_url: str) -> LocalCredentialsNotFound:
    """The error for an endpoint whose embedded ECS keys cannot be found, naming where they
    would be recorded."""
    return LocalCredentialsNotFound(endpoint_url, state_dir())


def inside_a_task(env: Mapping[str, str]) -> bool:
    """True in a container given a task role: its role's credentials are its own."""
    return any(env.get(name) for name in TASK_CREDENTIALS_VARIABLES)


def credentials_of_endpoint(endpoint_url: str) -> KeyPair | None:
    """The keys of the embedded ECS answering at ``endpoint_url``, from this user's record of
    the instance its health route names; None when there is none."""
    answer = health(endpoint_url)
    if answer is None:
        return None
    return recorded_credentials(answer.get("instance"), endpoint_url)


def require_credentials_of(endpoint_url: str) -> KeyPair:
    """``credentials_of_endpoint``, or the error that says what to run."""
    found = credentials_of_endpoint(endpoint_url)
    if found is None:
        raise credentials_not_found(endpoint_url)
    return found
