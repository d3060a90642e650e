"""The boto3 clients of an EcsResource: one session, the project's retry and timeout settings.

botocore's own retries are off in these clients (``ecs.retry.client_config``): the project's
retry layer is the only one, so a call is attempted ``max_attempts`` times in all and a
caller's deadline bounds it, connect and read timeouts included.
"""

from __future__ import annotations

from typing import Any

import boto3
from dagster_aws.utils import ResourceWithBoto3Configuration

from ecs_pipelines.ecs.deadline import install_deadline_timeouts
from ecs_pipelines.ecs.retry import client_config


def boto3_client(service: str, settings: ResourceWithBoto3Configuration) -> Any:
    """A boto3 client for ``service`` from a resource's boto3 settings (region, endpoint,
    profile, credentials, SSL), with the project's retry and timeout settings."""
    session = boto3.session.Session(
        profile_name=settings.profile_name,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        aws_session_token=settings.aws_session_token,
        region_name=settings.region_name,
    )
    client = session.client(
        service,  # type: ignore[call-overload]
        endpoint_url=settings.endpoint_url,
        use_ssl=settings.use_ssl,
        verify=settings.verify,
        config=client_config(),
    )
    return install_deadline_timeouts(client)
