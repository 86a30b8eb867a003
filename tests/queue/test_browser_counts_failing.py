"""The queue page's counts when their refresh fails (Playwright + Debian's Chromium).

A server error or a network failure now and then is retried quietly; repeated failures show a
small notice under the figures and space the polls out, until one succeeds. An answer that
will not heal (the alert incident in the filter deleted, the session ended) stops the polling
with the reason, instead of retrying every 20 s forever.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from alerts.models import Incident
from tests.queue.conftest import add_incident, add_item, add_user
from tests.queue.test_browser import ARTIFACTS, browser, live_url, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
FAILURES = "document.getElementById('stats').dataset.failures === '{}'"
STOPPED = "document.getElementById('stats').dataset.polling === 'stopped'"


def _counts(r: Any) -> bool:
    return "/queue/counts" in r.url


def _counted(page: Any) -> list[str]:
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/queue/counts" in r.url else None)
    return polls


def test_repeated_failures_show_a_notice_back_off_and_clear_once_it_works(
    browser: Any,  # noqa: F811
    live_url: str,  # noqa: F811
    db: Session,
) -> None:
    add_user(db, "mia")
    add_item(db, at=datetime.now(UTC) - timedelta(minutes=5))
    db.commit()
    page = browser.new_context().new_page()
    page.clock.install()
    polls = _counted(page)
    log_in(page, live_url, "mia")
    answers = iter(["abort", 503, 502])  # the network down, then the server failing

    def failing(route: Any) -> None:
        answer = next(answers, 500)
        if answer == "abort":
            route.abort("connectionrefused")
        else:
            route.fulfill(status=answer, json={"error": "unavailable", "detail": "down"})

    page.route("**/queue/counts*", failing)

    with page.expect_event("requestfailed", _counts):
        page.clock.run_for(21_000)  # the first poll, 20 s after load: the network is down
    page.wait_for_timeout(200)
    page.clock.run_for(30_000)
    page.wait_for_timeout(200)
    assert len(polls) == 1, "backed off: the next poll is 40 s after the failure, not 20"
    assert page.get_attribute("#stats", "data-failures") == "1"
    assert page.is_hidden("#counts-notice"), "one failure says nothing"
    page.clock.run_for(11_000)
    page.wait_for_function(FAILURES.format(2))
    assert page.is_hidden("#counts-notice")
    page.clock.run_for(81_000)  # 80 s later: the third failure in a row
    page.wait_for_function(FAILURES.format(3))
    notice = page.inner_text("#counts-notice")
    assert page.is_visible("#counts-notice")
    assert "have not refreshed since" in notice and "the server answered 502" in notice, notice
    assert "every 2 min 40 s." in notice, notice
    assert page.inner_text("#counts-live") == notice  # said once to screen readers
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-counts-failing.png"))
    assert len(polls) == 3
    page.clock.run_for(150_000)
    page.wait_for_timeout(200)
    assert len(polls) == 3, "still backing off"

    # The server is back, with a new item meanwhile: the next poll clears the notice.
    page.unroute("**/queue/counts*")
    add_item(db, at=datetime.now(UTC) - timedelta(minutes=1))
    db.commit()
    page.clock.run_for(11_000)
    page.wait_for_function(FAILURES.format(0))
    page.wait_for_function("document.getElementById('count-open').textContent === '2'")
    assert page.is_hidden("#counts-notice") and len(polls) == 4
    page.clock.run_for(21_000)  # back to every 20 s
    page.wait_for_timeout(300)
    assert len(polls) == 5


def test_a_deleted_incident_stops_the_polling_with_the_reason(
    browser: Any,  # noqa: F811
    live_url: str,  # noqa: F811
    db: Session,
) -> None:
    """An alert's review link, the incident deleted since: 404 for good, said once, no retries."""
    add_user(db, "mia")
    opened = datetime.now(UTC) - timedelta(minutes=10)
    incident = add_incident(db, "x", opened)
    add_item(db, at=opened + timedelta(minutes=1), platform="x")
    db.commit()
    page = browser.new_context().new_page()
    page.clock.install()
    polls = _counted(page)
    log_in(page, live_url, "mia")
    page.goto(f"{live_url}/queue?incident={incident.id}")
    assert page.is_visible("#incident-filter")
    db.delete(db.get(Incident, incident.id))
    db.commit()
    with page.expect_response(_counts) as answer:
        page.clock.run_for(21_000)
    assert answer.value.status == 404
    page.wait_for_timeout(300)
    page.clock.run_for(900_000)
    page.wait_for_timeout(300)
    assert len(polls) == 1, "no retry of an answer that will not change"
    page.wait_for_function(STOPPED)
    notice = page.inner_text("#counts-notice")
    assert page.is_visible("#counts-notice")
    assert f"there is no alert incident #{incident.id}" in notice, notice


def test_a_session_ended_elsewhere_is_shown_not_only_announced(
    browser: Any,  # noqa: F811
    live_url: str,  # noqa: F811
    db: Session,
) -> None:
    """Logged out in another tab: the page stops polling and says why the numbers froze."""
    add_user(db, "mia")
    db.commit()
    context = browser.new_context()
    page = context.new_page()
    page.clock.install()
    polls = _counted(page)
    log_in(page, live_url, "mia")
    other = context.new_page()
    other.goto(f"{live_url}/queue")
    other.click("text=Log out")
    other.wait_for_url(f"{live_url}/login")
    page.clock.run_for(21_000)
    page.wait_for_function(STOPPED)
    assert "logged out" in page.inner_text("#counts-notice")  # shown
    assert "logged out" in page.inner_text("#counts-live")  # and announced
    seen = len(polls)
    page.clock.run_for(600_000)
    page.wait_for_timeout(300)
    assert len(polls) == seen
