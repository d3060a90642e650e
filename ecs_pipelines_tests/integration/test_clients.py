"""The resource's boto3 clients: each keeps its own settings while sharing loaded models."""

from __future__ import annotations

from ecs_pipelines.integration import clients
from ecs_pipelines.integration.resource import EcsResource


def _resource(region: str, key: str) -> EcsResource:
    return EcsResource(
        region_name=region,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        cluster="c",
        task_definition="td",
    )


def test_clients_of_many_resources_keep_their_settings_and_share_one_model_loader() -> None:
    """Region and credentials stay per resource; the models are loaded once per process and
    the shared loader's search path does not grow with the clients made."""
    first = _resource("eu-west-1", "AKIAFIRST").ecs_client()
    paths = len(clients._shared_loader.search_paths) if clients._shared_loader else 0
    made = [_resource("us-east-2", f"AKIA{i}").sqs_client() for i in range(50)]
    second = _resource("us-east-2", "AKIASECOND").ecs_client()
    assert first.meta.region_name == "eu-west-1"
    assert second.meta.region_name == "us-east-2"
    assert first._request_signer._credentials.access_key == "AKIAFIRST"
    assert second._request_signer._credentials.access_key == "AKIASECOND"
    assert made[-1].meta.service_model.service_name == "sqs"
    assert clients._shared_loader is not None
    assert len(clients._shared_loader.search_paths) == paths
    assert first.meta.service_model.operation_model("RunTask") is not None
