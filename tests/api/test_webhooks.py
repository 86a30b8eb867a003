"""POST /v1/comments and the Meta webhook: signed, validated, stored once, then enqueued."""

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.models import Comment
from tests.support import comment, facebook_feed, instagram_comments, meta_headers, signed
from vigie.runtime import Runtime


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Comment)) or 0)


def _queued_ids(runtime: Runtime) -> list[int]:
    """Comment ids in the scoring tasks waiting on the (embedded) broker."""
    ids: list[int] = []
    with runtime.celery.connection_for_write() as connection:
        queue = connection.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(timeout=0.5)
            except queue.Empty:
                break
            assert message.headers["task"] == "vigie.score_comments"
            ids.extend(message.decode()[0][0])
            message.ack()
        queue.close()
    return ids


def test_it_stores_a_signed_comment_and_enqueues_it(
    client: FlaskClient, session: Session, runtime: Runtime
) -> None:
    """A signed comment is answered 202 after it is stored, and its id is enqueued."""
    body, headers = signed(comment("c1"))
    response = client.post("/v1/comments", data=body, headers=headers)
    assert response.status_code == 202
    assert response.json == {"received": 1, "stored": 1, "duplicates": 0}
    stored = session.scalars(select(Comment)).one()
    assert (stored.source, stored.platform, stored.external_id) == ("acme", "x", "c1")
    assert _queued_ids(runtime) == [stored.id]


def test_it_keeps_one_comment_when_a_webhook_is_redelivered(
    client: FlaskClient, session: Session, runtime: Runtime
) -> None:
    """The same webhook posted ten times stores one comment and enqueues it once."""
    for _ in range(10):
        body, headers = signed(comment("again"))
        assert client.post("/v1/comments", data=body, headers=headers).status_code == 202
    assert _count(session) == 1
    assert len(_queued_ids(runtime)) == 1


def test_it_accepts_a_batch_of_500(client: FlaskClient, session: Session) -> None:
    """A batch of 500 comments is stored in one request."""
    body, headers = signed({"comments": [comment(f"b{i}") for i in range(500)]})
    response = client.post("/v1/comments", data=body, headers=headers)
    assert response.status_code == 202
    assert response.json["stored"] == 500
    assert _count(session) == 500


def test_it_refuses_a_batch_with_a_bad_item_whole(client: FlaskClient, session: Session) -> None:
    """One invalid item refuses the whole batch, naming the item; nothing is stored."""
    body, headers = signed({"comments": [comment("ok"), comment("bad", platform="myspace")]})
    response = client.post("/v1/comments", data=body, headers=headers)
    assert response.status_code == 422
    assert response.json["error"] == "invalid_payload"
    assert response.json["errors"][0]["loc"] == ["comments", 1, "platform"]
    assert _count(session) == 0


BAD_REQUESTS = [
    ("malformed json", b'{"platform": ', {}, 400, "invalid_json"),
    ("deep json", b"[" * 100_000 + b"]" * 100_000, {}, 400, "invalid_json"),
    ("invalid utf-8", b'{"text": "\xff\xfe"}', {}, 400, "invalid_utf8"),
    ("wrong type", json.dumps(comment(text=["a"])).encode(), {}, 422, "invalid_payload"),
    ("missing field", json.dumps({"platform": "x"}).encode(), {}, 422, "invalid_payload"),
    (
        "unknown platform",
        json.dumps(comment(platform="orkut")).encode(),
        {},
        422,
        "invalid_payload",
    ),
    ("text too long", json.dumps(comment(text="a" * 10_001)).encode(), {}, 422, "invalid_payload"),
    ("not an object", b"[1, 2]", {}, 422, "invalid_payload"),
    ("unknown source", json.dumps(comment()).encode(), {"source": "nobody"}, 401, "bad_signature"),
    ("wrong secret", json.dumps(comment()).encode(), {"secret": "nope"}, 401, "bad_signature"),
    (
        "stale",
        json.dumps(comment()).encode(),
        {"age": 301},
        401,
        "bad_signature",
    ),
    (
        "future",
        json.dumps(comment()).encode(),
        {"age": -301},
        401,
        "bad_signature",
    ),
]


@pytest.mark.parametrize(
    ("body", "sign", "status", "error"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_it_refuses_bad_input_with_a_json_reason(
    client: FlaskClient, session: Session, body: bytes, sign: dict, status: int, error: str
) -> None:
    """Each kind of bad input gets its 4xx and a JSON body naming the problem; nothing stored."""
    body, headers = signed(body, **sign)
    response = client.post("/v1/comments", data=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (status, error)
    assert response.json["detail"]
    assert _count(session) == 0


def test_an_unknown_source_is_answered_like_a_wrong_secret(client: FlaskClient) -> None:
    """The 401 does not tell a prober which source names exist, yet says what to check."""
    answers = []
    for sign in ({"source": "nobody"}, {"secret": "nope"}):
        body, headers = signed(comment(), **sign)
        answers.append(client.post("/v1/comments", data=body, headers=headers).json)
    assert answers[0] == answers[1]
    assert "X-Vigie-Source" in answers[0]["detail"] and "secret" in answers[0]["detail"]
    stale = [signed(comment(), age=400, **sign) for sign in ({"source": "nobody"}, {})]
    stale_answers = [client.post("/v1/comments", data=b, headers=h).json for b, h in stale]
    assert stale_answers[0] == stale_answers[1]


def test_it_refuses_unsigned_and_oversized_requests(client: FlaskClient, runtime: Runtime) -> None:
    """No signature is 401; a body over the size limit is 413; both in JSON."""
    body = json.dumps(comment()).encode()
    missing = client.post("/v1/comments", data=body, headers={"X-Vigie-Source": "acme"})
    assert (missing.status_code, missing.json["error"]) == (401, "bad_signature")
    big, headers = signed(b"x" * (runtime.settings.max_body_bytes + 1))
    too_big = client.post("/v1/comments", data=big, headers=headers)
    assert (too_big.status_code, too_big.json["error"]) == (413, "request_entity_too_large")


def test_it_asks_which_source_when_several_exist(client: FlaskClient) -> None:
    """Without X-Vigie-Source and with several sources configured, the reason says so."""
    body, headers = signed(comment())
    del headers["X-Vigie-Source"]
    response = client.post("/v1/comments", data=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (400, "missing_source")


def test_it_answers_unknown_routes_and_methods_in_json(client: FlaskClient) -> None:
    """404 and 405 are JSON too."""
    assert client.get("/nope").json["error"] == "not_found"
    assert client.get("/v1/comments").json["error"] == "method_not_allowed"


def test_it_answers_the_meta_subscription_check(client: FlaskClient) -> None:
    """GET with the right verify token echoes hub.challenge; a wrong token is 403."""
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "meta-verify-token",
        "hub.challenge": "42",
    }
    ok = client.get("/v1/webhooks/meta", query_string=query)
    assert (ok.status_code, ok.data) == (200, b"42")
    bad = client.get("/v1/webhooks/meta", query_string={**query, "hub.verify_token": "x"})
    assert (bad.status_code, bad.json["error"]) == (403, "forbidden")


def test_it_stores_meta_comments_from_several_entries(
    client: FlaskClient, session: Session, runtime: Runtime
) -> None:
    """Facebook feed and Instagram comments POSTs are verified, stored once and enqueued."""
    for payload in (
        facebook_feed(("1_2", "Top"), ("1_3", "Bof")),
        instagram_comments(("9", "Wow")),
    ):
        body = json.dumps(payload).encode()
        for _ in range(2):
            response = client.post("/v1/webhooks/meta", data=body, headers=meta_headers(body))
            assert response.status_code == 200
    platforms = sorted(c.platform for c in session.scalars(select(Comment)))
    assert platforms == ["facebook", "facebook", "instagram"]
    assert all(c.source == "meta" for c in session.scalars(select(Comment)))
    assert len(_queued_ids(runtime)) == 3


def test_it_refuses_meta_posts_with_a_bad_signature(client: FlaskClient, session: Session) -> None:
    """A Meta POST signed over another body is refused and stores nothing."""
    body = json.dumps(facebook_feed(("1_2", "Top"))).encode()
    response = client.post("/v1/webhooks/meta", data=body, headers=meta_headers(b"{}"))
    assert (response.status_code, response.json["error"]) == (401, "bad_signature")
    assert _count(session) == 0
