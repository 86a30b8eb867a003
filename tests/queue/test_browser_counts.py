"""The queue page's counts refresh themselves in the browser (Playwright + Debian's Chromium).

Comments arrive through the signed webhook behind the page's back, are scored as the worker
scores them, and the open tab shows the new figures without a reload: the moderator keeps their
place and focus. A hidden tab does not poll; it catches up as soon as it shows again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.models import Comment, CommentStatus
from moderation.review.models import Role
from tests.queue.conftest import add_item, add_user, token_for
from tests.queue.test_browser import browser, live_url, log_in  # noqa: F401 - fixtures
from tests.support import comment, signed
from workers.tasks import score

pytestmark = pytest.mark.browser
# Texts the shipped rules always send to people (threats).
THREATS = ["Je vais te tuer, je sais où tu habites", "Je sais où tu habites."]
COUNTS = "document.getElementById('{}').textContent === '{}'"


def _set_visibility(page: Any, state: str) -> None:
    """What the browser does when the moderator switches tabs (headless tabs never hide)."""
    page.evaluate(
        """state => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            Object.defineProperty(document, "hidden", {value: state === "hidden", configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def test_the_queue_counts_refresh_in_place_while_the_tab_is_visible(
    browser: Any,  # noqa: F811
    live_url: str,  # noqa: F811
    review_runtime: Any,
    db: Session,
) -> None:
    add_user(db, "mia")
    headers = token_for(db, add_user(db, "crm", Role.ADMIN), "queue:read", "queue:write")
    add_item(db, text="Bravo pour la panne 👏", at=datetime.now(UTC) - timedelta(minutes=5))
    db.commit()
    page = browser.new_context().new_page()
    page.clock.install()  # the page's timers run when the test says so
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/queue/counts" in r.url else None)
    log_in(page, live_url, "mia")
    assert page.inner_text("#count-open") == "1"
    assert page.get_attribute("#counts-live", "aria-live") == "polite"
    page.focus("select[name=tag]")  # where the moderator was

    body, signature = signed(
        {"comments": [comment(f"w{n}", text=t) for n, t in enumerate(THREATS)]}
    )
    answer = requests.post(f"{live_url}/v1/comments", data=body, headers=signature, timeout=10)
    assert answer.status_code == 202, answer.text
    db.expire_all()
    pending = db.scalars(select(Comment.id).where(Comment.status == CommentStatus.PENDING)).all()
    score(review_runtime, list(pending))  # what the worker does with them

    page.clock.run_for(21_000)
    page.wait_for_function(COUNTS.format("count-open", "3"), timeout=10_000)
    assert page.url == f"{live_url}/queue", "no reload"
    assert page.evaluate("document.activeElement.name") == "tag", "the focus stayed put"
    assert page.inner_text("#counts-live") == "Queue updated: 3 waiting, 0 being reviewed."
    assert page.is_visible("#queue-stale") and page.is_enabled("#start")
    assert page.inner_text("#oldest-wait") == "5 min"

    # Another tab in front: no polling meanwhile, however long.
    _set_visibility(page, "hidden")
    seen = len(polls)
    claimed = requests.post(f"{live_url}/v1/review/claim", headers=headers, timeout=10)
    assert claimed.status_code == 200, claimed.text
    page.clock.run_for(180_000)
    page.wait_for_timeout(300)
    assert len(polls) == seen and page.inner_text("#count-claimed") == "0"
    # Back to the queue's tab: up to date at once, not one interval later.
    _set_visibility(page, "visible")
    page.wait_for_function(COUNTS.format("count-claimed", "1"), timeout=5_000)
    assert page.inner_text("#counts-live") == "Queue updated: 3 waiting, 1 being reviewed."
