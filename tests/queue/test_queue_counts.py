"""GET /queue/counts: the figures the queue page polls, with the page's own filters."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.queue.conftest import add_user
from tests.queue.test_pages import _queued, log_in


def test_it_answers_the_queue_pages_figures_for_its_filters(api: FlaskClient, db: Session) -> None:
    add_user(db, "mia")
    _queued(db, platform="x")
    _queued(db, platform="youtube", language="en")
    assert api.get("/queue/counts").status_code == 302  # a moderator's session, like the page
    log_in(api, "mia")
    answer = api.get("/queue/counts")
    assert answer.json == {"open": 2, "claimed": 0, "oldest_wait": "3 min"}
    assert answer.headers["Cache-Control"] == "no-store"
    assert api.get("/queue/counts?platform=youtube").json["open"] == 1
    assert api.get("/queue/counts?language=EN").json["open"] == 1
    refused = api.get("/queue/counts?incident=abc")
    assert (refused.status_code, refused.json["error"]) == (400, "bad_request")
    page = api.get("/queue?platform=x").get_data(as_text=True)
    assert 'data-counts="/queue/counts?platform=x"' in page
