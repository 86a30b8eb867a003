"""Browser tests: Playwright driving Debian's Chromium against a live Vigie web server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from moderation.review.models import AuditEntry, ItemStatus, ReviewItem, Role
from tests.queue.conftest import PASSWORD, add_item, add_user

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.browser


@pytest.fixture
def live_url(review_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, review_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def log_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base}/queue")


def _seed(db: Session) -> tuple[int, int]:
    now = datetime.now(UTC)
    add_user(db, "root", Role.ADMIN)
    add_user(db, "mia")
    add_user(db, "noe")
    first = add_item(
        db,
        text="Bravo pour la panne, vraiment génial 👏",
        at=now - timedelta(minutes=42),
        author_handle="@marie",
        author_followers=12000,
    )
    second = add_item(
        db,
        text="You people are clowns",
        at=now - timedelta(minutes=7),
        platform="youtube",
        language="en",
    )
    add_item(db, text="Boycott Acme now!!", at=now - timedelta(minutes=3), author_handle="@raid1")
    add_item(db, text="boycott acme NOW", at=now - timedelta(minutes=2), author_handle="@raid2")
    db.commit()
    return first.id, second.id


def test_it_decides_an_item_by_keyboard_and_audits_it(
    browser: Any, live_url: str, db: Session
) -> None:
    """Log in, see the reasons, press r: the item leaves the queue and the audit shows it."""
    first, _ = _seed(db)
    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    log_in(page, live_url, "root")
    assert page.inner_text("#count-open") == "4"
    assert "ironic + moderately toxic" in page.inner_text("#queue")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    page.keyboard.press("Enter")  # the first row is selected: the top-priority item
    page.wait_for_url(f"{live_url}/queue/items/{first}")
    assert "ironic" in page.inner_text("#why")
    assert "ironic and moderately toxic" in page.inner_text("#reasons")
    page.screenshot(path=str(ARTIFACTS / "item.png"), full_page=True)
    page.keyboard.press("r")
    page.wait_for_url(f"{live_url}/queue/items/*")
    assert f"Remove: item #{first}." in page.inner_text(".flash-ok")
    page.goto(f"{live_url}/queue")
    assert page.inner_text("#count-open") == "3"
    assert page.locator(f'#queue tr[data-item="{first}"]').count() == 0
    page.goto(f"{live_url}/queue/audit")
    row = page.locator("#audit tbody tr").first.inner_text()
    assert "root" in row and f"#{first}" in row and "remove" in row
    page.goto(f"{live_url}/queue/dashboard")
    assert page.locator("#decisions-hour rect").count() == 24
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    db.expire_all()
    item = db.get(ReviewItem, first)
    assert item.status is ItemStatus.DECIDED
    assert db.scalars(select(AuditEntry)).one().via == "web"


def test_it_moves_with_j_and_k_and_skips_with_s(browser: Any, live_url: str, db: Session) -> None:
    """j opens the next item, k goes back, s skips and opens the next one."""
    first, second = _seed(db)
    page = browser.new_context().new_page()
    log_in(page, live_url, "mia")
    page.goto(f"{live_url}/queue/items/{first}")
    page.keyboard.press("j")
    page.wait_for_url(f"{live_url}/queue/items/{second}")
    page.keyboard.press("k")
    page.wait_for_url(f"{live_url}/queue/items/{first}")
    page.keyboard.press("s")
    page.wait_for_url(f"{live_url}/queue/items/*")
    assert "Skip: item" in page.inner_text(".flash-ok")
    db.expire_all()
    assert db.get(ReviewItem, first).status is ItemStatus.OPEN


def test_it_never_gives_two_moderators_the_same_item(
    browser: Any, live_url: str, db: Session
) -> None:
    """Two browser contexts start reviewing: different items; the other's item says who holds it."""
    _seed(db)
    mia = browser.new_context().new_page()
    noe = browser.new_context().new_page()
    log_in(mia, live_url, "mia")
    log_in(noe, live_url, "noe")
    mia.click("text=Start reviewing")
    noe.click("text=Start reviewing")
    mia.wait_for_url(f"{live_url}/queue/items/*")
    noe.wait_for_url(f"{live_url}/queue/items/*")
    assert mia.url != noe.url
    noe.goto(mia.url)
    assert "mia is reviewing this item" in noe.inner_text("#problem")
    assert noe.locator("#decide").count() == 0


def test_it_bulk_removes_a_raid_from_the_item_page(
    browser: Any, live_url: str, db: Session
) -> None:
    """Ticking the group box removes the near-identical copies too."""
    _seed(db)
    raid = db.scalars(
        select(ReviewItem).where(ReviewItem.platform == "x").order_by(ReviewItem.id.desc())
    ).first()
    page = browser.new_context().new_page()
    log_in(page, live_url, "mia")
    page.goto(f"{live_url}/queue/items/{raid.id}")
    page.check("#group")
    page.keyboard.press("r")  # shortcuts still work with the focus on a checkbox
    assert "Remove: 2 items." in page.inner_text(".flash-ok")


def test_on_call_staff_acknowledge_an_alert_and_follow_it_to_its_comments(
    browser: Any, live_url: str, db: Session
) -> None:
    """From the nav to the alerts page, Acknowledge, then the incident's review link."""
    from alerts import counts, evaluate
    from alerts.evaluate import Context
    from alerts.models import Incident
    from alerts.policy import Policy
    from tests.alerts.alert_series import fill_counts

    now = datetime.now(UTC)
    add_user(db, "mia")
    add_item(db, text="Vous êtes des escrocs", at=now - timedelta(minutes=1), platform="x")
    fill_counts(db, counts.minute_of(now), "x", burst=30)
    evaluate.run(db, now, Context(Policy({"default": "#alerts"}), transport="slack"))
    db.commit()
    incident_id = db.scalars(select(Incident.id).where(Incident.kind == "spike")).one()

    page = browser.new_page()
    log_in(page, live_url, "mia")
    page.click("header nav >> text=Alerts")
    row = page.locator(f"tr[data-incident='{incident_id}']")
    row.locator("button", has_text="Acknowledge").click()
    page.wait_for_selector(".flash-ok")
    assert "acknowledged" in row.locator("td.state").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
    row.locator("a", has_text="Review comments").click()
    page.wait_for_selector("#incident-filter")
    assert "Vous êtes des escrocs" in page.locator("#queue").inner_text()
    db.expire_all()
    assert db.get(Incident, incident_id).acknowledged_by == "mia"  # type: ignore[union-attr]


def test_enter_on_a_focused_link_or_button_of_the_queue_does_what_it_says(
    browser: Any, live_url: str, db: Session
) -> None:
    """Keyboard-only use: Enter on a nav link, a row's link or a button is not taken for
    "open the selected row"."""
    first, second = _seed(db)
    page = browser.new_context().new_page()
    log_in(page, live_url, "mia")
    page.focus("header nav >> text=Alerts")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/alerts")
    page.goto(f"{live_url}/queue")
    assert page.locator("#queue tr.row").first.get_attribute("data-item") == str(first)
    page.focus(f'#queue tr[data-item="{second}"] td.text a')  # not the selected (first) row
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/queue/items/{second}")
    page.goto(f"{live_url}/queue")
    page.focus("header >> text=Log out")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/login")


def test_every_page_fits_a_375_px_phone_screen(browser: Any, live_url: str, db: Session) -> None:
    """On a phone the pages do not scroll sideways: the item's panels stack, wide tables scroll
    inside their own box, and the decision buttons stay on screen."""
    first, _ = _seed(db)
    page = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True).new_page()
    log_in(page, live_url, "root")
    for path in ("/queue", f"/queue/items/{first}", "/alerts", "/queue/audit", "/queue/dashboard"):
        page.goto(f"{live_url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
        assert width <= 375, (path, width)
    page.goto(f"{live_url}/queue/items/{first}")
    scores = page.evaluate(
        "(() => { const t = document.querySelector('table.scores'); "
        "return [t.scrollWidth, t.clientWidth]; })()"
    )
    assert scores[0] <= scores[1], f"the scores' words are cut off: {scores}"
    for key in "are":
        box = page.locator(f'#decide button[data-key="{key}"]').bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375, key


def test_the_item_page_says_so_when_the_session_ends_while_it_is_open(
    browser: Any, live_url: str, review_runtime: Any, db: Session
) -> None:
    """The claim's heartbeat meets a logout from another tab: the page stops saying the item is
    the moderator's, and deciding leads through the login back to the item."""
    from dataclasses import replace

    review_runtime.settings = replace(review_runtime.settings, claim_lease_s=10.0)  # beat: 5 s
    first, _ = _seed(db)
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_url, "mia")
    page.goto(f"{live_url}/queue/items/{first}")
    assert "Yours while this page is open" in page.inner_text("#lease")
    other_tab = context.new_page()
    other_tab.goto(f"{live_url}/queue")
    other_tab.click("text=Log out")
    other_tab.wait_for_url(f"{live_url}/login")
    page.wait_for_function(
        "document.getElementById('lease').textContent.includes('logged out')", timeout=15_000
    )
    page.keyboard.press("a")
    page.wait_for_url(f"{live_url}/login?next=/queue/items/{first}")
    assert "nothing was changed" in page.inner_text("main")
    page.fill("input[name=username]", "mia")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{live_url}/queue/items/{first}")
    db.expire_all()
    assert db.get(ReviewItem, first).status is ItemStatus.OPEN


def test_enter_in_the_reason_field_decides_nothing(
    browser: Any, live_url: str, db: Session
) -> None:
    """Typing a reason and pressing Enter must not submit the form with its first button
    (Approve): the moderator chooses the action with its button or key."""
    first, _ = _seed(db)
    page = browser.new_context().new_page()
    log_in(page, live_url, "mia")
    page.goto(f"{live_url}/queue/items/{first}")
    page.fill("#reason", "insulte caractérisée")
    page.press("#reason", "Enter")
    page.wait_for_timeout(1500)
    assert page.url == f"{live_url}/queue/items/{first}"
    db.expire_all()
    assert db.get(ReviewItem, first).status is ItemStatus.OPEN
    page.click("#decide button[value=remove]")
    page.wait_for_selector(".flash-ok")
    db.expire_all()
    item = db.get(ReviewItem, first)
    assert (item.verdict, item.verdict_reason) == ("remove", "insulte caractérisée")


def test_leaving_an_item_for_the_queue_gives_it_back(
    browser: Any, live_url: str, db: Session
) -> None:
    """Back to the queue by its link: colleagues can take the item at once, not after the lease;
    a link opened in a new tab (ctrl-click) keeps it."""
    first, _ = _seed(db)
    page = browser.new_context().new_page()
    log_in(page, live_url, "mia")
    page.goto(f"{live_url}/queue/items/{first}")
    page.click("nav.pager >> text=queue", modifiers=["Control"])
    page.wait_for_timeout(500)
    db.expire_all()
    assert db.get(ReviewItem, first).claimed_by is not None
    page.click("nav.pager >> text=queue")
    page.wait_for_url(f"{live_url}/queue")
    for _ in range(20):
        db.expire_all()
        if db.get(ReviewItem, first).claimed_by is None:
            break
        page.wait_for_timeout(100)
    item = db.get(ReviewItem, first)
    assert (item.claimed_by, item.claim_expires_at) == (None, None)


def test_the_item_page_says_so_when_the_claim_cannot_be_renewed(
    browser: Any, live_url: str, review_runtime: Any, db: Session
) -> None:
    """A renewal that fails with a server error (or no network) is not silent: the page says
    when the claim runs out, and goes back to normal once a renewal gets through."""
    from dataclasses import replace

    review_runtime.settings = replace(review_runtime.settings, claim_lease_s=10.0)  # beat: 5 s
    first, _ = _seed(db)
    page = browser.new_context().new_page()
    log_in(page, live_url, "mia")
    page.goto(f"{live_url}/queue/items/{first}")
    assert "Yours while this page is open" in page.inner_text("#lease")
    renew = f"**/queue/items/{first}/renew"
    page.route(renew, lambda route: route.fulfill(status=503, body="down"))
    page.wait_for_function(
        "document.getElementById('lease').textContent.includes('could not be renewed')",
        timeout=15_000,
    )
    assert "runs out at" in page.inner_text("#lease")
    page.unroute(renew)
    page.wait_for_function(
        "document.getElementById('lease').textContent.includes('Yours while this page is open')",
        timeout=15_000,
    )
    db.expire_all()
    assert db.get(ReviewItem, first).status is ItemStatus.OPEN
