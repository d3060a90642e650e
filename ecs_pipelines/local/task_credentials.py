"""Task role credentials, served to each container as ECS serves them.

On ECS a task with a task role gets ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` in every
container, and the SDKs fetch the role's temporary credentials from
``http://169.254.170.2${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`` (ECS developer guide, "Amazon
ECS task IAM role": the answer holds AccessKeyId, Expiration, RoleArn, SecretAccessKey and
Token). A host process cannot be reached at 169.254.170.2, so the embedded ECS sets the SDKs'
other variable, ``AWS_CONTAINER_CREDENTIALS_FULL_URI``, to ``<endpoint>/_local/credentials/<runtime
id>`` (botocore accepts a full URI on a loopback address); a task without a task role gets
neither, as on ECS. The credentials are made up: the embedded server does not check them.

Every container also gets ``AWS_ENDPOINT_URL`` (unless its definition or overrides set one),
so that the SDK calls a task makes reach the embedded server's services (S3, SQS, Secrets
Manager, ECS...) instead of AWS.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_pipelines.local.routes import Route, StartResponse, json_response
from ecs_pipelines.local.runner import TaskRunner

PREFIX = "/_local/credentials/"
# ECS hands out credentials valid for hours and renews them before they expire; the SDKs fetch
# again when the expiration is near.
VALIDITY = timedelta(hours=6)


def role_credentials(task_role_arn: str, task_id: str, now: datetime) -> dict[str, Any]:
    """The credentials document of a task's role, as ECS's endpoint answers it."""
    seed = hashlib.sha256(f"{task_role_arn}:{task_id}".encode()).hexdigest()
    return {
        "AccessKeyId": "ASIA" + seed[:16].upper(),
        "SecretAccessKey": seed[16:56],
        "Token": seed,
        "Expiration": (now + VALIDITY).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RoleArn": task_role_arn,
    }


class CredentialsRoutes:
    """``GET /_local/credentials/<runtime id>``: the task role's credentials."""

    def __init__(self, runner: TaskRunner) -> None:
        self._runner = runner

    def routes(self) -> list[Route]:
        return [Route(PREFIX, self.credentials)]

    def credentials(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        runtime_id = str(environ.get("PATH_INFO", ""))[len(PREFIX) :]
        found = self._runner.find_container(runtime_id)
        role = found[0].launch.task_role_arn if found is not None else None
        if found is None or not role:
            return json_response(
                start_response, "404 Not Found", {"message": "No task role for this container."}
            )
        body = role_credentials(role, found[0].launch.task_id, datetime.now(UTC))
        return json_response(start_response, "200 OK", body)
