"""Property tests for the webhook parsers: any JSON value is accepted or refused, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.ingest import (
    CommentIn,
    MetaParse,
    PayloadError,
    parse_meta_payload,
    parse_vigie_payload,
)
from tests.hostile.conftest import EXAMPLES, count
from tests.support import comment, facebook_feed, instagram_comments

# Any JSON value, including NUL, lone surrogates (json.loads turns "\ud800" into one), NaN and
# huge integers, nested a few levels.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text()
    | st.text(alphabet=st.characters(codec=None, categories=None))
    | st.sampled_from(["\x00", "\ud800", "0001-01-01T00:00:00+03:00", "9999-12-31T23:59:59-05:00"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
FIELDS = list(comment())
AUTHOR_FIELDS = ["id", "handle", "account_age_days", "followers"]


def _mutated_comment(data: st.DataObject) -> dict[str, Any]:
    """A valid comment with some fields replaced by arbitrary JSON, dropped, or added."""
    item = comment("c1")
    item["author"] = dict(item["author"])
    for key in data.draw(st.lists(st.sampled_from([*FIELDS, "unknown"]), max_size=3)):
        item[key] = data.draw(JSON)
    for key in data.draw(st.lists(st.sampled_from(AUTHOR_FIELDS), max_size=2)):
        if isinstance(item["author"], dict):
            item["author"][key] = data.draw(JSON)
    for key in data.draw(st.lists(st.sampled_from(FIELDS), max_size=2)):
        item.pop(key, None)
    return item


def _accepted_or_refused(parse: Any, payload: Any) -> Any:
    try:
        result = parse(payload)
    except PayloadError as exc:
        assert exc.message
        assert all({"loc", "problem"} <= set(e) for e in exc.errors)
        return None
    return result


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(JSON)
def test_it_accepts_or_refuses_any_json_as_a_vigie_payload(payload: Any) -> None:
    """Arbitrary JSON is refused with a PayloadError, or parsed into storable comments."""
    count("hypothesis parse_vigie_payload(any JSON)")
    result = _accepted_or_refused(parse_vigie_payload, payload)
    assert result is None or all(isinstance(c, CommentIn) for c in result)


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(st.data())
def test_it_checks_every_field_of_a_vigie_comment(data: st.DataObject) -> None:
    """Wrong types, NUL, surrogates, huge numbers and unknown fields are refused, not crashed on."""
    count("hypothesis parse_vigie_payload(mutated comment)")
    item = _mutated_comment(data)
    payload = data.draw(st.sampled_from([item, {"comments": [comment("ok"), item]}]))
    result = _accepted_or_refused(parse_vigie_payload, payload)
    for parsed in result or []:
        assert "\x00" not in parsed.text
        parsed.text.encode("utf-8")  # storable: no lone surrogates
        assert parsed.created_at.utcoffset() is not None
        assert parsed.created_at.tzinfo is not None


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(JSON)
def test_it_accepts_or_refuses_any_json_as_a_meta_payload(payload: Any) -> None:
    """Arbitrary JSON is refused with a PayloadError, or parsed into comments and a count."""
    count("hypothesis parse_meta_payload(any JSON)")
    result = _accepted_or_refused(parse_meta_payload, payload)
    assert result is None or isinstance(result, MetaParse)


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(st.data())
def test_it_checks_every_field_of_a_meta_change(data: st.DataObject) -> None:
    """A real Meta payload with any value, entry or change field replaced never crashes."""
    count("hypothesis parse_meta_payload(mutated change)")
    payload = data.draw(
        st.sampled_from([facebook_feed(("c1", "hello")), instagram_comments(("c1", "hello"))])
    )
    entry = payload["entry"][0]
    value = entry["changes"][0]["value"]
    target = data.draw(st.sampled_from([value, entry, entry["changes"][0], payload]))
    keys = [*target, "from", "media", "created_time", "time", "parent_id"]
    for key in data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3)):
        target[key] = data.draw(JSON)
    result = _accepted_or_refused(parse_meta_payload, payload)
    assert result is None or isinstance(result, MetaParse)
