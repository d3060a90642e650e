"""The demo's resource on the embedded ECS when no endpoint was known as the code location loaded.

`dagster dev` run directly in a checkout loads the code location with no endpoint variable
set: `make ui` and `make run` set one after starting the checkout's embedded ECS, but then
none may run yet. Such a resource finds the checkout's server (``cli/checkout.py``) when a
client is first needed, so a server started later serves the next run and sensor tick with
no reload; with none running it refuses before any call, saying what to run. It never falls
back to AWS's endpoints or to the default credential chain (``ECS_PIPELINES_TARGET=aws``
chooses AWS).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import PrivateAttr

from ecs_pipelines.cli.checkout import checkout_root, is_source_checkout, recorded_server
from ecs_pipelines.ecs.common import EmbeddedEcsNotRunning
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.resource_settings import EcsSettings


def not_running(root: Path) -> EmbeddedEcsNotRunning:
    """The refusal for ``root``: what starts its embedded ECS beside a `dagster dev`."""
    serve = f"`ecs-pipelines local serve --port 0 --checkout {root}`"
    if is_source_checkout(root):
        return EmbeddedEcsNotRunning(
            root,
            f"start this checkout's with `make ui` (dagster dev with it) or `make run`, or "
            f"beside this dagster dev with {serve}",
        )
    return EmbeddedEcsNotRunning(root, f"start one beside this dagster dev with {serve}")


class CheckoutEcsResource(EcsResource):
    """EcsResource on the embedded ECS of the checkout in use, found when first needed."""

    _found: EcsSettings | None = PrivateAttr(default=None)

    def connection(self) -> EcsSettings:
        if self.endpoint_url:
            return self
        if self._found is None:
            root = checkout_root()
            server = recorded_server(root)
            if server is None:
                raise not_running(root)
            found = {"endpoint_url": server.endpoint_url, **server.credentials.boto3_kwargs()}
            self._found = self.model_copy(update=found)
        return self._found
