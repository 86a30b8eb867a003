"""Bad and hostile query parameters on the moderators' pages: an HTML error page, never JSON.

A moderator who follows a stale or mangled link (an alert's review link to a deleted incident,
a filter typed by hand) gets the app's layout, a sentence saying what was wrong and a link back,
with the right 4xx status. The JSON API answers the same mistakes in JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api.app import create_app
from moderation.review.models import Role
from tests.queue.conftest import add_incident, add_item, add_user, token_for
from tests.queue.test_pages import _queued, log_in
from vigie.runtime import Runtime


def _html_error(answer: TestResponse, status: int, *words: str) -> str:
    page = answer.get_data(as_text=True)
    assert answer.status_code == status, page[:500]
    assert answer.mimetype == "text/html", page[:500]
    assert '<header class="top">' in page and "Log out" in page  # the app's layout
    assert 'id="error-message"' in page and 'id="back"' in page
    for word in words:
        assert word in page, (word, page)
    return page


@pytest.fixture
def mia(api: FlaskClient, db: Session) -> FlaskClient:
    add_user(db, "mia")
    db.commit()
    log_in(api, "mia")
    return api


def test_a_bad_incident_on_the_queue_is_an_html_page(mia: FlaskClient) -> None:
    """?incident=abc is a 400, ?incident=999999 a 404: each a page saying so, with a way back."""
    page = _html_error(mia.get("/queue?incident=abc"), 400, "Incident must be", "&#39;abc&#39;")
    assert 'href="/queue">Back to the queue' in page
    _html_error(mia.get("/queue?incident=999999"), 404, "There is no alert incident #999999.")
    _html_error(mia.get("/queue?incident=99999999999999"), 404, "no alert incident")
    _html_error(mia.get("/queue?incident=-3"), 400, "Incident must be")


def test_every_queue_page_refuses_bad_filters_as_a_page(mia: FlaskClient, db: Session) -> None:
    """The item page, "start reviewing" (GET and POST) and the queue share the filters."""
    item_id = _queued(db)
    for path in ("/queue", f"/queue/items/{item_id}", "/queue/next"):
        _html_error(mia.get(f"{path}?incident=abc"), 400, "Incident must be")
        _html_error(mia.get(f"{path}?incident=424242"), 404, "no alert incident #424242")
        _html_error(mia.get(f"{path}?platform=myspace"), 400, "Unknown platform")
    # The URL checks the app makes before any view: NUL characters and ids past 32 bits.
    _html_error(mia.get("/queue?tag=%00"), 400, "NUL characters")
    _html_error(mia.get("/queue/items/99999999999"), 404, "No such id.")


def test_the_alerts_pages_errors_are_pages_that_lead_back_to_the_alerts(mia: FlaskClient) -> None:
    page = _html_error(mia.get("/alerts?x=%00"), 400, "NUL characters")
    assert 'href="/alerts">Back to the alerts' in page


def test_an_unknown_platform_is_not_a_silently_empty_queue(mia: FlaskClient, db: Session) -> None:
    """?platform=X (a typo, or the display name) used to show "nothing waits" with the platform
    menu on "all": a moderator believed the queue empty."""
    _queued(db, platform="x")
    _html_error(mia.get("/queue?platform=X"), 400, "facebook, instagram, x")
    assert "Nothing waits" not in mia.get("/queue?platform=x").get_data(as_text=True)


def test_the_json_api_keeps_answering_json(api: FlaskClient, db: Session) -> None:
    headers = token_for(db, add_user(db, "bot", Role.ADMIN), "queue:read")
    for query, status in (("incident=abc", 400), ("incident=999999", 404), ("platform=X", 400)):
        answer = api.get(f"/v1/review/items?{query}", headers=headers)
        assert (answer.status_code, answer.mimetype) == (status, "application/json"), query
        assert answer.json["error"] in ("bad_request", "not_found")
    assert api.get("/v1/review/items/99999999999", headers=headers).json["error"] == "not_found"


def test_a_database_outage_on_a_page_is_a_503_page(
    mia: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database going away mid-request: a page saying to retry, with Retry-After."""
    from moderation.review import queue

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(queue, "counts", down)
    answer = mia.get("/queue")
    _html_error(answer, 503, "The database is unavailable; retry later.")
    assert answer.headers["Retry-After"] == "5"

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(queue, "counts", broken)
    _html_error(mia.get("/queue"), 500, "Unexpected error; it has been logged.")
    # The counts the queue page polls stay JSON, even when they fail.
    answer = mia.get("/queue/counts")
    assert (answer.status_code, answer.json["error"]) == (500, "internal_error")


HOSTILE = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "1.5",
    "1e3",
    "2147483648",
    "9" * 400,
    "٣",  # an Arabic-Indic digit: int() takes it
    "１",  # a full-width digit
    " 1",
    "1_0",
    "%",
    "_",
    "'; DROP TABLE review_items; --",
    '"\\',
    "<script>alert(1)</script>",
    "Élysée 🇫🇷 ça déchire 👨‍👩‍👧",
    "x" * 5000,
]
# Sent as they are: percent-encoded bytes that are not UTF-8 (a lone surrogate, stray bytes).
RAW = ["%ED%B3%BF", "%FF%FE", "%C3"]
PARAMS = ["incident", "platform", "language", "reason", "tag", "page", "sort", "offset"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hostile_client(request: pytest.FixtureRequest) -> Iterator[tuple[FlaskClient, int]]:
    settings = request.getfixturevalue(
        "review_settings" if request.param == "sqlite" else "pg_settings"
    )
    rt = Runtime(settings)
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    client = app.test_client()
    with rt.sessions.begin() as db:
        add_user(db, "mia")
        add_incident(db, "x", add_item(db).queued_at)
        item_id = add_item(db, text="Ça suffit, c'est nul 😡").id
    log_in(client, "mia")
    yield client, item_id
    rt.close()


def test_hostile_query_values_on_every_page_are_never_a_500(
    hostile_client: tuple[FlaskClient, int],
) -> None:
    """Each HTML route with each parameter set to odd values: 2xx, 3xx or an HTML 4xx page."""
    client, item_id = hostile_client
    routes = ["/queue", f"/queue/items/{item_id}", "/queue/next", "/queue/dashboard", "/alerts"]
    routes.append("/queue/audit")  # a moderator: 403, as a page
    for route in routes:
        for name in PARAMS:
            for value in [quote(v) for v in HOSTILE] + RAW:
                answer = client.get(f"{route}?{name}={value}")
                where = (route, name, value[:20], answer.status_code)
                assert answer.status_code < 500, where
                if answer.status_code >= 400:
                    assert answer.mimetype == "text/html", where
                    assert 'id="error-message"' in answer.get_data(as_text=True), where
    counts = client.get("/queue/counts?language=%ED%B3%BF&tag=%25_")
    assert counts.status_code == 200 and counts.json["open"] == 0


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example", "https://e.x"],
)
def test_login_never_sends_to_another_site(api: FlaskClient, db: Session, target: str) -> None:
    """Browsers read "/\\host" and "/<tab>/host" as "//host": after login, the queue instead."""
    from tests.queue.test_pages import PASSWORD, csrf

    add_user(db, "mia")
    db.commit()
    answer = api.post(
        f"/login?next={quote(target)}",
        data={"username": "mia", "password": PASSWORD, "csrf_token": csrf(api, "/login")},
    )
    assert answer.headers["Location"] == "/queue"


def test_hostile_form_values_on_the_pages_are_never_a_500(
    hostile_client: tuple[FlaskClient, int],
) -> None:
    """NUL characters and odd numbers in the forms: refused in words (a flash), not a 500."""
    from tests.queue.test_pages import csrf

    client, item_id = hostile_client
    token = csrf(client, "/alerts")
    for form in (
        {"platform": "x", "hours": "4", "reason": "maintenance\x00"},
        {"platform": "x\x00", "hours": "4"},
        {"topic": "launch\x00", "hours": "4"},
        {"hours": "nan"},
        {"hours": "1e400"},
    ):
        answer = client.post("/alerts/silences", data={"csrf_token": token, **form})
        assert answer.status_code == 302, (form, answer.status_code)
        assert "Silence not added" in client.get("/alerts").get_data(as_text=True), form
    token = csrf(client, f"/queue/items/{item_id}")
    answer = client.post(
        f"/queue/items/{item_id}/decide",
        data={"csrf_token": token, "action": "remove", "reason": "insulte\x00"},
    )
    assert answer.status_code in (302, 400), answer.status_code
