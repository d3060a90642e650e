"""The vocabulary of field checks: each names the field and the limit, and never coerces."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from ecs_pipelines.ecs.common import validation as v
from ecs_pipelines.ecs.common.errors import EcsSpecError

SECRET = "s3cr3t-never-echoed"

REFUSED: list[tuple[str, Callable[[str, Any], object], Any, str, str]] = [
    ("integer as bool", lambda f, x: v.int_range(f, x, 1, 10), True, "f", "integer 1..10"),
    ("integer too big", lambda f, x: v.int_range(f, x, 1, 10), 11, "f", "1..10, got 11"),
    ("integer below a floor", lambda f, x: v.int_range(f, x, 6), 5, "f", ">= 6"),
    ("blank string", v.non_empty_string, "  ", "f", "non-empty"),
    ("long string", lambda f, x: v.non_empty_string(f, x, 3), "abcd", "f", "at most 3"),
    (
        "string against a pattern",
        lambda f, x: v.matching(f, x, re.compile("[a-z]+"), "lowercase"),
        "A",
        "f",
        "must be lowercase",
    ),
    ("list as one string", v.string_list, "subnet-1", "f", "list of strings"),
    ("empty list item", v.string_list, ["a", ""], "f[1]", "non-empty"),
    ("objects as one object", v.mapping_list, {"a": 1}, "f", "list of objects"),
    ("object item", v.mapping_list, [{"a": 1}, 2], "f[1]", "an object"),
    ("boolean as a string", v.boolean, "yes", "f", "true or false"),
    ("one of", lambda f, x: v.one_of(f, x, ("A", "B")), "C", "f", "one of A, B"),
    ("role ARN", v.iam_role_arn, "etl-task", "f", "IAM role ARN"),
    ("started_by character", v.started_by_string, "nightly run", "f", "'-', '/' and '_'"),
    ("started_by length", v.started_by_string, "a" * 129, "f", "128"),
    ("timeout zero", v.optional_timeout, 0, "f", "> 0 seconds"),
    ("timeout as text", v.optional_timeout, "60", "f", "number of seconds"),
    ("interval zero", v.positive_seconds, 0, "f", "> 0"),
    ("51 tags", v.tag_map, {f"k{i}": "v" for i in range(51)}, "f", "at most 50"),
    ("reserved tag", v.tag_map, {"aws:x": "v"}, "f[aws:x]", "reserved"),
    ("tag value", v.tag_map, {"k": "v" * 257}, "f[k]", "256"),
    ("command as one string", v.command_argv, f"login {SECRET}", "f", "not a string"),
    ("command argument", v.command_argv, [SECRET, 1], "f[1]", "must be a string"),
    ("environment value", v.environment_map, {"A": SECRET, "B": 2}, "f[B]", "must be a string"),
    ("environment name", v.environment_map, {"": SECRET}, "f", "non-empty"),
]


@pytest.mark.parametrize(
    ("check", "value", "field", "limit"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_each_check_names_the_field_and_the_limit(
    check: Callable[[str, Any], object], value: Any, field: str, limit: str
) -> None:
    """A value outside its limit raises EcsSpecError naming the field and the limit, and
    never echoing a secret."""
    with pytest.raises(EcsSpecError) as raised:
        check("f", value)
    assert raised.value.field == field
    assert limit in raised.value.problem
    assert SECRET not in str(raised.value)


def test_checks_return_the_value_as_checked_without_coercion() -> None:
    """A value that passes comes back as given (no string split, no number parsed)."""
    assert v.int_range("f", 10, 1, 10) == 10
    assert v.string_list("f", ("a", "b")) == ["a", "b"]
    assert v.command_argv("f", []) == []
    assert v.optional_timeout("f", None) is None
    assert v.started_by_string("f", "dagster/run-1") == "dagster/run-1"
    assert v.iam_role_arn("f", "arn:aws:iam::123456789012:role/x") == (
        "arn:aws:iam::123456789012:role/x"
    )
    assert v.tag_map("f", {"Équipe data": "a+b=c @x/y:z_1.2-3"}) == {
        "Équipe data": "a+b=c @x/y:z_1.2-3"
    }
