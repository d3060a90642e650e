"""The paging of every listing the embedded ECS answers, decided without a server."""

from __future__ import annotations

import base64
import json

import pytest

from ecs_pipelines.local.contract import RequestRejected
from ecs_pipelines.local.rules.listing_pages import Page, page_of

REVISIONS = [("b", 2), ("a", 1), ("b", 1), ("a", 2)]


def _revision(item: tuple[str, int]) -> tuple[str, int]:
    return item


def _forged(listing: str, after: object) -> str:
    return base64.urlsafe_b64encode(
        json.dumps({"listing": listing, "after": after}).encode()
    ).decode()


def test_the_last_page_has_no_token_even_when_it_is_full() -> None:
    """A listing of exactly two pages ends on the second, with no token to an empty third."""
    first = page_of(REVISIONS, listing="L", key=_revision, max_results=2)
    second = page_of(
        REVISIONS, listing="L", key=_revision, max_results=2, next_token=first.next_token
    )
    assert first.items == [("a", 1), ("a", 2)] and first.next_token
    assert second == Page([("b", 1), ("b", 2)], None)
    assert page_of([], listing="L", key=_revision) == Page([], None)


def test_newest_first_pages_walk_down_from_the_token() -> None:
    """Newest first, the page after a token holds the keys below the token's."""
    first = page_of(REVISIONS, listing="L", key=_revision, max_results=3, newest_first=True)
    rest = page_of(
        REVISIONS,
        listing="L",
        key=_revision,
        max_results=3,
        next_token=first.next_token,
        newest_first=True,
    )
    assert first.items == [("b", 2), ("b", 1), ("a", 2)]
    assert rest == Page([("a", 1)], None)


@pytest.mark.parametrize(
    "token",
    [
        _forged("L", 7),
        _forged("L", ["a"]),
        _forged("L", {"a": 1}),
        _forged("Other", ["a", 1]),
        "%%%",
    ],
)
def test_a_token_not_of_this_listings_keys_is_an_invalid_parameter(token: str) -> None:
    """A token naming this listing but holding another kind of key, a token of another
    listing, or text that is no token at all is InvalidParameterException, never a page."""
    with pytest.raises(RequestRejected) as raised:
        page_of(REVISIONS, listing="L", key=_revision, next_token=token)
    assert raised.value.code == "InvalidParameterException"
    assert "nextToken" in raised.value.message
