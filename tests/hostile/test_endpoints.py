"""Hostile requests to the webhooks: every answer is a documented 4xx/2xx and refusals store nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from alerts.models import Silence
from moderation.models import Comment
from moderation.review.models import Role
from moderation.signing import vigie_signature
from tests.hostile.conftest import EXAMPLES, count
from tests.hostile.test_parsers import JSON
from tests.queue.conftest import add_user, token_for
from tests.support import SECRET, comment, facebook_feed, meta_headers, signed
from vigie.runtime import Runtime

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
# Bodies that look like JSON more often than uniform random bytes would.
BODIES = (
    st.binary(max_size=300)
    | JSON.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass"))
    | st.builds(
        lambda c, junk: json.dumps(c).encode() + junk, st.just(comment("x1")), st.binary(max_size=8)
    )
)


def _stored(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Comment)) or 0)


def _refused_storing_nothing(
    runtime: Runtime, post: Callable[[], TestResponse], status: int, code: str
) -> TestResponse:
    before = _stored(runtime)
    answer = post()
    assert (answer.status_code, answer.json["error"]) == (status, code), answer.json
    assert _stored(runtime) == before
    return answer


@FUZZ
@given(body=BODIES)
def test_it_answers_any_signed_body_without_a_500(
    client: FlaskClient, runtime: Runtime, body: bytes
) -> None:
    """Any signed body is stored (202) or refused with 400/422 and nothing stored."""
    count("hypothesis POST /v1/comments (signed arbitrary body)")
    before = _stored(runtime)
    answer = client.post("/v1/comments", data=body, headers=signed(body)[1])
    assert answer.status_code in (202, 400, 422), answer.json
    if answer.status_code == 202:
        assert _stored(runtime) == before + answer.json["stored"]
    else:
        assert _stored(runtime) == before


@FUZZ
@given(body=BODIES)
def test_it_answers_any_signed_meta_body_without_a_500(
    client: FlaskClient, runtime: Runtime, body: bytes
) -> None:
    """Any body with a valid Meta signature is answered 200, 400 or 422; refusals store nothing."""
    count("hypothesis POST /v1/webhooks/meta (signed arbitrary body)")
    before = _stored(runtime)
    answer = client.post("/v1/webhooks/meta", data=body, headers=meta_headers(body))
    assert answer.status_code in (200, 400, 422), answer.json
    if answer.status_code != 200:
        assert _stored(runtime) == before


@FUZZ
@given(
    header=st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200)
    | st.from_regex(r"t=-?[0-9]{1,400},v1=[0-9a-f]{0,70}", fullmatch=True)
)
def test_it_refuses_any_made_up_signature(
    client: FlaskClient, runtime: Runtime, header: str
) -> None:
    """A forged X-Vigie-Signature, however malformed, is a 401 and stores nothing."""
    count("hypothesis POST /v1/comments (forged signature header)")
    body = json.dumps(comment("forged")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Vigie-Source": "acme",
        "X-Vigie-Signature": header,
    }
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=headers),
        401,
        "bad_signature",
    )


@FUZZ
@given(
    age=st.integers(min_value=301, max_value=10**12)
    | st.integers(min_value=-(10**12), max_value=-301)
)
def test_it_refuses_stale_and_future_timestamps(
    client: FlaskClient, runtime: Runtime, age: int
) -> None:
    """A correct signature more than 5 minutes old or ahead (a replay, a skewed clock) is a 401."""
    count("hypothesis POST /v1/comments (stale or future timestamp)")
    body, headers = signed(comment("late"), age=age)
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=headers),
        401,
        "bad_signature",
    )


@FUZZ
@given(other=st.binary(min_size=1, max_size=200))
def test_it_refuses_a_signature_over_a_different_body(
    client: FlaskClient, runtime: Runtime, other: bytes
) -> None:
    """A signature made for one body does not carry over to another."""
    count("hypothesis POST /v1/comments (signature over another body)")
    body = json.dumps(comment("swapped")).encode()
    headers = signed(body + other)[1]
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=headers),
        401,
        "bad_signature",
    )


def test_it_stores_a_replayed_request_once(client: FlaskClient, runtime: Runtime) -> None:
    """Replaying a captured request inside the window is a no-op: one comment, then duplicates."""
    body, headers = signed(comment("replayed"))
    answers = [client.post("/v1/comments", data=body, headers=headers).json for _ in range(3)]
    assert [a["stored"] for a in answers] == [1, 0, 0]
    assert _stored(runtime) == 1


def test_it_refuses_another_sources_secret(client: FlaskClient, runtime: Runtime) -> None:
    """Signing as acme with other's secret is refused: secrets are per source."""
    body, headers = signed(comment("spoof"), secret="other-secret", source="acme")
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=headers),
        401,
        "bad_signature",
    )


def test_it_refuses_json_nested_too_deeply(client: FlaskClient, runtime: Runtime) -> None:
    """100,000 nested arrays are a 400, not a RecursionError."""
    body = b"[" * 100_000 + b"]" * 100_000
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=signed(body)[1]),
        400,
        "invalid_json",
    )


def test_it_refuses_a_body_over_the_limit(client: FlaskClient, runtime: Runtime) -> None:
    """A body over VIGIE_MAX_BODY_BYTES is a 413 before it is read."""
    body = b" " * (runtime.settings.max_body_bytes + 1)
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=signed(body)[1]),
        413,
        "request_entity_too_large",
    )


def test_it_refuses_invalid_utf8(client: FlaskClient, runtime: Runtime) -> None:
    """Bytes that are not UTF-8 are a 400 naming the byte."""
    body = json.dumps(comment("latin")).encode().replace(b"Great", b"Gr\xe9at")
    answer = _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=signed(body)[1]),
        400,
        "invalid_utf8",
    )
    assert "byte" in answer.json["detail"]


def test_it_refuses_a_batch_with_one_bad_item_whole(client: FlaskClient, runtime: Runtime) -> None:
    """A NUL in the last of 50 comments refuses the batch: nothing partial is stored."""
    items = [comment(f"b{i}") for i in range(49)] + [comment("b49", text="nul\x00here")]
    body, headers = signed({"comments": items})
    answer = _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=headers),
        422,
        "invalid_payload",
    )
    assert answer.json["errors"][0]["loc"] == ["comments", 49, "text"]


def test_it_refuses_a_time_with_no_utc_equivalent(client: FlaskClient, runtime: Runtime) -> None:
    """created_at 0001-01-01T00:00+03:00 is valid ISO 8601 but before year 1 in UTC: a 422."""
    body, headers = signed(comment("early", created_at="0001-01-01T00:00:00+03:00"))
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=headers),
        422,
        "invalid_payload",
    )


def test_it_refuses_counts_the_database_cannot_hold(client: FlaskClient, runtime: Runtime) -> None:
    """followers above 2**31 - 1 is a 422, not an integer overflow in the database."""
    item = comment("big")
    item["author"] = {"id": "u1", "followers": 2**31}
    body, headers = signed(item)
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/comments", data=body, headers=headers),
        422,
        "invalid_payload",
    )


def test_it_refuses_a_meta_time_out_of_range(client: FlaskClient, runtime: Runtime) -> None:
    """A Facebook created_time far beyond year 9999 is a 422, not an OverflowError."""
    payload = facebook_feed(("c1", "hello"))
    payload["entry"][0]["changes"][0]["value"]["created_time"] = 10**20
    body = json.dumps(payload).encode()
    _refused_storing_nothing(
        runtime,
        lambda: client.post("/v1/webhooks/meta", data=body, headers=meta_headers(body)),
        422,
        "invalid_payload",
    )


@FUZZ
@given(platform=st.text(min_size=1, max_size=20), external_id=st.text(min_size=1, max_size=40))
def test_it_answers_any_comment_path(client: FlaskClient, platform: str, external_id: str) -> None:
    """GET /v1/comments/<platform>/<id> with any characters, signed over its path, is a 404."""
    count("hypothesis GET /v1/comments/{platform}/{external_id}")
    from urllib.parse import quote

    path = f"/v1/comments/{quote(platform, safe='')}/{quote(external_id, safe='')}"
    answer = client.get(path)  # resolve what the server sees as request.path, then sign it
    signed_path = answer.request.path.encode()
    header = vigie_signature(SECRET, signed_path, int(time.time()))
    answer = client.get(path, headers={"X-Vigie-Source": "acme", "X-Vigie-Signature": header})
    if "//" in answer.request.path:  # Werkzeug may merge the slashes with a redirect first
        assert answer.status_code in (308, 404)
    elif "\x00" in answer.request.path:
        assert answer.status_code == 400
    else:
        assert answer.status_code == 404, answer.get_data()[:200]


def test_it_answers_404_for_an_id_beyond_32_bits(client: FlaskClient) -> None:
    """/v1/review/items/<id> with a 23-digit id is a 404, not an integer overflow in the database."""
    answer = client.get("/v1/review/items/99999999999999999999999")
    assert answer.status_code == 404


@pytest.mark.parametrize("item_id", ["²", "99999999999999999999999"])
def test_it_refuses_an_audit_filter_that_is_no_id(
    client: FlaskClient, session: Session, item_id: str
) -> None:
    """item_id=² (a digit to str.isdigit, not to int) or beyond 32 bits is a 400."""
    headers = token_for(session, add_user(session, "root", Role.ADMIN), "audit:read")
    answer = client.get("/v1/review/audit", query_string={"item_id": item_id}, headers=headers)
    assert (answer.status_code, answer.json["error"]) == (400, "bad_request")


@pytest.mark.parametrize("path", ["/v1/comments/x/a%00b", "/v1/review/items?platform=x%00"])
def test_it_refuses_nul_in_urls(client: FlaskClient, path: str) -> None:
    """%00 in a path or query is a 400 before any query: PostgreSQL text cannot hold NUL."""
    answer = client.get(path)
    assert (answer.status_code, answer.json["error"]) == (400, "bad_request")


@pytest.mark.parametrize(
    "fields",
    [
        {"ends_at": "0001-01-01T00:00:00+03:00"},
        {"platform": ["x"]},
        {"platform": "x" * 17},
        {"topic": {"a": 1}},
        {"topic": "nul\x00"},
        {"reason": "\ud800"},
    ],
)
def test_it_refuses_silences_the_database_cannot_store(
    client: FlaskClient, session: Session, fields: dict[str, Any]
) -> None:
    """Wrong types, NUL, lone surrogates, overlong text or an unconvertible time are a 400."""
    data = {"ends_at": "2999-01-01T00:00:00Z", **fields}
    body, headers = signed(json.dumps(data).encode("utf-8", "surrogatepass"))
    answer = client.post("/v1/alerts/silences", data=body, headers=headers)
    assert (answer.status_code, answer.json["error"]) == (400, "bad_request")
    assert session.scalar(select(func.count()).select_from(Silence)) == 0


@pytest.mark.parametrize("reason", ["nul\x00", "\udc00"])
def test_it_refuses_a_review_reason_the_database_cannot_store(
    client: FlaskClient, session: Session, reason: str
) -> None:
    """A decision reason with NUL or a lone surrogate is a 422, and the item stays open."""
    from moderation.review.models import ReviewItem
    from tests.queue.conftest import add_item

    user = add_user(session, "mo")
    item = add_item(session)
    headers = token_for(session, user, "queue:write")
    assert client.post(f"/v1/review/items/{item.id}/claim", headers=headers).status_code == 200
    body = json.dumps({"action": "approve", "reason": reason}).encode("utf-8", "surrogatepass")
    answer = client.post(
        f"/v1/review/items/{item.id}/decision",
        data=body,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json["error"]) == (422, "bad_reason")
    session.expire_all()
    assert session.get(ReviewItem, item.id).status == "open"
