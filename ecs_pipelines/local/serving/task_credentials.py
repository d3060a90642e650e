"""Task role credentials, served to each container as ECS serves them.

On ECS a task with a task role gets ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` in every
container, and the SDKs fetch the role's temporary credentials from
``http://169.254.170.2${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`` (ECS developer guide, "Amazon
ECS task IAM role": the answer holds AccessKeyId, Expiration, RoleArn, SecretAccessKey and
Token). A host process cannot be reached at 169.254.170.2, so the embedded ECS sets the SDKs'
other variables: ``AWS_CONTAINER_CREDENTIALS_FULL_URI``, ``<endpoint>/_local/credentials/<runtime
id>`` (botocore accepts a full URI on a loopback address), and
``AWS_CONTAINER_AUTHORIZATION_TOKEN``, a secret of that container that the SDKs send as the
request's ``Authorization`` header (AWS SDKs and Tools reference guide, "Container credential
provider"; botocore ``ContainerProvider._build_headers``). Without it the endpoint answers 401:
another local user, or a web page, that learns the URI gets nothing. A task without a task
role gets neither variable, as on ECS.

The credentials are random, issued per task by the server's key store (``access_keys.py``)
with their expiration and session token: the server accepts requests signed with them, and
only with that token.

Every container also gets ``AWS_ENDPOINT_URL`` (unless its definition or overrides set one),
so that the SDK calls a task makes reach the embedded server's services (S3, SQS, Secrets
Manager, ECS...) instead of AWS.
"""

from __future__ import annotations

import hmac
from typing import Any

from ecs_pipelines.local.auth import AccessKeyStore, IssuedKey
from ecs_pipelines.local.runtime import AUTHORIZATION_TOKEN_VARIABLE, CREDENTIALS_PATH, TaskRunner
from ecs_pipelines.local.serving.routes import Route, StartResponse, json_response

PREFIX = CREDENTIALS_PATH


def role_credentials(key: IssuedKey) -> dict[str, Any]:
    """The credentials document of a task's role, as ECS's endpoint answers it."""
    assert key.expires_at is not None and key.session_token is not None
    return {
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
        "Token": key.session_token,
        "Expiration": key.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RoleArn": key.role_arn,
    }


class CredentialsRoutes:
    """``GET /_local/credentials/<runtime id>``: the task role's credentials, for the holder of
    the container's authorization token."""

    def __init__(self, runner: TaskRunner, keys: AccessKeyStore) -> None:
        self._runner = runner
        self._keys = keys

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
        expected = found[1].spec.environment.get(AUTHORIZATION_TOKEN_VARIABLE, "")
        given = str(environ.get("HTTP_AUTHORIZATION", ""))
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return json_response(
                start_response,
                "401 Unauthorized",
                {
                    "code": "AccessDeniedException",
                    "message": "The Authorization header must hold the container's "
                    f"{AUTHORIZATION_TOKEN_VARIABLE}.",
                },
            )
        key = self._keys.credentials_for_task(found[0].launch.task_arn, role)
        return json_response(start_response, "200 OK", role_credentials(key))
