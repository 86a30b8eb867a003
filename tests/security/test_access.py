"""CSRF, session fixation, and authorisation on every moderator and admin route and API scope."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.openapi import spec
from moderation.review.accounts import SCOPES
from moderation.review.models import Role
from tests.queue.conftest import add_item, add_user, token_for
from tests.queue.test_pages import csrf, log_in

# The language switch is on the login page too: a visitor may choose the language (a cookie,
# with the CSRF token like every form; tests/queue/test_i18n.py), and nothing else.
OPEN_PAGES = {
    "pages.login",
    "pages.home",
    "pages.logout",
    "pages.csrf_refused",
    "pages.set_language",
}


def _page_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every moderators' page (queue and alerts), with ids filled in."""
    fill = {
        "<int:item_id>": "1",
        "<int:incident_id>": "1",
        "<int:silence_id>": "1",
        "<action>": "ack",
    }
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("pages.", "alert_pages.")) or rule.endpoint in OPEN_PAGES:
            continue
        path = rule.rule
        for placeholder, value in fill.items():
            path = path.replace(placeholder, value)
        assert "<" not in path, f"fill in {path}"
        paths.extend((method, path) for method in rule.methods - {"HEAD", "OPTIONS"})
    return sorted(paths)


def _api_operations() -> list[tuple[str, str, str]]:
    """(method, path, scope) of every review API operation, from the OpenAPI description."""
    return [
        (method.upper(), path.replace("{item_id}", "1"), op["security"][0]["token"][0])
        for path, ops in spec()["paths"].items()
        if path.startswith("/v1/review")
        for method, op in ops.items()
    ]


def test_it_sends_anonymous_visitors_of_every_page_to_the_login(
    review_app: Flask, api: FlaskClient
) -> None:
    """Every page but the login needs a session, GET and POST alike (with a valid CSRF token)."""
    routes = _page_routes(review_app)
    assert len(routes) >= 12
    token = csrf(api, "/login")
    for method, path in routes:
        answer = api.open(path, method=method, data={"csrf_token": token})
        assert answer.status_code == 302, (method, path)
        assert answer.headers["Location"].startswith("/login"), (method, path)


def test_it_refuses_every_form_post_without_its_csrf_token(
    review_app: Flask, api: FlaskClient, db: Session
) -> None:
    """A logged-in moderator's POST without the session's CSRF token is a 400, on every page."""
    add_user(db, "mia")
    add_item(db)
    db.commit()
    log_in(api, "mia")
    posts = [path for method, path in _page_routes(review_app) if method == "POST"]
    for path in [*posts, "/logout", "/login"]:
        answer = api.post(path, data={"action": "approve"})
        assert answer.status_code == 400, path
        assert "CSRF" in answer.get_data(as_text=True), path
    assert api.get("/queue").status_code == 200, "still logged in: the refused logout did nothing"


def test_it_starts_a_fresh_session_on_login(api: FlaskClient, db: Session) -> None:
    """Whatever the session held before login (a planted value) is gone after it."""
    add_user(db, "mia")
    db.commit()
    with api.session_transaction() as before:
        before["planted"] = "by an attacker"
        before["user_id"] = 999
    log_in(api, "mia")
    with api.session_transaction() as after:
        assert "planted" not in after
        assert after["user_id"] != 999


def test_it_keeps_admin_pages_from_moderators(api: FlaskClient, db: Session) -> None:
    """A moderator's session gets a 403 on the audit log, an admin's a 200."""
    add_user(db, "mia")
    add_user(db, "root", Role.ADMIN)
    db.commit()
    log_in(api, "mia")
    assert api.get("/queue/audit").status_code == 403
    api.post("/logout", data={"csrf_token": csrf(api, "/queue")})
    log_in(api, "root")
    assert api.get("/queue/audit").status_code == 200


@pytest.mark.parametrize(("method", "path", "scope"), _api_operations())
def test_it_requires_a_token_on_every_review_api_operation(
    api: FlaskClient, method: str, path: str, scope: str
) -> None:
    """No token, or an unknown one, is a 401."""
    assert api.open(path, method=method).status_code == 401
    headers = {"Authorization": "Bearer vq_not-a-real-token"}
    assert api.open(path, method=method, headers=headers).status_code == 401


@pytest.mark.parametrize(("method", "path", "scope"), _api_operations())
def test_it_enforces_the_scope_of_every_review_api_operation(
    api: FlaskClient, db: Session, method: str, path: str, scope: str
) -> None:
    """An admin's token holding every scope but the one an operation needs gets a 403."""
    admin = add_user(db, "root", Role.ADMIN)
    headers = token_for(db, admin, *(s for s in SCOPES if s != scope))
    answer = api.open(path, method=method, headers=headers, json={"action": "approve"})
    assert (answer.status_code, answer.json["error"]) == (403, "insufficient_scope")


def test_it_refuses_admin_api_operations_to_a_moderators_token(
    api: FlaskClient, db: Session
) -> None:
    """The audit log needs an admin: a moderator's token with every scope gets a 403."""
    headers = token_for(db, add_user(db, "mia"), *SCOPES)
    answer = api.get("/v1/review/audit", headers=headers)
    assert (answer.status_code, answer.json["error"]) == (403, "forbidden_role")


def test_it_refuses_a_revoked_token(api: FlaskClient, db: Session) -> None:
    """Once revoked, a token is a 401."""
    from datetime import UTC, datetime

    from moderation.review.models import ApiToken

    headers = token_for(db, add_user(db, "mia"), "queue:read")
    token = db.query(ApiToken).one()
    token.revoked_at = datetime.now(UTC)
    db.commit()
    assert api.get("/v1/review/items", headers=headers).status_code == 401
