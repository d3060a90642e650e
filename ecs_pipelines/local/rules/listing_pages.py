"""One page of a listing, as ECS pages its List actions. No moto here.

ListTasks, ListTaskDefinitions and ListTaskDefinitionFamilies each take ``maxResults``, which
"can be between 1 and 100. If this parameter isn't used, then <the action> returns up to 100
results and a nextToken value if applicable", and a ``nextToken`` that "should be treated as an
opaque identifier" (ECS API reference and botocore's ECS model, each action's ``maxResults``
and ``nextToken``). ListTaskDefinitions also takes ``sort``: ASC (the default) or DESC.

A listing is sorted by a key (a task's place in the order tasks were started, a revision's
family and number, a family's name); a token names the listing that gave it and the key of
the last item on its page, so the next page starts after that item. Items added or removed
between two pages then neither repeat an item already listed nor skip one that is still there.

A request ECS refuses is refused the same way, before anything is listed: ``maxResults``
outside 1..100, a ``sort`` other than ASC or DESC, and a token that this listing did not give
are each an InvalidParameterException ("The specified parameter isn't valid", ECS API
reference, Errors), which botocore's model lists for all three actions.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ecs_pipelines.local.contract import RequestRejected

INVALID_PARAMETER = "InvalidParameterException"
MAX_RESULTS = 100  # the most a page holds, and its size when maxResults is left out
SORT_ORDERS = ("ASC", "DESC")

# A listing's sort key: a sequence number, a name, or a (family, revision) pair.
SortKey = int | str | tuple[str, int]
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """The items of one page, and the token of the next one (None on the last page)."""

    items: list[T]
    next_token: str | None


def page_size(max_results: Any) -> int:
    """``maxResults`` as the number of items a page holds (100 when it is left out)."""
    if max_results is None:
        return MAX_RESULTS
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise RequestRejected(INVALID_PARAMETER, "maxResults must be an integer.")
    if not 1 <= max_results <= MAX_RESULTS:
        raise RequestRejected(INVALID_PARAMETER, f"maxResults must be between 1 and {MAX_RESULTS}.")
    return max_results


def descending(sort: Any) -> bool:
    """Whether ``sort`` (ListTaskDefinitions' ASC, the default, or DESC) lists newest first."""
    if sort is None or sort == "ASC":
        return False
    if sort == "DESC":
        return True
    raise RequestRejected(
        INVALID_PARAMETER, f"sort must be one of {', '.join(SORT_ORDERS)}, got {sort!r}."
    )


def page_of(
    items: Iterable[T],
    *,
    listing: str,
    key: Callable[[T], SortKey],
    max_results: Any = None,
    next_token: str | None = None,
    newest_first: bool = False,
) -> Page[T]:
    """The page of ``items`` (in any order) that ``max_results`` and ``next_token`` ask for,
    sorted by ``key``, reversed when ``newest_first``. ``listing`` names the action, so that
    a token serves only the listing that gave it."""
    size = page_size(max_results)
    after = _decode(next_token, listing)
    ordered = sorted(items, key=key, reverse=newest_first)
    if after is not None:
        try:
            ordered = [item for item in ordered if _beyond(key(item), after, newest_first)]
        except TypeError as exc:  # a token of this listing's name, but not of its keys
            raise _invalid_token() from exc
    page = ordered[:size]
    token = _encode(listing, key(page[-1])) if len(ordered) > size else None
    return Page(page, token)


def _beyond(item: SortKey, after: SortKey, newest_first: bool) -> bool:
    return item < after if newest_first else item > after  # type: ignore[operator]


def _encode(listing: str, after: SortKey) -> str:
    document = json.dumps({"listing": listing, "after": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).decode()


def _decode(token: str | None, listing: str) -> SortKey | None:
    if not token:
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        if document["listing"] != listing:
            raise ValueError(f"a token of {document['listing']}")
        after = document["after"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise _invalid_token() from exc
    if isinstance(after, list) and len(after) == 2:
        after = tuple(after)  # JSON has no tuples: a (family, revision) pair comes back a list
    if isinstance(after, bool) or not isinstance(after, int | str | tuple):
        raise _invalid_token()
    return after


def _invalid_token() -> RequestRejected:
    return RequestRejected(INVALID_PARAMETER, "Invalid nextToken.")
