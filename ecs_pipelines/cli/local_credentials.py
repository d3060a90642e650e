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
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving import recorded_credentials, state_dir

# What ECS (and the embedded ECS) sets in a container with a task role.
TASK_CREDENTIALS_VARIABLES = (
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


class LocalCredentialsNotFound(ValueError):
    """No key pair of the embedded ECS at an endpoint can be found for this user."""

    def __init__(self, endpoint_url: str) -> None:
        super().__init__(
            f"no credentials for the embedded ECS at {endpoint_url}: nothing ready answers "
            f"there, or no record of this user in {state_dir()} says it serves that endpoint "
            "(it runs on another host, as another user, or answers on another address). A "
            "server this user starts on this host records its keys: `make run` or "
            "`ecs-pipelines local serve`; `ecs-pipelines local env` prints them for other "
            "tools (the CLI's --profile names a profile that holds them)."
        )
        self.endpoint_url = endpoint_url


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
        raise LocalCredentialsNotFound(endpoint_url)
    return found
