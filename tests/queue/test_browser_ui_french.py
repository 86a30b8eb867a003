"""The moderator pages in French, in Chromium: the header's switch, the queue, an item, the
alerts, and what review.js writes itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from moderation.review.models import User
from tests.queue.conftest import add_incident, add_item, add_user
from tests.queue.test_browser import ARTIFACTS, browser, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
PORTS = range(8760, 8770)  # the ports this machine's test servers may use
WRITTEN = datetime(2026, 11, 24, 21, 8, tzinfo=UTC)


@pytest.fixture
def live_url(review_app: Flask) -> Iterator[str]:
    """The app on the first free port of PORTS."""
    server: BaseWSGIServer | None = None
    for port in PORTS:
        try:
            server = make_server("127.0.0.1", port, review_app, threaded=True)
            break
        except OSError:
            continue
    if server is None:
        pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_moderator_switches_to_french_and_every_page_follows(
    browser: Any,  # noqa: F811
    live_url: str,
    db: Session,
) -> None:
    """English by default; the header's « Français » turns the queue, the item page, the alerts
    and the script's own messages French, with French dates, and it stays so after logging in
    again elsewhere (it is kept on the account)."""
    add_user(db, "mia")
    item = add_item(db, text="Bravo pour la panne 👏", at=WRITTEN, author_handle="@marie")
    incident = add_incident(db, "x", WRITTEN)
    db.commit()
    page = browser.new_context(locale="en-US").new_page()
    page.clock.install()  # the counts refresh when the test says so
    log_in(page, live_url, "mia")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#start") == "Start reviewing"

    page.click("#language button[value=fr]")
    page.wait_for_function("document.documentElement.lang === 'fr'")
    assert page.url == f"{live_url}/queue", "back on the page it was switched from"
    assert page.title() == "File de modération · Vigie"
    assert page.inner_text("#start") == "Commencer la modération"
    assert page.get_attribute("#language button[value=fr]", "aria-pressed") == "true"
    assert "ironique + moyennement toxique" in page.inner_text("#queue")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-fr.png"), full_page=True)

    # Written by review.js, from the strings the page gave it.
    add_item(db, text="Encore une panne", at=datetime.now(UTC) - timedelta(minutes=1))
    db.commit()
    page.clock.run_for(21_000)
    page.wait_for_function("document.getElementById('count-open').textContent === '2'")
    assert (
        page.inner_text("#counts-live")
        == "File mise à jour\u00a0: 2 en attente, 0 en cours d’examen."
    )

    page.goto(f"{live_url}/queue/items/{item.id}")
    assert page.inner_text("#written-at") == "24 nov. 2026, 21:08 UTC"
    assert page.inner_text("h2 >> nth=0") == "Pourquoi il est dans la file"
    assert "Valider" in page.inner_text("#decide button[value=approve]")
    assert page.get_attribute("#comment-text", "lang") == "fr"  # the comment's own language
    page.screenshot(path=str(ARTIFACTS / "item-fr.png"), full_page=True)

    page.click("nav a[href='/alerts']")
    page.wait_for_url(f"{live_url}/alerts")
    row = page.locator("#incidents tr.incident-row").first
    assert "24 nov. 2026, 21:08" in row.inner_text()
    assert row.locator("button", has_text="Acquitter").count() == 1
    row.locator("button", has_text="Acquitter").click()
    page.wait_for_url(f"{live_url}/alerts")
    assert page.inner_text(".flash-ok") == f"Acquitté\u00a0: incident n°\u00a0{incident.id}."
    assert row.locator("td.state").inner_text().startswith("acquitté")
    page.screenshot(path=str(ARTIFACTS / "alerts-fr.png"), full_page=True)

    db.expire_all()
    assert db.query(User).filter_by(username="mia").one().language == "fr"
    other = browser.new_context(locale="en-US").new_page()  # another browser, English
    log_in(other, live_url, "mia")
    assert other.get_attribute("html", "lang") == "fr"


def test_the_claim_notice_is_french_when_the_server_is_unreachable(
    browser: Any,  # noqa: F811
    live_url: str,
    db: Session,
) -> None:
    """A French browser (Accept-Language) gets French pages; a failed claim renewal is said in
    French by the script, with the time on a 24-hour clock."""
    add_user(db, "mia")
    item = add_item(db, at=WRITTEN)
    db.commit()
    page = browser.new_context(locale="fr-FR").new_page()
    page.clock.install()
    log_in(page, live_url, "mia")
    assert page.get_attribute("html", "lang") == "fr"
    page.goto(f"{live_url}/queue/items/{item.id}")
    page.route("**/renew", lambda route: route.abort())  # the network is gone
    page.clock.run_for(151_000)
    page.wait_for_function("document.getElementById('lease').classList.contains('warning')")
    notice = page.inner_text("#lease")
    assert notice.startswith("La prise en charge n’a pas pu être renouvelée"), notice
    assert "un collègue pourra ensuite prendre ce commentaire" in notice


def test_the_scripts_times_are_in_utc_like_the_rest_of_the_page(
    browser: Any,  # noqa: F811
    live_url: str,
    db: Session,
) -> None:
    """The pages write every time in UTC and say so; what review.js writes (since when the
    counts are stale, until when a claim holds) must too, not the computer's own time: a
    moderator in Montréal (UTC-5) reads the same clock on the whole page."""
    add_user(db, "mia")
    item = add_item(db, at=datetime.now(UTC) - timedelta(minutes=5))
    db.commit()
    context = browser.new_context(locale="fr-FR", timezone_id="America/Toronto")
    page = context.new_page()
    page.clock.install(time=datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    page.clock.pause_at(datetime(2026, 11, 24, 21, 0, 10, tzinfo=UTC))
    log_in(page, live_url, "mia")
    assert page.evaluate("new Date().getHours()") == 16, "the browser is on Montréal time"

    page.route("**/queue/counts*", lambda route: route.fulfill(status=503, json={}))
    for wait in (21_000, 41_000, 81_000):  # three failures in a row: the notice shows
        page.clock.run_for(wait)
        page.wait_for_timeout(200)
    page.wait_for_function("document.getElementById('stats').dataset.failures === '3'")
    notice = page.inner_text("#counts-notice")
    assert "depuis 21:00 UTC (" in notice, notice

    page.goto(f"{live_url}/queue/items/{item.id}")
    started = page.evaluate("new Date().toISOString()")
    assert started.startswith("2026-11-24T21:02:"), started  # so the claim runs to 21:07
    page.route("**/renew", lambda route: route.abort())
    page.clock.run_for(151_000)
    page.wait_for_function("document.getElementById('lease').classList.contains('warning')")
    notice = page.inner_text("#lease")
    assert "elle expire à 21:07 UTC si" in notice, notice


def test_each_key_on_the_french_item_page_does_what_its_hint_says(
    browser: Any,  # noqa: F811
    live_url: str,
    db: Session,
) -> None:
    """The keys line of the French item page pairs keys with words (« a valider »...): pressing
    each key decides what the word says, as the button of that word does. The keys are the
    same as on English pages: « v » and « p » (French initials) decide nothing."""
    add_user(db, "mia")
    items = [add_item(db, at=WRITTEN + timedelta(minutes=n)) for n in range(4)]
    db.commit()
    page = browser.new_context(locale="fr-FR").new_page()
    log_in(page, live_url, "mia")
    done = {
        "valider": "Validé",
        "supprimer": "Supprimé",
        "escalader": "Escaladé",
        "passer": "Passé",
    }
    page.goto(f"{live_url}/queue/items/{items[0].id}")
    pairs = page.eval_on_selector_all(
        "#decide-keys kbd",
        "kbds => kbds.map(k => [k.textContent, k.nextSibling.textContent.trim().split(' ')[0]])",
    )
    assert [word for _, word in pairs] == list(done), pairs
    for key in ("v", "p"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert page.url == f"{live_url}/queue/items/{items[0].id}", "no French-initial aliases"
    for item, (key, word) in zip(items, pairs, strict=True):
        page.goto(f"{live_url}/queue/items/{item.id}")
        label = page.inner_text(f"#decide button[data-key='{key}']")
        assert label.lower().endswith(word), (key, label)
        page.keyboard.press(key)
        page.wait_for_selector(".flash-ok")
        assert page.inner_text(".flash-ok") == f"{done[word]}\u00a0: commentaire n°\u00a0{item.id}."
