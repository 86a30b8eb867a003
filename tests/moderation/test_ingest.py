"""Parsing Vigie and Meta payloads, and storing each comment exactly once."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.ingest import (
    MAX_BATCH,
    PayloadError,
    parse_meta_payload,
    parse_vigie_payload,
    store_comments,
)
from moderation.models import Comment
from tests.support import comment, facebook_feed, instagram_comments

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def test_it_parses_one_comment_and_a_batch() -> None:
    """A bare comment object and {"comments": [...]} are both accepted."""
    assert [c.external_id for c in parse_vigie_payload(comment("a"))] == ["a"]
    batch = parse_vigie_payload({"comments": [comment("a"), comment("b")]})
    assert [c.external_id for c in batch] == ["a", "b"]
    assert batch[0].author.followers == 12


def test_it_lists_every_bad_item_of_a_batch() -> None:
    """A batch is all-or-nothing: the error names each bad item and field."""
    with pytest.raises(PayloadError) as info:
        parse_vigie_payload(
            {"comments": [comment("ok"), comment("b", platform="myspace"), comment("c", text=7)]}
        )
    locs = [e["loc"] for e in info.value.errors]
    assert locs == [["comments", 1, "platform"], ["comments", 2, "text"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (comment(text="x" * 10_001), "text"),
        (comment(created_at="2026-11-24T05:00:00"), "created_at"),
        (comment(external_id=""), "external_id"),
        (comment(author={"handle": "@a"}), "author"),
        (comment(author={"id": "u", "followers": -1}), "author"),
        (comment(text="nul\x00byte"), "text"),
        (comment(text="\ud800"), "text"),
        ({**comment(), "surprise": 1}, "surprise"),
        ({"comments": []}, "comments"),
        ({"comments": [comment(str(i)) for i in range(MAX_BATCH + 1)]}, "comments"),
    ],
)
def test_it_refuses_invalid_comments(payload: dict, field: str) -> None:
    """Over-long text, naive dates, missing ids, NUL, surrogates, unknown fields are refused."""
    with pytest.raises(PayloadError) as info:
        parse_vigie_payload(payload)
    assert field in str(info.value.errors)


@pytest.mark.parametrize("payload", [[], "text", 3, None])
def test_it_refuses_non_objects(payload: object) -> None:
    """The top level must be a JSON object."""
    with pytest.raises(PayloadError, match="expected a JSON object"):
        parse_vigie_payload(payload)


def test_it_reads_facebook_feed_comments_from_several_entries() -> None:
    """Each Page feed comment change becomes a facebook comment; top-level has no parent."""
    parsed = parse_meta_payload(facebook_feed(("1_2", "Super !"), ("1_3", "Nul.")))
    assert [(c.platform, c.external_id, c.text) for c in parsed.comments] == [
        ("facebook", "1_2", "Super !"),
        ("facebook", "1_3", "Nul."),
    ]
    first = parsed.comments[0]
    assert (first.thread_id, first.parent_id, first.author.handle) == (
        "1000_1",
        None,
        "Jean Dupont",
    )


def test_it_reads_instagram_comments_and_ignores_other_changes() -> None:
    """Instagram comments changes are read; edits, likes and other fields are counted as ignored."""
    payload = instagram_comments(("179", "Trop beau"), ("180", "bof"))
    payload["entry"][0]["changes"].append({"field": "mentions", "value": {"media_id": "1"}})
    parsed = parse_meta_payload(payload)
    assert [(c.platform, c.external_id, c.thread_id) for c in parsed.comments] == [
        ("instagram", "179", "123123"),
        ("instagram", "180", "123123"),
    ]
    assert parsed.ignored == 1
    edits = parse_meta_payload(facebook_feed(("1_2", "edited"), verb="edited"))
    assert (edits.comments, edits.ignored) == ([], 1)


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "user", "entry": []},
        {"object": "page", "entry": "x"},
        {"object": "page", "entry": [{"changes": [{"field": "feed"}]}]},
        {
            "object": "page",
            "entry": [
                {"changes": [{"field": "feed", "value": {"item": "comment", "verb": "add"}}]}
            ],
        },
    ],
)
def test_it_refuses_malformed_meta_payloads(payload: dict) -> None:
    """Unknown objects, non-list entries and comment changes missing fields are refused."""
    with pytest.raises(PayloadError):
        parse_meta_payload(payload)


def test_it_stores_each_comment_once(session: Session) -> None:
    """Re-storing the same (platform, external_id) is a no-op counted as a duplicate."""
    comments = parse_vigie_payload({"comments": [comment("a"), comment("b")]})
    first = store_comments(session, comments, "acme", NOW)
    again = store_comments(session, comments, "acme", NOW)
    same_batch = store_comments(
        session, parse_vigie_payload({"comments": [comment("c")] * 3}), "acme", NOW
    )
    session.commit()
    assert (len(first.new_ids), first.duplicates) == (2, 0)
    assert (again.new_ids, again.duplicates) == ([], 2)
    assert (len(same_batch.new_ids), same_batch.duplicates) == (1, 2)
    assert session.scalar(select(func.count()).select_from(Comment)) == 3


def test_it_keeps_the_same_id_on_different_platforms(session: Session) -> None:
    """Uniqueness is per platform: x/1 and youtube/1 are two comments."""
    comments = parse_vigie_payload({"comments": [comment("1"), comment("1", platform="youtube")]})
    assert len(store_comments(session, comments, "acme", NOW).new_ids) == 2
