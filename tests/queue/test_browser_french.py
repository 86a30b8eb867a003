"""French comments on a phone, in Chromium: long words and handles, accents, emoji."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.queue.conftest import add_item, add_user
from tests.queue.test_browser import ARTIFACTS, browser, live_url, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
TEXT = (
    "Franchement c'est génial, encore une connerie de mise à jour, le service client ne répond "
    "jamais, c'est inadmissible 😡"
)
# How many lines each of these words is drawn on (2 or more: it was cut in two).
LINES_OF = """words => {
  const found = {};
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of words) {
      const at = node.textContent.indexOf(word);
      if (at < 0 || found[word]) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + word.length);
      found[word] = new Set(Array.from(range.getClientRects(), r => Math.round(r.top))).size;
    }
  }
  return found;
}"""


def test_french_comments_read_well_on_a_phone(
    browser: Any,  # noqa: F811
    live_url: str,  # noqa: F811
    db: Session,
) -> None:
    """Ordinary words are not cut in two in the queue; a long handle does not push the item
    page sideways; the word the scorer blamed is marked even in an NFD-encoded comment."""
    now = datetime.now(UTC)
    add_user(db, "mia")
    spans = [{"score": "toxicity", "start": 0, "end": 0, "text": "connerie", "weight": 0.4}]
    first = add_item(
        db,
        text=unicodedata.normalize("NFD", TEXT),
        at=now - timedelta(minutes=75),
        author_handle="@anticonstitutionnellement_officiel_du_gouvernement_français",
        scores={"toxicity": 0.55, "irony": 0.8, "confidence": 0.4, "spans": spans},
    )
    add_item(db, text="Anticonstitutionnellement" * 8, at=now - timedelta(minutes=2))
    db.commit()
    page = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True).new_page()
    log_in(page, live_url, "mia")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-queue-fr.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    words = ["Franchement", "inadmissible", "connerie", "service"]
    lines = page.evaluate(LINES_OF, words)
    assert lines == dict.fromkeys(words, 1), lines

    page.goto(f"{live_url}/queue/items/{first.id}")
    page.screenshot(path=str(ARTIFACTS / "phone-item-fr.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.inner_text("#comment-text mark") == "connerie"
    assert page.get_attribute("#comment-text", "lang") == "fr"
