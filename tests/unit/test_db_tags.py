"""Tag rules and wildcard matching, on SQLite (the matching is translated per dialect)."""

from __future__ import annotations

import pytest

from ec2api_runtime.db import Database, ids, tags
from ec2api_runtime.errors import EC2Error


def test_validate_tags() -> None:
    assert tags.validate_tags([{"Key": "a"}, {"Key": "b", "Value": None}, {"Key": "a", "Value": "2"}]) == \
        {"a": "2", "b": ""}
    for bad in ({"Key": 1}, {"Key": "x", "Value": 2}, {"Key": "aws:x"}, {"Key": "Aws:x"}):
        with pytest.raises(EC2Error) as info:
            tags.validate_tags([bad])
        assert info.value.code == "InvalidParameterValue"


@pytest.mark.parametrize(("pattern", "wild", "plain"), [
    ("abc", False, "abc"),
    ("a*c", True, None),
    ("a?c", True, None),
    ("a\\*c", False, "a*c"),
    ("a\\\\*", True, None),      # escaped backslash, then a real wildcard
    ("a\\", False, "a\\"),
])
def test_wildcard_parsing(pattern: str, wild: bool, plain: str | None) -> None:
    assert tags._has_wildcard(pattern) is wild
    if plain is not None:
        assert tags._unescape(pattern) == plain


def test_sqlite_matching_is_case_sensitive_and_quotes_glob_specials(db: Database) -> None:
    keys = ["Name", "name", "a[1]", "a*", "a%_", "a\\b"]
    with db.session() as s:
        rid = ids.ec2_id(s, "p", "i", "os")
        tags.set_tags(s, "p", [rid], [{"Key": k, "Value": k} for k in keys])

        def match(pattern: str) -> set[str]:
            return {r.key for r in tags.list_tags(s, "p", keys=[pattern])}

        assert match("N*") == {"Name"}
        assert match("?ame") == {"Name", "name"}
        assert match("a[1]") == {"a[1]"}
        assert match("a[*") == {"a[1]"}
        assert match("a\\**") == {"a*"}
        assert match("a%?") == {"a%_"}
        assert match("a\\\\?") == {"a\\b"}
        assert match("*") == set(keys)


def test_empty_inputs_are_no_ops(db: Database) -> None:
    with db.session() as s:
        rid = ids.ec2_id(s, "p", "i", "os")
        tags.set_tags(s, "p", [rid], [])
        tags.set_tags(s, "p", [], [{"Key": "k"}])
        tags.delete_tags(s, "p", [], None)
        assert tags.tags_for(s, "p", []) == {}
        assert tags.count(s, "p") == 0
