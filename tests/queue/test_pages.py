"""The moderators' pages through Flask's test client: login, CSRF, queue, item, decide, audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.view import build_view
from api.app import create_app
from moderation.review.models import AuditEntry, ItemStatus, ReviewItem, Role
from tests.conftest import make_settings
from tests.queue.conftest import PASSWORD, add_incident, add_item, add_user
from vigie.runtime import Runtime

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: FlaskClient, path: str) -> str:
    match = _CSRF.search(client.get(path).get_data(as_text=True))
    assert match is not None, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, name: str) -> None:
    answer = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf(client, "/login")},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)


def _queued(db: Session, **kwargs: object) -> int:
    item = add_item(db, at=datetime.now(UTC) - timedelta(minutes=3), **kwargs)
    db.commit()
    return item.id


def test_it_sends_visitors_to_the_login_page(api: FlaskClient) -> None:
    """The queue needs a session."""
    answer = api.get("/queue")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")


def test_it_logs_in_with_a_hardened_session_cookie(api: FlaskClient, db: Session) -> None:
    """Right password: a HttpOnly, SameSite=Lax session cookie and a redirect to the queue."""
    add_user(db, "mia")
    db.commit()
    answer = api.post(
        "/login", data={"username": "mia", "password": PASSWORD, "csrf_token": csrf(api, "/login")}
    )
    assert answer.headers["Location"] == "/queue"
    cookie = answer.headers["Set-Cookie"]
    assert "vigie_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert api.get("/queue").status_code == 200


def test_it_marks_the_session_cookie_secure_in_production(tmp_path: Path) -> None:
    """In production the cookie is only sent over HTTPS."""
    settings = make_settings(
        tmp_path,
        VIGIE_ENV="production",
        VIGIE_SECRET_KEY="s" * 32,
        VIGIE_SOURCE_ACME_SECRET="a" * 16,
        VIGIE_SOURCE_OTHER_SECRET="o" * 16,
    )
    rt = Runtime(settings)
    assert create_app(runtime=rt).config["SESSION_COOKIE_SECURE"] is True
    rt.close()


def test_it_refuses_a_wrong_password(api: FlaskClient, db: Session) -> None:
    """401 and the login form again, no session."""
    add_user(db, "mia")
    db.commit()
    answer = api.post(
        "/login",
        data={"username": "mia", "password": "nope" * 4, "csrf_token": csrf(api, "/login")},
    )
    assert answer.status_code == 401
    assert "Wrong username or password" in answer.get_data(as_text=True)
    assert api.get("/queue").status_code == 302


def test_it_refuses_a_form_without_its_csrf_token(api: FlaskClient, db: Session) -> None:
    """Login and decisions without the CSRF token are refused with 400 and change nothing."""
    add_user(db, "mia")
    db.commit()
    assert api.post("/login", data={"username": "mia", "password": PASSWORD}).status_code == 400
    log_in(api, "mia")
    item_id = _queued(db)
    api.get(f"/queue/items/{item_id}")
    answer = api.post(f"/queue/items/{item_id}/decide", data={"action": "remove"})
    assert answer.status_code == 400
    assert "CSRF" in answer.get_data(as_text=True)
    db.expire_all()
    assert db.get(ReviewItem, item_id).status is ItemStatus.OPEN


def test_it_never_redirects_to_another_site_after_login(api: FlaskClient, db: Session) -> None:
    """?next= only accepts local paths."""
    add_user(db, "mia")
    db.commit()
    answer = api.post(
        "/login?next=//evil.example/x",
        data={"username": "mia", "password": PASSWORD, "csrf_token": csrf(api, "/login")},
    )
    assert answer.headers["Location"] == "/queue"


def test_it_shows_counts_the_oldest_wait_and_the_reasons(api: FlaskClient, db: Session) -> None:
    """The queue page shows how many wait, since when, and why each item is there."""
    add_user(db, "mia")
    _queued(db, text="Bravo, encore une panne")
    log_in(api, "mia")
    page = api.get("/queue").get_data(as_text=True)
    assert 'id="count-open">1<' in page
    assert 'id="oldest-wait">3 min<' in page
    assert "ironic + moderately toxic" in page
    assert "irony-uncertain" in page
    assert "Bravo, encore une panne" in page


def test_it_filters_the_queue_page(api: FlaskClient, db: Session) -> None:
    """Filters in the query string narrow the list and the counts."""
    add_user(db, "mia")
    _queued(db, platform="youtube", text="on youtube")
    _queued(db, platform="x", text="on x")
    log_in(api, "mia")
    page = api.get("/queue?platform=youtube").get_data(as_text=True)
    assert "on youtube" in page and "on x" not in page
    assert 'id="count-open">1<' in page


def test_it_filters_the_queue_page_by_a_rule_tag(api: FlaskClient, db: Session) -> None:
    """The tag filter offers the current rules' tags and narrows the list to one of them."""
    add_user(db, "mia")
    _queued(db, text="a threat", rule_tags=["threat"])
    _queued(db, text="a pile-on", rule_tags=["pile-on"])
    log_in(api, "mia")
    page = api.get("/queue?tag=threat").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]+)</option>', page)
    assert ("threat", " selected", "threat") in options
    assert ("self-harm", "", "self-harm") in options, "tags of the shipped rules are offered"
    assert "a threat" in page and "a pile-on" not in page
    assert 'id="count-open">1<' in page


def test_it_shows_the_rules_tags_and_priority_on_the_item_page(
    api: FlaskClient, db: Session
) -> None:
    """The item page lists the item's tags, each linking to the queue filtered by it."""
    add_user(db, "mia")
    item_id = _queued(db, rule_tags=["pile-on"], review_priority="high")
    log_in(api, "mia")
    page = api.get(f"/queue/items/{item_id}").get_data(as_text=True)
    assert '<a class="tag" href="/queue?tag=pile-on">pile-on</a>' in page
    assert 'id="review-priority">high<' in page


def test_it_claims_an_item_when_opened_and_shows_it_is_taken(
    api: FlaskClient, review_app: object, db: Session
) -> None:
    """The first moderator holds the item; the second is told who reviews it and gets no form."""
    add_user(db, "mia")
    add_user(db, "noe")
    item_id = _queued(db, author_id="troll")
    log_in(api, "mia")
    page = api.get(f"/queue/items/{item_id}").get_data(as_text=True)
    assert 'id="decide"' in page
    assert "On Vigie: 1 comment, 0 removed" in page
    assert "moderately toxic" in page and "0.55" in page
    other = review_app.test_client()  # type: ignore[attr-defined]
    log_in(other, "noe")
    page = other.get(f"/queue/items/{item_id}").get_data(as_text=True)
    assert "mia is reviewing this item" in page
    assert 'id="decide"' not in page


def test_it_decides_from_the_form_and_moves_to_the_next_item(api: FlaskClient, db: Session) -> None:
    """Remove with a correction: audited as 'web', and the next item opens."""
    add_user(db, "mia")
    first = _queued(db, text="first")
    second = _queued(db, text="second")
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{first}")
    answer = api.post(
        f"/queue/items/{first}/decide",
        data={"action": "remove", "reason": "insult", "corrections": "toxic", "csrf_token": token},
    )
    assert answer.headers["Location"] == "/queue/next"
    follow = api.get("/queue/next")
    assert follow.headers["Location"] == f"/queue/items/{second}"
    entry = db.scalars(select(AuditEntry)).one()
    assert (entry.username, entry.action, entry.corrections, entry.via) == (
        "mia",
        "remove",
        ["toxic"],
        "web",
    )


def test_it_tells_the_moderator_when_someone_else_decided(api: FlaskClient, db: Session) -> None:
    """A decision on an item decided meanwhile is refused with who decided it."""
    mia, _ = add_user(db, "mia"), add_user(db, "noe")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    item = db.get(ReviewItem, item_id)
    item.status, item.decided_by, item.verdict = ItemStatus.DECIDED, mia.id + 1, "approve"
    item.decided_at = datetime.now(UTC)
    db.commit()
    answer = api.post(
        f"/queue/items/{item_id}/decide", data={"action": "remove", "csrf_token": token}
    )
    page = api.get(answer.headers["Location"]).get_data(as_text=True)
    assert "noe already decided this item (approve)" in page


def test_it_shows_the_audit_log_to_admins_only(
    api: FlaskClient, review_app: object, db: Session
) -> None:
    """Moderators get 403; admins see the entries."""
    add_user(db, "mia")
    add_user(db, "root", Role.ADMIN)
    db.commit()
    log_in(api, "mia")
    assert api.get("/queue/audit").status_code == 403
    admin = review_app.test_client()  # type: ignore[attr-defined]
    log_in(admin, "root")
    assert "Audit log" in admin.get("/queue/audit").get_data(as_text=True)


def test_it_logs_out(api: FlaskClient, db: Session) -> None:
    """After logout the queue needs a login again."""
    add_user(db, "mia")
    db.commit()
    log_in(api, "mia")
    api.post("/logout", data={"csrf_token": csrf(api, "/queue")})
    assert api.get("/queue").status_code == 302


def test_it_draws_the_dashboard_charts(api: FlaskClient, db: Session) -> None:
    """The dashboard shows the four charts and the per-rule table after a decision."""
    add_user(db, "mia")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    api.post(
        f"/queue/items/{item_id}/decide",
        data={"action": "approve", "corrections": "not_toxic", "csrf_token": token},
    )
    page = api.get("/queue/dashboard").get_data(as_text=True)
    for chart in ("queue-size", "queue-age", "decisions-hour", "decisions-platform"):
        assert f'id="{chart}"' in page
    assert "<code>irony-uncertain</code></td><td>1</td><td>0</td>" in page
    assert "1 (100%)" in page  # as English writes a percentage (Babel)


def test_it_highlights_what_drove_the_scores(api: FlaskClient, db: Session) -> None:
    """Spans that pushed a score up are marked in the comment, escaped like the rest."""
    add_user(db, "mia")
    spans = [
        {"score": "toxicity", "start": 22, "end": 28, "text": "clowns", "weight": 0.4},
        {"score": "toxicity", "start": 0, "end": 3, "text": "You", "weight": 0.01},
    ]
    scores = {"toxicity": 0.7, "confidence": 0.5, "spans": spans}
    item_id = _queued(db, text="You <b>people</b> are clowns", scores=scores)
    log_in(api, "mia")
    page = api.get(f"/queue/items/{item_id}").get_data(as_text=True)
    assert "You &lt;b&gt;people&lt;/b&gt; are <mark>clowns</mark>" in page


def test_it_renews_a_live_claim_but_never_retakes_a_lost_one(api: FlaskClient, db: Session) -> None:
    """The heartbeat extends the lease (CSRF header required); after expiry it answers 409."""
    user = add_user(db, "mia")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    assert api.post(f"/queue/items/{item_id}/renew").status_code == 400  # no CSRF token
    before = db.get(ReviewItem, item_id).claim_expires_at
    answer = api.post(f"/queue/items/{item_id}/renew", headers={"X-CSRFToken": token})
    assert answer.status_code == 204
    db.expire_all()
    assert db.get(ReviewItem, item_id).claim_expires_at >= before
    item = db.get(ReviewItem, item_id)
    item.claim_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    answer = api.post(f"/queue/items/{item_id}/renew", headers={"X-CSRFToken": token})
    assert answer.status_code == 409
    db.expire_all()
    assert db.get(ReviewItem, item_id).claimed_by == user.id  # untouched, still expired
    assert db.get(ReviewItem, item_id).claim_expires_at < datetime.now(UTC)


def test_an_alerts_review_link_opens_the_queue_narrowed_to_its_incident(
    api: FlaskClient, db: Session
) -> None:
    """The link in a Slack alert shows the incident's platform and window, and nothing else."""
    now = datetime.now(UTC).replace(microsecond=0)
    add_user(db, "mia")
    incident = add_incident(db, "x", now - timedelta(minutes=10))
    add_item(db, text="in the burst", platform="x", at=now - timedelta(minutes=3))
    add_item(db, text="an hour before", platform="x", at=now - timedelta(minutes=60))
    add_item(db, text="on another platform", platform="youtube", at=now - timedelta(minutes=3))
    db.commit()
    link = urlsplit(build_view(db, incident, now, "https://vigie.example").review_url)
    log_in(api, "mia")
    answer = api.get(f"{link.path}?{link.query}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page
    assert "in the burst" in page
    assert "an hour before" not in page and "on another platform" not in page
    assert 'id="count-open">1<' in page and 'id="incident-filter"' in page

    incident.resolved_at = now - timedelta(minutes=4)  # resolved before that comment came
    db.commit()
    page = api.get(f"{link.path}?{link.query}").get_data(as_text=True)
    assert "in the burst" not in page and 'id="count-open">0<' in page

    unknown = api.get("/queue?incident=9999")
    assert unknown.status_code == 404 and "no alert incident #9999" in unknown.text
    assert api.get("/queue?incident=abc").status_code == 400


def test_a_topic_alerts_review_link_shows_that_topics_comments_only(
    api: FlaskClient, db: Session
) -> None:
    """A spike on a watched topic: the queue shows the comments about it, not the platform's."""
    now = datetime.now(UTC).replace(microsecond=0)
    add_user(db, "mia")
    incident = add_incident(db, "x", now - timedelta(minutes=10), topic="launch")
    add_item(db, text="about the launch", platform="x", at=now, topics=["launch"])
    add_item(db, text="about the recall", platform="x", at=now, topics=["recall"])
    add_item(db, text="about nothing watched", platform="x", at=now)
    db.commit()
    link = urlsplit(build_view(db, incident, now, "https://vigie.example").review_url)
    log_in(api, "mia")
    page = api.get(f"{link.path}?{link.query}").get_data(as_text=True)
    assert "about the launch" in page and 'id="count-open">1<' in page
    assert "about the recall" not in page and "about nothing watched" not in page
    assert "about launch" in page  # the banner says which topic


def test_deciding_from_an_incidents_queue_stays_in_that_incident(
    api: FlaskClient, db: Session
) -> None:
    """After a decision opened from an alert's review link, the next item is the incident's too."""
    now = datetime.now(UTC).replace(microsecond=0)
    add_user(db, "mia")
    incident = add_incident(db, "x", now - timedelta(minutes=10))
    elsewhere = add_item(
        db, text="older, elsewhere", platform="youtube", at=now - timedelta(hours=2)
    )
    first = add_item(db, text="in the burst", platform="x", at=now - timedelta(minutes=5))
    second = add_item(db, text="in the burst too", platform="x", at=now - timedelta(minutes=4))
    db.commit()
    assert elsewhere.id  # first in the whole queue: the oldest
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{first.id}?incident={incident.id}")
    answer = api.post(
        f"/queue/items/{first.id}/decide?incident={incident.id}",
        data={"action": "approve", "csrf_token": token},
    )
    assert answer.headers["Location"] == f"/queue/next?incident={incident.id}"
    follow = api.get(answer.headers["Location"])
    assert follow.headers["Location"] == f"/queue/items/{second.id}?incident={incident.id}"


def test_a_decision_after_the_session_ended_sends_back_to_the_item_through_the_login(
    review_app: object, api: FlaskClient, db: Session
) -> None:
    """Logged out in another tab (or the session expired): deciding from a page still open says
    so in words, changes nothing, and after logging in again the moderator is back on the item."""
    add_user(db, "mia")
    item_id = _queued(db)
    log_in(api, "mia")
    page = f"/queue/items/{item_id}?platform=x"
    token = csrf(api, page)
    other_tab = review_app.test_client()  # type: ignore[attr-defined]
    other_tab.set_cookie("vigie_session", api.get_cookie("vigie_session").value)
    other_tab.post("/logout", data={"csrf_token": token})
    api.delete_cookie("vigie_session")  # the logout's cookie, as the browser shares it
    answer = api.post(
        f"/queue/items/{item_id}/decide?platform=x",
        data={"action": "remove", "csrf_token": token},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/login"
    login_page = api.get(answer.headers["Location"]).get_data(as_text=True)
    assert "session ended" in login_page and "nothing was changed" in login_page
    assert "CSRF" not in login_page
    db.expire_all()
    assert db.get(ReviewItem, item_id).status is ItemStatus.OPEN
    back = api.post(
        answer.headers["Location"],
        data={"username": "mia", "password": PASSWORD, "csrf_token": csrf(api, "/login")},
    )
    assert back.headers["Location"] == page


def test_a_form_from_an_older_session_is_refused_in_words(api: FlaskClient, db: Session) -> None:
    """Logged in again since the page was loaded: 400, nothing changed, and what to do."""
    add_user(db, "mia")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    log_in(api, "mia")  # a fresh session: the old page's token is stale
    answer = api.post(
        f"/queue/items/{item_id}/decide", data={"action": "remove", "csrf_token": token}
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "nothing was changed" in text and "Reload the page" in text
    db.expire_all()
    assert db.get(ReviewItem, item_id).status is ItemStatus.OPEN


def test_the_same_decision_posted_twice_moves_on_without_an_error(
    api: FlaskClient, db: Session
) -> None:
    """A double key press posts the form twice: the second finds the moderator's own identical
    decision and goes on to the next item, instead of back to the decided one with an error."""
    add_user(db, "mia")
    first = _queued(db, text="first")
    second = _queued(db, text="second")
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{first}")
    form = {"action": "remove", "csrf_token": token}
    assert api.post(f"/queue/items/{first}/decide", data=form).headers["Location"] == "/queue/next"
    again = api.post(f"/queue/items/{first}/decide", data=form)
    assert again.headers["Location"] == "/queue/next"
    follow = api.get("/queue/next")
    assert follow.headers["Location"] == f"/queue/items/{second}"
    page = api.get(follow.headers["Location"]).get_data(as_text=True)
    assert "already decided" not in page and f"Remove: item #{first}." in page
    assert len(db.scalars(select(AuditEntry)).all()) == 1


def test_a_refused_decision_is_explained_once(api: FlaskClient, db: Session) -> None:
    """Someone else holds the item: the item page says so once, not twice."""
    add_user(db, "mia")
    noe = add_user(db, "noe")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    item = db.get(ReviewItem, item_id)
    item.claimed_by, item.claim_expires_at = noe.id, datetime.now(UTC) + timedelta(minutes=5)
    db.commit()
    answer = api.post(
        f"/queue/items/{item_id}/decide", data={"action": "approve", "csrf_token": token}
    )
    page = api.get(answer.headers["Location"]).get_data(as_text=True)
    assert page.count("noe is reviewing this item") == 1


def test_start_reviewing_says_when_every_waiting_item_is_held_by_others(
    api: FlaskClient, db: Session
) -> None:
    """Items wait but colleagues hold them all: that is what the moderator is told, not that
    the queue is empty."""
    add_user(db, "mia")
    noe = add_user(db, "noe")
    item_id = _queued(db)
    item = db.get(ReviewItem, item_id)
    item.claimed_by, item.claim_expires_at = noe.id, datetime.now(UTC) + timedelta(minutes=5)
    db.commit()
    log_in(api, "mia")
    answer = api.post("/queue/next", data={"csrf_token": csrf(api, "/queue")})
    page = api.get(answer.headers["Location"]).get_data(as_text=True)
    assert "queue is empty" not in page
    assert "1 waiting item is being reviewed by someone else" in page


def test_going_back_to_a_decided_item_shows_its_decision_not_an_error(
    api: FlaskClient, db: Session
) -> None:
    """The back button after a decision: the item says who decided what, as information."""
    add_user(db, "mia")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    api.post(f"/queue/items/{item_id}/decide", data={"action": "remove", "csrf_token": token})
    page = api.get(f"/queue/items/{item_id}").get_data(as_text=True)
    assert "mia already decided this item (remove)" in page
    assert "flash-error" not in page and 'role="alert"' not in page


def test_the_login_redirect_keeps_a_clean_return_address(api: FlaskClient) -> None:
    """/queue without a query comes back as /queue, not /queue? ; a query is kept."""
    assert api.get("/queue").headers["Location"] == "/login?next=/queue"
    answer = api.get("/queue?platform=x")
    assert answer.headers["Location"] == "/login?next=/queue?platform%3Dx"


def test_a_decision_on_an_item_given_back_says_why_in_a_moderators_words(
    api: FlaskClient, db: Session
) -> None:
    """Two items opened in two tabs: the first was given back when the second opened. Deciding
    it says what happened and that it is held again, not 'claim the item before deciding it'."""
    add_user(db, "mia")
    first, second = _queued(db, text="first"), _queued(db, text="second")
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{first}")
    api.get(f"/queue/items/{second}")  # the other tab
    answer = api.post(
        f"/queue/items/{first}/decide", data={"action": "remove", "csrf_token": token}
    )
    page = api.get(answer.headers["Location"]).get_data(as_text=True)
    assert "claim the item before deciding it" not in page
    assert "not applied" in page and "yours again" in page
    db.expire_all()
    assert db.get(ReviewItem, first).status is ItemStatus.OPEN


def test_an_unknown_item_says_which_one_is_missing(api: FlaskClient, db: Session) -> None:
    add_user(db, "mia")
    db.commit()
    log_in(api, "mia")
    answer = api.get("/queue/items/424242")
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert "No review item #424242." in page and "check your spelling" not in page


def test_release_gives_back_only_the_moderators_own_claim(api: FlaskClient, db: Session) -> None:
    """The item page's release (on leaving it) frees the item; it never frees a colleague's."""
    add_user(db, "mia")
    noe = add_user(db, "noe")
    mine, theirs = _queued(db), _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{mine}")
    item = db.get(ReviewItem, theirs)
    item.claimed_by, item.claim_expires_at = noe.id, datetime.now(UTC) + timedelta(minutes=5)
    db.commit()
    for item_id in (mine, theirs):
        answer = api.post(f"/queue/items/{item_id}/release", data={"csrf_token": token})
        assert answer.status_code == 204
    db.expire_all()
    assert db.get(ReviewItem, mine).claimed_by is None
    assert db.get(ReviewItem, theirs).claimed_by == noe.id


def test_logging_out_gives_back_the_item_being_reviewed(api: FlaskClient, db: Session) -> None:
    """End of a shift: the item the moderator had open is free for colleagues at once."""
    add_user(db, "mia")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    db.expire_all()
    assert db.get(ReviewItem, item_id).claimed_by is not None
    api.post("/logout", data={"csrf_token": token})
    db.expire_all()
    assert db.get(ReviewItem, item_id).claimed_by is None
