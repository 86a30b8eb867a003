"""Paging the queue in the browser (Playwright + Debian's Chromium): a team with more than a
page of waiting comments reaches every one with Next and Previous, filters kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.queue.conftest import add_item, add_user
from tests.queue.test_browser import ARTIFACTS, browser, live_url, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _rows(page: Any) -> list[int]:
    return [
        int(i)
        for i in page.eval_on_selector_all("#queue tr.row", "r => r.map(x => x.dataset.item)")
    ]


def test_a_moderator_pages_through_more_than_fifty_items_with_the_filters_kept(
    browser: Any,  # noqa: F811
    live_url: str,  # noqa: F811
    db: Session,
) -> None:
    add_user(db, "mia")
    base = datetime.now(UTC) - timedelta(hours=10)
    for k in range(20):  # another platform's items, filtered out
        add_item(db, at=base + timedelta(minutes=k), platform="x", text=f"x {k}")
    ids = [
        add_item(db, at=base + timedelta(minutes=20 + k), platform="youtube", text=f"yt {k}").id
        for k in range(75)
    ]
    db.commit()
    page = browser.new_context().new_page()
    log_in(page, live_url, "mia")
    assert page.inner_text("#page-range") == "Showing 1–50 of 95"
    page.select_option("select[name=platform]", "youtube")
    page.click("form.filters button[type=submit]")
    page.wait_for_function("document.getElementById('page-range').textContent.includes('of 75')")
    assert page.inner_text("#page-range") == "Showing 1–50 of 75"
    assert _rows(page) == ids[:50]
    assert page.locator("#page-prev").count() == 0

    page.click("#page-next")
    page.wait_for_function(
        "document.getElementById('page-range').textContent.startsWith('Showing 51')"
    )
    assert page.inner_text("#page-range") == "Showing 51–75 of 75"
    assert _rows(page) == ids[50:]
    assert "platform=youtube" in page.url
    assert page.eval_on_selector("select[name=platform]", "s => s.value") == "youtube"
    assert page.locator("#page-next").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-page-2.png"))
    # The bottom of the page has the same links, for a moderator who scrolled down.
    assert page.locator("#paging-bottom a[rel=prev]").count() == 1

    # Open an item from page 2 and come back to page 2 with its "← queue" link.
    page.click(f'#queue tr[data-item="{ids[60]}"] a')
    page.wait_for_url(f"{live_url}/queue/items/{ids[60]}*")
    page.click("text=← queue")
    page.wait_for_function(
        "document.getElementById('page-range').textContent.startsWith('Showing 51')"
    )

    page.click("#page-prev")
    page.wait_for_function(
        "document.getElementById('page-range').textContent.startsWith('Showing 1–')"
    )
    assert _rows(page) == ids[:50] and "platform=youtube" in page.url
    assert page.locator("#page-prev").count() == 0
