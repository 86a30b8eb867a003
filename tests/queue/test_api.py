"""The review queue's JSON API: every operation and its refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.models import Delivery
from moderation.review import queue
from moderation.review.models import Role, User
from tests.queue.conftest import add_incident, add_item, add_user, token_for

RW = ("queue:read", "queue:write")


def _moderator(db: Session, name: str = "mia") -> tuple[User, dict[str, str]]:
    user = add_user(db, name)
    return user, token_for(db, user, *RW)


def _queued(db: Session, **kwargs: object) -> int:
    item = add_item(db, at=datetime.now(UTC) - timedelta(minutes=1), **kwargs)
    db.commit()
    return item.id


def test_it_lists_open_items_with_counts(api: FlaskClient, db: Session) -> None:
    """The list shows the items, how many wait and since when."""
    _, headers = _moderator(db)
    first = _queued(db, platform="x")
    _queued(db, platform="youtube")
    answer = api.get("/v1/review/items", headers=headers)
    assert answer.status_code == 200
    assert answer.json["counts"]["open"] == 2
    assert answer.json["counts"]["oldest_queued_at"] is not None
    assert {i["id"] for i in answer.json["items"]} >= {first}
    assert answer.json["items"][0]["why"].startswith("ironic")
    filtered = api.get("/v1/review/items?platform=x", headers=headers).json
    assert [i["id"] for i in filtered["items"]] == [first]
    assert filtered["counts"]["open"] == 1


def test_it_refuses_a_missing_or_bad_token(api: FlaskClient, db: Session) -> None:
    """No token or an unknown one: 401."""
    assert api.get("/v1/review/items").status_code == 401
    answer = api.get("/v1/review/items", headers={"Authorization": "Bearer vq_nope"})
    assert answer.status_code == 401
    assert answer.json["error"] == "unauthorized"


def test_it_refuses_a_token_without_the_scope(api: FlaskClient, db: Session) -> None:
    """A read-only token cannot claim."""
    user = add_user(db, "mia")
    headers = token_for(db, user, "queue:read")
    item_id = _queued(db)
    answer = api.post(f"/v1/review/items/{item_id}/claim", headers=headers)
    assert answer.status_code == 403
    assert answer.json["error"] == "insufficient_scope"


def test_it_shows_one_item_with_context_and_history(api: FlaskClient, db: Session) -> None:
    """The item answer has scores in words, the author's history and the thread."""
    _, headers = _moderator(db)
    item_id = _queued(db, author_id="troll")
    _queued(db, author_id="troll", text="another one")
    answer = api.get(f"/v1/review/items/{item_id}", headers=headers)
    assert answer.status_code == 200
    assert answer.json["author"]["comments_on_vigie"] == 2
    assert {"name": "toxicity", "value": 0.55, "words": "moderately toxic"} in answer.json["scores"]
    assert answer.json["context"]["recent"][0]["text"] == "another one"
    assert api.get("/v1/review/items/999", headers=headers).status_code == 404


def test_it_lists_and_filters_items_by_the_rules_tags(api: FlaskClient, db: Session) -> None:
    """Items carry the rules' tags and review priority; ?tag= filters on them."""
    _, headers = _moderator(db)
    spam = _queued(db, rule_tags=["spam"], review_priority="low")
    _queued(db)
    answer = api.get("/v1/review/items?tag=spam", headers=headers).json
    assert [i["id"] for i in answer["items"]] == [spam]
    assert "spam" in answer["items"][0]["tags"]
    assert answer["items"][0]["review_priority"] == "low"
    assert answer["items"][0]["machine"]["tags"] == ["spam"]
    assert answer["counts"]["open"] == 1


def test_it_claims_the_next_item_and_then_reports_an_empty_queue(
    api: FlaskClient, db: Session
) -> None:
    """Two moderators get different items; a third finds the queue empty."""
    _, mia = _moderator(db, "mia")
    _, noe = _moderator(db, "noe")
    _, zoe = _moderator(db, "zoe")
    _queued(db)
    _queued(db)
    a = api.post("/v1/review/claim", headers=mia)
    b = api.post("/v1/review/claim", headers=noe)
    assert a.status_code == b.status_code == 200
    assert a.json["id"] != b.json["id"]
    assert a.json["claimed_by"] == "mia"
    empty = api.post("/v1/review/claim", headers=zoe)
    assert (empty.status_code, empty.json["error"]) == (404, "queue_empty")


def test_it_refuses_to_claim_an_item_someone_holds(api: FlaskClient, db: Session) -> None:
    """409 claimed_by_other, naming who holds it."""
    _, mia = _moderator(db, "mia")
    _, noe = _moderator(db, "noe")
    item_id = _queued(db)
    assert api.post(f"/v1/review/items/{item_id}/claim", headers=mia).status_code == 200
    answer = api.post(f"/v1/review/items/{item_id}/claim", headers=noe)
    assert answer.status_code == 409
    assert answer.json["error"] == "claimed_by_other"
    assert "mia" in answer.json["detail"]


def test_it_releases_a_claim(api: FlaskClient, db: Session) -> None:
    """After DELETE .../claim another moderator can claim the item."""
    _, mia = _moderator(db, "mia")
    _, noe = _moderator(db, "noe")
    item_id = _queued(db)
    api.post(f"/v1/review/items/{item_id}/claim", headers=mia)
    assert api.delete(f"/v1/review/items/{item_id}/claim", headers=mia).status_code == 204
    assert api.delete(f"/v1/review/items/{item_id}/claim", headers=mia).status_code == 409
    assert api.post(f"/v1/review/items/{item_id}/claim", headers=noe).status_code == 200


def test_it_decides_and_writes_the_moderator_callback(api: FlaskClient, db: Session) -> None:
    """A decision on a held item answers 200 and puts a 'moderator' delivery in the outbox."""
    _, mia = _moderator(db)
    item_id = _queued(db)
    api.post(f"/v1/review/items/{item_id}/claim", headers=mia)
    answer = api.post(
        f"/v1/review/items/{item_id}/decision",
        json={"action": "remove", "reason": "insult", "corrections": ["toxic"]},
        headers=mia,
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == {"decided": [item_id], "callbacks": 1}
    db.expire_all()
    delivery = db.scalars(select(Delivery)).one()
    assert delivery.kind == "moderator"
    assert api.get("/v1/review/items", headers=mia).json["counts"]["open"] == 0


def test_it_refuses_deciding_twice(api: FlaskClient, db: Session) -> None:
    """The second decision is 409 already_decided with who decided."""
    _, mia = _moderator(db)
    item_id = _queued(db)
    api.post(f"/v1/review/items/{item_id}/claim", headers=mia)
    url = f"/v1/review/items/{item_id}/decision"
    assert api.post(url, json={"action": "approve"}, headers=mia).status_code == 200
    again = api.post(url, json={"action": "remove"}, headers=mia)
    assert again.status_code == 409
    assert again.json["error"] == "already_decided"
    assert "mia already decided" in again.json["detail"]


def test_it_refuses_a_decision_on_an_expired_claim(api: FlaskClient, db: Session) -> None:
    """A claim whose lease ran out gives 409 claim_expired."""
    user, mia = _moderator(db)
    item_id = _queued(db)
    queue.claim(db, item_id, user.id, datetime.now(UTC) - timedelta(hours=1), 60)
    db.commit()
    answer = api.post(
        f"/v1/review/items/{item_id}/decision", json={"action": "remove"}, headers=mia
    )
    assert answer.status_code == 409
    assert answer.json["error"] == "claim_expired"


def test_it_refuses_a_decision_without_a_claim(api: FlaskClient, db: Session) -> None:
    """Deciding needs a claim first: 409 not_claimed."""
    _, mia = _moderator(db)
    item_id = _queued(db)
    answer = api.post(
        f"/v1/review/items/{item_id}/decision", json={"action": "remove"}, headers=mia
    )
    assert (answer.status_code, answer.json["error"]) == (409, "not_claimed")


def test_it_refuses_malformed_decisions(api: FlaskClient, db: Session) -> None:
    """Unknown actions, fields and corrections are 422."""
    _, mia = _moderator(db)
    item_id = _queued(db)
    api.post(f"/v1/review/items/{item_id}/claim", headers=mia)
    url = f"/v1/review/items/{item_id}/decision"
    for body in (
        {"action": "delete"},
        {"action": "remove", "extra": 1},
        {"action": "remove", "corrections": ["rude"]},
        {"action": "remove", "group": "yes"},
    ):
        answer = api.post(url, json=body, headers=mia)
        assert answer.status_code == 422, body


def test_it_bulk_decides_a_raid_through_the_api(api: FlaskClient, db: Session) -> None:
    """group=true decides the open near-identical comments too."""
    _, mia = _moderator(db)
    lead = _queued(db, text="Boycott Acme!!")
    copy = _queued(db, text="boycott acme")
    _queued(db, text="something else")
    api.post(f"/v1/review/items/{lead}/claim", headers=mia)
    answer = api.post(
        f"/v1/review/items/{lead}/decision", json={"action": "remove", "group": True}, headers=mia
    )
    assert answer.json["decided"] == sorted([lead, copy])


def test_it_shows_the_audit_log_to_admins(api: FlaskClient, db: Session) -> None:
    """An admin token with audit:read sees who decided what."""
    _, mia = _moderator(db)
    admin = add_user(db, "root", Role.ADMIN)
    audit = token_for(db, admin, "audit:read")
    item_id = _queued(db)
    api.post(f"/v1/review/items/{item_id}/claim", headers=mia)
    api.post(
        f"/v1/review/items/{item_id}/decision",
        json={"action": "escalate", "reason": "threat"},
        headers=mia,
    )
    answer = api.get(f"/v1/review/audit?item_id={item_id}", headers=audit)
    assert answer.status_code == 200
    (entry,) = answer.json["entries"]
    assert (entry["user"], entry["action"], entry["reason"], entry["via"]) == (
        "mia",
        "escalate",
        "threat",
        "api",
    )
    assert entry["previous"]["status"] == "open"


def test_it_refuses_the_audit_log_to_moderators(api: FlaskClient, db: Session) -> None:
    """Wrong role: a moderator's token is refused even with the audit:read scope."""
    user = add_user(db, "mia")
    headers = token_for(db, user, "audit:read")
    answer = api.get("/v1/review/audit", headers=headers)
    assert (answer.status_code, answer.json["error"]) == (403, "forbidden_role")


def test_it_describes_every_review_route_in_openapi(api: FlaskClient, review_app: object) -> None:
    """/v1/openapi.json lists each review route and method the app serves."""
    answer = api.get("/v1/openapi.json")
    assert answer.status_code == 200
    paths = answer.json["paths"]
    served = {
        (rule.rule.replace("<int:item_id>", "{item_id}"), method.lower())
        for rule in review_app.url_map.iter_rules()  # type: ignore[attr-defined]
        if rule.rule.startswith("/v1/review")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {
        (path, method)
        for path, ops in paths.items()
        if path.startswith("/v1/review")  # the source-facing routes: tests/hostile/
        for method in ops
    }
    assert served == described


def test_it_narrows_the_list_and_the_claim_to_an_alert_incident(
    api: FlaskClient, db: Session
) -> None:
    """?incident=ID keeps the incident's platform and window; an unknown one is a 404."""
    _, headers = _moderator(db)
    now = datetime.now(UTC).replace(microsecond=0)
    incident = add_incident(db, "x", now - timedelta(minutes=5))
    inside = add_item(db, platform="x", at=now - timedelta(minutes=2)).id
    add_item(db, platform="x", at=now - timedelta(hours=2))
    add_item(db, platform="youtube", at=now - timedelta(minutes=2))
    db.commit()
    listed = api.get(f"/v1/review/items?incident={incident.id}", headers=headers).json
    assert [i["id"] for i in listed["items"]] == [inside] and listed["counts"]["open"] == 1
    claimed = api.post(f"/v1/review/claim?incident={incident.id}", headers=headers)
    assert claimed.status_code == 200 and claimed.json["id"] == inside
    _, other = _moderator(db, "noe")
    again = api.post(f"/v1/review/claim?incident={incident.id}", headers=other)
    assert again.status_code == 404 and again.json["error"] == "queue_empty"
    missing = api.get("/v1/review/items?incident=424242", headers=headers)
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    bad = api.get("/v1/review/items?incident=1.5", headers=headers)
    assert bad.status_code == 400 and "incident" in bad.json["detail"]
