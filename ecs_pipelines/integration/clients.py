"""The boto3 clients of an EcsResource: one session, the project's retry and timeout settings.

botocore's own retries are off in these clients (``ecs.retry.client_config``): the project's
retry layer is the only one, so a call is attempted ``max_attempts`` times in all and a
caller's deadline bounds it, connect and read timeouts included.
"""

from __future__ import annotations

from typing import Any

import boto3

from ecs_pipelines.ecs.deadline import install_deadline_timeouts
from ecs_pipelines.ecs.retry import client_config


def boto3_client(
    service: str,
    *,
    region_name: str | None,
    endpoint_url: str | None,
    profile_name: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    use_ssl: bool = True,
    verify: bool | None = True,
) -> Any:
    """A boto3 client for ``service`` with the project's settings; deadlines apply to it."""
    session = boto3.session.Session(
        profile_name=profile_name,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        region_name=region_name,
    )
    client = session.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        use_ssl=use_ssl,
        verify=verify,
        config=client_config(),
    )
    return install_deadline_timeouts(client)
