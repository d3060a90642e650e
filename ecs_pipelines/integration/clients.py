"""The boto3 clients of an EcsResource: one session, the project's retry and timeout settings.

botocore's own retries are off in these clients (``ecs.retry.client_config``): the project's
retry layer is the only one, so a call is attempted ``max_attempts`` times in all and a
caller's deadline bounds it, connect and read timeouts included.

botocore reads a service's JSON model anew for each session (about 20 ms a client), and a
sensor tick or a step makes new clients each time: the sessions made here share one data
loader, whose caches keep the models for the life of the process.

With a role to assume (``role_credentials.py``), the clients sign with its renewed temporary
credentials instead of the resource's own, which only AssumeRole uses.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, Credentials
from botocore.loaders import Loader
from dagster_aws.utils import ResourceWithBoto3Configuration

from ecs_pipelines.ecs.common import client_config, install_deadline_timeouts

_shared_loader: Loader | None = None
_loader_lock = threading.Lock()


class _GivenCredentials(CredentialProvider):
    """First in a session's chain of credential providers: credentials made elsewhere."""

    METHOD = "assume-role"
    CANONICAL_NAME = "ecs-pipelines-assume-role"

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


def _session(
    settings: ResourceWithBoto3Configuration, credentials: Credentials | None = None
) -> boto3.session.Session:
    """A boto3 session of these settings on the shared data loader; signing with
    ``credentials`` when given (the settings' own credentials are then left out)."""
    global _shared_loader
    core = botocore.session.get_session()
    if credentials is not None:
        core.get_component("credential_provider").insert_before(
            "env", _GivenCredentials(credentials)
        )
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _shared_loader)
        own = credentials is None
        session = boto3.session.Session(
            botocore_session=core,
            profile_name=settings.profile_name if own else None,
            aws_access_key_id=settings.aws_access_key_id if own else None,
            aws_secret_access_key=settings.aws_secret_access_key if own else None,
            aws_session_token=settings.aws_session_token if own else None,
            region_name=settings.region_name,
        )
        # Each boto3 session adds its resource models' folder to the loader's search path.
        paths = _shared_loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session


def boto3_client(
    service: str,
    settings: ResourceWithBoto3Configuration,
    credentials: Credentials | None = None,
) -> Any:
    """A boto3 client for ``service`` from a resource's boto3 settings (region, endpoint,
    profile, credentials, SSL), with the project's retry and timeout settings; signing with
    ``credentials`` instead of the settings' own when given (an assumed role's)."""
    session = _session(settings, credentials)
    client = session.client(
        service,  # type: ignore[call-overload]
        endpoint_url=settings.endpoint_url,
        use_ssl=settings.use_ssl,
        verify=settings.verify,
        config=client_config(),
    )
    return install_deadline_timeouts(client)
