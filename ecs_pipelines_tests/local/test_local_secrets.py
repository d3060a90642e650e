"""Task-definition ``secrets``: values from the embedded Secrets Manager and Parameter Store
reach the container's environment; one that cannot be read fails the task to start."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import local_client
from ecs_pipelines_tests.local.local_ecs_tools import (
    log_messages,
    register,
    run_task,
    unique,
    wait_for_status,
)

PRINT_ENV = "import json, os; print(json.dumps({k: os.environ.get(k) for k in %r}))"


def _run_with_secrets(
    ecs_client: Any, logs_client: Any, secrets: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a container printing the variables ``secrets`` sets; the stopped task and them."""
    command = ["python", "-c", PRINT_ENV % sorted(secrets)]
    entries = [{"name": k, "valueFrom": v} for k, v in secrets.items()]
    family = register(ecs_client, [{"name": "main", "command": command, "secrets": entries}])
    task = run_task(ecs_client, family=family)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    lines = log_messages(logs_client, task["taskArn"])
    return stopped, (json.loads(lines[-1]) if lines else {})


def test_secrets_manager_values_by_arn_json_key_stage_and_version(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any
) -> None:
    """A secret by ARN gives its string; ``:key::`` one JSON key; a stage or id that version."""
    secrets = local_client(local_ecs, "secretsmanager")
    name = unique("db")
    first = secrets.create_secret(Name=name, SecretString=json.dumps({"user": "u1", "pw": "old"}))
    arn = first["ARN"]
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"user": "u1", "pw": "new"}))

    stopped, env = _run_with_secrets(
        ecs_client,
        logs_client,
        {
            "WHOLE": arn,
            "PASSWORD": f"{arn}:pw::",
            "PREVIOUS": f"{arn}:pw:AWSPREVIOUS:",
            "FIRST": f"{arn}:pw::{first['VersionId']}",
        },
    )

    assert stopped["containers"][0]["exitCode"] == 0
    assert json.loads(env["WHOLE"]) == {"user": "u1", "pw": "new"}
    assert (env["PASSWORD"], env["PREVIOUS"], env["FIRST"]) == ("new", "old", "old")


def test_parameters_by_name_and_arn_secure_strings_decrypted(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any
) -> None:
    """A parameter by name or ARN gives its value; a SecureString's is decrypted."""
    ssm = local_client(local_ecs, "ssm")
    plain, hidden = f"/{unique('app')}/region", unique("token")
    ssm.put_parameter(Name=plain, Value="eu", Type="String")
    ssm.put_parameter(Name=hidden, Value="s3cr3t", Type="SecureString")
    hidden_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter/{hidden}"

    stopped, env = _run_with_secrets(
        ecs_client, logs_client, {"PLAIN": plain, "TOKEN": hidden_arn, "BY_NAME": hidden}
    )

    assert stopped["containers"][0]["exitCode"] == 0
    assert env == {"PLAIN": "eu", "TOKEN": "s3cr3t", "BY_NAME": "s3cr3t"}


@pytest.mark.parametrize(
    "value_from",
    [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf",
        "/no/such/parameter",
        "arn:aws:ssm:us-east-1:123456789012:parameter/no-such-parameter",
    ],
    ids=["secret", "parameter-name", "parameter-arn"],
)
def test_a_missing_secret_fails_the_task_to_start(
    ecs_client: Any, logs_client: Any, value_from: str
) -> None:
    """A secret or parameter that does not exist stops the task before any container runs."""
    stopped, env = _run_with_secrets(ecs_client, logs_client, {"VALUE": value_from})

    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"].startswith(
        "ResourceInitializationError: unable to pull secrets or registry auth: "
    )
    assert value_from in stopped["stoppedReason"]
    container = stopped["containers"][0]
    assert "exitCode" not in container
    assert container["reason"] == stopped["stoppedReason"]
    assert env == {}


def test_secret_values_stay_out_of_reasons_and_server_logs(
    local_ecs: LocalEcs, ecs_client: Any, logs_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A secret that is not the JSON its key needs fails the task without showing its value."""
    value = f"not-json-{unique('value')}"
    arn = local_client(local_ecs, "secretsmanager").create_secret(
        Name=unique("plain"), SecretString=value
    )["ARN"]
    caplog.set_level(logging.DEBUG)

    stopped, _ = _run_with_secrets(ecs_client, logs_client, {"KEYED": f"{arn}:key::"})

    assert stopped["stopCode"] == "TaskFailedToStart"
    assert "did not contain json key key" in stopped["stoppedReason"]
    assert value not in stopped["stoppedReason"]
    assert value not in caplog.text
