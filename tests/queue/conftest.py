"""Factories for the review queue tests: users, tokens and queued comments."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from alerts.models import Incident
from moderation.models import Action, Comment, CommentStatus, Decision
from moderation.review import accounts, queue
from moderation.review.models import ReviewItem, Role, User

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
_ids = itertools.count(1)


def add_user(session: Session, name: str, role: Role = Role.MODERATOR) -> User:
    return accounts.create_user(session, name, PASSWORD, role, NOW)


def add_item(
    session: Session,
    text: str = "Bravo, encore une panne 👏",
    action: Action = Action.REVIEW,
    at: datetime = NOW,
    **comment: Any,
) -> ReviewItem:
    """A stored comment, its machine decision and its queue item.

    `rule_tags`, `review_priority`, `reasons` and `rule_ids` go on the decision (what the rules
    said), `topics` (watched alert topics) on the item; any other keyword overrides a comment
    field.
    """
    scores = comment.pop("scores", None) or {
        "toxicity": 0.55,
        "irony": 0.8,
        "negative": 0.6,
        "positive": 0.3,
        "sentiment": "negative",
        "language": "fr",
        "confidence": 0.4,
        "model_version": "test",
    }
    rule_tags = comment.pop("rule_tags", [])
    review_priority = comment.pop("review_priority", None)
    topics = comment.pop("topics", ())
    reasons = comment.pop("reasons", ["ironic and moderately toxic"])
    rule_ids = comment.pop("rule_ids", ["irony-uncertain"])
    n = next(_ids)
    fields: dict[str, Any] = {
        "source": "acme",
        "platform": "x",
        "external_id": f"c{n}",
        "thread_id": "post-1",
        "author_id": f"u{n}",
        "author_handle": f"@user{n}",
        "author_followers": 100,
        "text": text,
        "language": "fr",
        "created_at": at,
        "received_at": at,
        "status": CommentStatus.DECIDED,
    }
    fields.update(comment)
    row = Comment(**fields)
    session.add(row)
    session.flush()
    decision = Decision(
        comment_id=row.id,
        action=action,
        reasons=reasons,
        rule_ids=rule_ids,
        tags=rule_tags,
        review_priority=review_priority,
        scores=scores,
        model_version="test",
        rules_version="test",
        decided_at=at,
    )
    session.add(decision)
    session.flush()
    item = queue.enqueue(session, row, decision, at, topics)
    assert item is not None
    session.flush()
    return item


def add_incident(session: Session, platform: str, opened_at: datetime, topic: str = "") -> Incident:
    """A firing alert incident (a spike, as the detector opens them)."""
    incident = Incident(
        platform=platform, topic=topic, kind="spike", status="firing", severity="crisis",
        opened_at=opened_at, last_active_at=opened_at, evaluated_at=opened_at, figures={},
    )  # fmt: skip
    session.add(incident)
    session.flush()
    return incident


@pytest.fixture
def users(session: Session) -> Callable[..., User]:
    def make(name: str, role: Role = Role.MODERATOR) -> User:
        user = add_user(session, name, role)
        session.commit()
        return user

    return make


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


HOOK_URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def review_settings(tmp_path: Any) -> Any:
    from tests.conftest import make_settings
    from vigie import migrate

    settings = make_settings(tmp_path, VIGIE_SOURCE_ACME_CALLBACK_URL=HOOK_URL)
    migrate.upgrade(settings.database_url)
    return settings


@pytest.fixture
def review_runtime(review_settings: Any) -> Any:
    from vigie.runtime import Runtime

    rt = Runtime(review_settings)
    yield rt
    rt.close()


@pytest.fixture
def review_app(review_runtime: Any) -> Any:
    from api.app import create_app

    app = create_app(runtime=review_runtime)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api(review_app: Any) -> Any:
    return review_app.test_client()


@pytest.fixture
def db(review_runtime: Any) -> Any:
    with review_runtime.sessions() as session:
        yield session


def token_for(session: Session, user: User, *scopes: str) -> dict[str, str]:
    """Authorization headers for a new token of `user` with `scopes`."""
    new = accounts.create_token(session, user, "test", list(scopes), NOW)
    session.commit()
    return {"Authorization": f"Bearer {new.secret}"}
