"""ListTaskDefinitions, ListTaskDefinitionFamilies and ListTasks sort and page as ECS does.

ListTaskDefinitions lists "lexicographically by family name and in ascending numerical order by
revision" by default (ASC); DESC "reverses the sort order on family name and revision". Each of
the three takes maxResults "between 1 and 100. If this parameter isn't used, then
ListTaskDefinitions returns up to 100 results and a nextToken value if applicable" (ECS API
reference and botocore's ECS model, each action's ``sort`` and ``maxResults``).
ListTaskDefinitionFamilies lists ACTIVE and INACTIVE families by default, only those with an
ACTIVE revision for ``status`` ACTIVE, only those without for INACTIVE.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines_tests.local.local_ecs_tools import register, unique

QUICK = ["python", "-c", "print('listed')"]
CONTAINERS = [{"name": "main", "command": QUICK, "memory": 128}]
DEEP = 150  # revisions of the deep family: more than one default page of 100
MOST_PAGES = 1000  # a listing that pages on past this never ends


def _register(ecs_client: Any, count: int, family: str | None = None) -> str:
    """``count`` new ACTIVE revisions (EC2, bridge) of ``family`` or of a new one; the family."""
    # ``register`` returns the new family it names, even when told another: keep the one told.
    remaining = count
    if family is None:
        family = register(ecs_client, CONTAINERS, network_mode="bridge")
        remaining -= 1
    for _ in range(remaining):
        register(ecs_client, CONTAINERS, network_mode="bridge", family=family)
    return family


@pytest.fixture(scope="module")
def deep_family(ecs_client: Any) -> str:
    """A family of 150 ACTIVE revisions."""
    return _register(ecs_client, DEEP)


def _pages(ecs_client: Any, operation: str, key: str, **params: Any) -> list[list[str]]:
    """Every page of ``operation`` for ``params``, following nextToken by hand."""
    call = getattr(ecs_client, operation)
    pages: list[list[str]] = []
    while len(pages) < MOST_PAGES:
        response = call(**params)
        pages.append(response[key])
        if not response.get("nextToken"):
            return pages
        params = {**params, "nextToken": response["nextToken"]}
    raise AssertionError(f"{operation} still pages on after {MOST_PAGES} pages")


def _definition_pages(ecs_client: Any, **params: Any) -> list[list[str]]:
    return _pages(ecs_client, "list_task_definitions", "taskDefinitionArns", **params)


def _family_pages(ecs_client: Any, **params: Any) -> list[list[str]]:
    return _pages(ecs_client, "list_task_definition_families", "families", **params)


def _named(arns: list[str]) -> list[str]:
    """``family:revision`` of each ARN."""
    return [arn.rsplit("/", 1)[-1] for arn in arns]


def _revisions(pages: list[list[str]]) -> list[int]:
    return [int(arn.rsplit(":", 1)[-1]) for page in pages for arn in page]


def test_list_task_definitions_pages_newest_first_on_request(
    ecs_client: Any, deep_family: str
) -> None:
    """sort DESC with maxResults 10: fifteen pages of ten revisions, newest first."""
    pages = _definition_pages(ecs_client, familyPrefix=deep_family, sort="DESC", maxResults=10)
    assert [len(page) for page in pages] == [10] * 15
    assert _revisions(pages) == list(range(DEEP, 0, -1))


def test_list_task_definitions_pages_by_100_oldest_first_by_default(
    ecs_client: Any, deep_family: str
) -> None:
    """Without sort or maxResults: pages of 100, oldest revision first."""
    pages = _definition_pages(ecs_client, familyPrefix=deep_family)
    assert [len(page) for page in pages] == [100, DEEP - 100]
    assert _revisions(pages) == list(range(1, DEEP + 1))


def test_botocore_paginator_reads_every_revision_once(ecs_client: Any, deep_family: str) -> None:
    """boto3's own paginator over maxResults 7 gets every revision once, newest first."""
    paginator = ecs_client.get_paginator("list_task_definitions")
    pages = paginator.paginate(
        familyPrefix=deep_family, sort="DESC", PaginationConfig={"PageSize": 7}
    )
    arns = [arn for page in pages for arn in page["taskDefinitionArns"]]
    assert _revisions([arns]) == list(range(DEEP, 0, -1))


def test_list_task_definitions_sorts_by_family_then_revision(ecs_client: Any) -> None:
    """ASC lists families in name order, each one's revisions ascending; DESC reverses both."""
    prefix = unique("sorted")
    second = _register(ecs_client, 3, family=f"{prefix}-b")
    first = _register(ecs_client, 2, family=f"{prefix}-a")
    mine = (first, second)

    def listed(**params: Any) -> list[str]:
        pages = _definition_pages(ecs_client, maxResults=100, **params)
        return [n for n in _named([a for p in pages for a in p]) if n.startswith(mine)]

    ascending = [f"{first}:1", f"{first}:2", f"{second}:1", f"{second}:2", f"{second}:3"]
    assert listed() == ascending
    assert listed(sort="ASC") == ascending
    assert listed(sort="DESC") == ascending[::-1]


def test_list_task_definitions_filters_by_status(ecs_client: Any) -> None:
    """ACTIVE revisions by default; INACTIVE lists the deregistered ones, paged all the same."""
    family = _register(ecs_client, 5)
    for revision in (2, 4, 5):
        ecs_client.deregister_task_definition(taskDefinition=f"{family}:{revision}")
    active = _definition_pages(ecs_client, familyPrefix=family, maxResults=1)
    inactive = _definition_pages(
        ecs_client, familyPrefix=family, status="INACTIVE", sort="DESC", maxResults=2
    )
    assert _revisions(active) == [1, 3]
    assert [len(page) for page in inactive] == [2, 1]
    assert _revisions(inactive) == [5, 4, 2]


def test_a_revision_registered_between_pages_neither_repeats_nor_skips(ecs_client: Any) -> None:
    """A listing read page by page while the family gains a revision lists each revision it
    had once: the token marks where the last page ended, not how many were listed."""
    family = _register(ecs_client, 5)
    first = ecs_client.list_task_definitions(familyPrefix=family, sort="DESC", maxResults=2)
    _register(ecs_client, 1, family=family)
    rest = _definition_pages(
        ecs_client, familyPrefix=family, sort="DESC", maxResults=2, nextToken=first["nextToken"]
    )
    assert _revisions([first["taskDefinitionArns"], *rest]) == [5, 4, 3, 2, 1]


def test_list_task_definition_families_pages_in_name_order_and_filters_by_status(
    ecs_client: Any,
) -> None:
    """Families come in name order, maxResults at a time; ACTIVE keeps those with an ACTIVE
    revision, INACTIVE those without one, and the default (like ALL) lists both."""
    prefix = unique("families")
    names = [f"{prefix}-{n:02d}" for n in range(12)]
    for name in reversed(names):  # registered out of name order
        _register(ecs_client, 1, family=name)
    for name in names[:3]:
        ecs_client.deregister_task_definition(taskDefinition=f"{name}:1")

    pages = _family_pages(ecs_client, familyPrefix=prefix, maxResults=5)
    assert [len(page) for page in pages] == [5, 5, 2]
    assert [name for page in pages for name in page] == names

    def listed(status: str) -> list[str]:
        pages = _family_pages(ecs_client, familyPrefix=prefix, status=status, maxResults=4)
        return [name for page in pages for name in page]

    assert listed("ALL") == names
    assert listed("ACTIVE") == names[3:]
    assert listed("INACTIVE") == names[:3]


def _refusal(ecs_client: Any, operation: str, params: dict[str, Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        getattr(ecs_client, operation)(**params)
    response = raised.value.response
    error = response["Error"]
    return response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


BAD_PAGE_REQUESTS = [
    ("list_task_definitions", {"nextToken": "not-a-token"}, "nextToken"),
    ("list_task_definitions", {"maxResults": 0}, "maxResults"),
    ("list_task_definitions", {"maxResults": 101}, "maxResults"),
    ("list_task_definitions", {"sort": "NEWEST"}, "sort"),
    ("list_task_definitions", {"status": "GONE"}, "status"),
    ("list_task_definition_families", {"nextToken": "not-a-token"}, "nextToken"),
    ("list_task_definition_families", {"maxResults": 101}, "maxResults"),
    ("list_task_definition_families", {"status": "GONE"}, "status"),
    ("list_tasks", {"cluster": DEMO_CLUSTER, "nextToken": "not-a-token"}, "nextToken"),
    ("list_tasks", {"cluster": DEMO_CLUSTER, "maxResults": 101}, "maxResults"),
]


@pytest.mark.parametrize(
    ("operation", "params", "field"),
    BAD_PAGE_REQUESTS,
    ids=[f"{op}-{params}" for op, params, _ in BAD_PAGE_REQUESTS],
)
def test_a_bad_page_request_is_an_invalid_parameter(
    ecs_client: Any, operation: str, params: dict[str, Any], field: str
) -> None:
    """A nextToken no listing gave, maxResults outside 1..100 or an unknown sort or status is
    answered InvalidParameterException (HTTP 400) naming the field."""
    status, code, message = _refusal(ecs_client, operation, params)
    assert (status, code) == (400, "InvalidParameterException")
    assert field in message


def test_a_token_serves_only_the_listing_that_gave_it(ecs_client: Any, deep_family: str) -> None:
    """A ListTaskDefinitions nextToken handed to ListTaskDefinitionFamilies or ListTasks is an
    InvalidParameterException, not a page of something else."""
    token = ecs_client.list_task_definitions(familyPrefix=deep_family, maxResults=1)["nextToken"]
    for operation, params in (
        ("list_task_definition_families", {"nextToken": token}),
        ("list_tasks", {"cluster": DEMO_CLUSTER, "nextToken": token}),
    ):
        status, code, message = _refusal(ecs_client, operation, params)
        assert (status, code) == (400, "InvalidParameterException")
        assert "nextToken" in message
