"""The boto3 clients of an EcsResource: one session, the project's retry and timeout settings.

botocore's own retries are off in these clients (``ecs.retry.client_config``): the project's
retry layer is the only one, so a call is attempted ``max_attempts`` times in all and a
caller's deadline bounds it, connect and read timeouts included.

botocore reads a service's JSON model anew for each session (about 20 ms a client), and a
sensor tick or a step makes new clients each time: the sessions made here share one data
loader, whose caches keep the models for the life of the process.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.session
from botocore.loaders import Loader
from dagster_aws.utils import ResourceWithBoto3Configuration

from ecs_pipelines.ecs.common import client_config, install_deadline_timeouts

_shared_loader: Loader | None = None
_loader_lock = threading.Lock()


def _session(settings: ResourceWithBoto3Configuration) -> boto3.session.Session:
    """A boto3 session of these settings on the shared data loader."""
    global _shared_loader
    core = botocore.session.get_session()
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _shared_loader)
        session = boto3.session.Session(
            botocore_session=core,
            profile_name=settings.profile_name,
            aws_access_key_id=settings.aws_access_key_id,
            aws_secret_access_key=settings.aws_secret_access_key,
            aws_session_token=settings.aws_session_token,
            region_name=settings.region_name,
        )
        # Each boto3 session adds its resource models' folder to the loader's search path.
        paths = _shared_loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session


def boto3_client(service: str, settings: ResourceWithBoto3Configuration) -> Any:
    """A boto3 client for ``service`` from a resource's boto3 settings (region, endpoint,
    profile, credentials, SSL), with the project's retry and timeout settings."""
    session = _session(settings)
    client = session.client(
        service,  # type: ignore[call-overload]
        endpoint_url=settings.endpoint_url,
        use_ssl=settings.use_ssl,
        verify=settings.verify,
        config=client_config(),
    )
    return install_deadline_timeouts(client)
