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
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.resource_settings import EcsSettings


class EmbeddedEcsNotRunning(RuntimeError):
    """The checkout has no embedded ECS running, and nothing else names one."""

    def __init__(self, root: Path) -> None:
        serve = f"`ecs-pipelines local serve --port 0 --checkout {root}`"
        start = (
            f"start this checkout's with `make ui` (dagster dev with it) or `make run`, or "
            f"beside this dagster dev with {serve}"
            if is_source_checkout(root)
            else f"start one beside this dagster dev with {serve}"
        )
        super().__init__(
            f"no embedded ECS runs for {root}, and the demo never falls back to AWS: {start}, "
            "then launch again; or name a server with ECS_PIPELINES_ENDPOINT_URL "
            "(ECS_PIPELINES_TARGET=aws runs on AWS)"
        )
        self.root = root


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
                raise EmbeddedEcsNotRunning(root)
            found = {"endpoint_url": server.endpoint_url, **server.credentials.boto3_kwargs()}
            self._found = self.model_copy(update=found)
        return self._found
