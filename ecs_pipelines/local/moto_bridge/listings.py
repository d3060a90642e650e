"""ListTaskDefinitions and ListTaskDefinitionFamilies as ECS answers them: sorted, filtered by
status, and paged (``listing_pages``, the paging of every listing the bridge answers).

moto answers every matching revision on one page, in the order families were first registered,
whatever ``sort``, ``maxResults`` and ``nextToken`` say; and every family whatever ``status``
says. ECS's, from botocore's model and the API reference:

- ListTaskDefinitions: ``familyPrefix`` is "the full family name" (one family, not a prefix);
  ``status`` ACTIVE (the default), INACTIVE or DELETE_IN_PROGRESS; ``sort`` ASC (the default)
  lists "lexicographically by family name and in ascending numerical order by revision", DESC
  "reverses the sort order on family name and revision".
- ListTaskDefinitionFamilies: ``familyPrefix`` is a prefix of family names; ``status``
  ACTIVE keeps "families that have an ACTIVE task definition revision", INACTIVE those "that
  do not have any", and by default (or ALL) "both ACTIVE and INACTIVE task definition families
  are listed".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.models import TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

from ecs_pipelines.local.contract import RequestRejected
from ecs_pipelines.local.moto_bridge.state import rejections_as_ecs_errors
from ecs_pipelines.local.rules import INVALID_PARAMETER, descending, page_of

ACTIVE = "ACTIVE"
REVISION_STATUSES = (ACTIVE, "INACTIVE", "DELETE_IN_PROGRESS")
FAMILY_STATUSES = (ACTIVE, "INACTIVE", "ALL")


def list_task_definitions(self: EC2ContainerServiceResponse) -> ActionResult:
    family = self._get_param("familyPrefix")
    with rejections_as_ecs_errors():
        status = _one_of("status", self._get_param("status"), REVISION_STATUSES, ACTIVE)
        newest_first = descending(self._get_param("sort"))
        revisions = [
            definition
            for name, numbered in _families(self).items()
            if family is None or name == family
            for definition in numbered.values()
            if definition.status == status
        ]
        page = page_of(
            revisions,
            listing="ListTaskDefinitions",
            key=lambda definition: (str(definition.family), int(definition.revision)),
            max_results=self._get_param("maxResults"),
            next_token=self._get_param("nextToken"),
            newest_first=newest_first,
        )
    result: dict[str, Any] = {"taskDefinitionArns": [d.arn for d in page.items]}
    if page.next_token:
        result["nextToken"] = page.next_token
    return ActionResult(result)


def list_task_definition_families(self: EC2ContainerServiceResponse) -> ActionResult:
    prefix = self._get_param("familyPrefix") or ""
    with rejections_as_ecs_errors():
        status = _one_of("status", self._get_param("status"), FAMILY_STATUSES, "ALL")
        families = [
            name
            for name, numbered in _families(self).items()
            if name.startswith(prefix) and _family_listed(numbered.values(), status)
        ]
        page = page_of(
            families,
            listing="ListTaskDefinitionFamilies",
            key=str,
            max_results=self._get_param("maxResults"),
            next_token=self._get_param("nextToken"),
        )
    result: dict[str, Any] = {"families": page.items}
    if page.next_token:
        result["nextToken"] = page.next_token
    return ActionResult(result)


def _families(
    response: EC2ContainerServiceResponse,
) -> Mapping[str, Mapping[int, TaskDefinition]]:
    """The request's account and region's revisions: family -> revision number -> revision."""
    families: Mapping[str, Mapping[int, TaskDefinition]] = response.ecs_backend.task_definitions
    return families


def _family_listed(revisions: Collection[TaskDefinition], status: str) -> bool:
    active = any(revision.status == ACTIVE for revision in revisions)
    return status == "ALL" or active == (status == ACTIVE)


def _one_of(field: str, value: Any, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise RequestRejected(
            INVALID_PARAMETER,
            f"{field} must be one of {', '.join(allowed)}, got {value!r}.",
        )
    return str(value)
