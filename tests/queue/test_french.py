"""The queue and item pages with French comments: accents, long words, emoji, plurals, dates."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from moderation.review.present import highlight
from tests.queue.conftest import add_item, add_user
from tests.queue.test_pages import _queued, log_in


def test_a_reported_word_is_marked_as_a_word_not_inside_longer_ones() -> None:
    """The scorer blamed "con": "contrat" and "connexion" did not drive the score."""
    parts = highlight("Le contrat de connexion, quel con !", ["con"])
    assert [p for p, marked in parts if marked] == ["con"]
    assert highlight("T'es nul, annule tout", ["nul,"]) == [
        ("T'es ", False),
        ("nul,", True),
        (" annule tout", False),
    ]
    assert [p for p, m in highlight("Espèce d'idiot 🤡 !", ["🤡", "d'idiot"]) if m] == [
        "d'idiot",
        "🤡",
    ]


def test_accents_typed_as_a_letter_and_a_combining_mark_are_still_marked() -> None:
    """The scorer read the text in NFC; a comment may arrive in NFD (e + U+0301)."""
    text = unicodedata.normalize("NFD", "C'est génial, vraiment")
    parts = highlight(text, ["génial,"])
    assert [p for p, marked in parts if marked] == ["génial,"]
    assert "".join(p for p, _ in parts) == unicodedata.normalize("NFC", text)


def _item_page(api: FlaskClient, db: Session, **fields: object) -> str:
    add_user(db, "mia")
    item = add_item(db, at=datetime(2026, 11, 24, 8, 15, tzinfo=UTC), **fields)
    add_item(db, text="Franchement, aucun problème de mon côté", language="fr")  # same thread
    db.commit()
    log_in(api, "mia")
    answer = api.get(f"/queue/items/{item.id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_item_page_marks_the_comments_language_and_its_times_zone(
    api: FlaskClient, db: Session
) -> None:
    """Screen readers read the French comment in French; the time says it is UTC (a moderator
    in Paris would otherwise read 08:15 as local time, an hour off)."""
    page = _item_page(api, db, text="Vous êtes nuls 😡", language="fr")
    assert '<p class="text" id="comment-text" lang="fr">' in page
    assert "Nov 24, 2026, 08:15 UTC</time>" in page
    assert '<span lang="fr">Franchement, aucun problème' in page  # the thread's comments too


def test_one_follower_and_a_one_day_old_account_read_in_the_singular(
    api: FlaskClient, db: Session
) -> None:
    page = _item_page(api, db, author_followers=1, author_account_age_days=1)
    assert "1 follower\n" in page and "account 1 day old" in page
    assert "1 followers" not in page and "1 days" not in page


def test_the_queue_marks_each_comments_language(api: FlaskClient, db: Session) -> None:
    add_user(db, "mia")
    _queued(db, text="Ça suffit", language="fr")
    _queued(db, text="Enough", language="en", platform="youtube")
    _queued(db, text="???", language="und", platform="web")
    log_in(api, "mia")
    page = api.get("/queue").get_data(as_text=True)
    assert ' lang="fr">Ça suffit</a>' in page and ' lang="en">Enough</a>' in page
    assert '">???</a>' in page  # unknown: no lang


def test_the_language_filter_ignores_case_and_spaces(api: FlaskClient, db: Session) -> None:
    """A moderator types "FR " in the filter box; a source sent "FR" for its comments."""
    add_user(db, "mia")
    _queued(db, text="en minuscules", language="fr")
    _queued(db, text="en majuscules", language="FR")
    _queued(db, text="in English", language="en")
    log_in(api, "mia")
    page = api.get("/queue?language=FR+").get_data(as_text=True)
    assert "en minuscules" in page and "en majuscules" in page and "in English" not in page
    assert 'value="fr"' in page  # the box shows the filter applied


def test_a_long_comment_is_shortened_without_cutting_a_character_in_two() -> None:
    """Flags are two code points, a family emoji several joined by ZWJs, an NFD "é" two: the
    queue's 140 characters end between characters as people see them, not inside one."""
    from moderation.review.present import clip

    flags = clip("🇫🇷" * 100, 140)
    assert flags.endswith("🇫🇷...") and len(flags.removesuffix("...")) % 2 == 0
    assert clip("x" + "👨‍👩‍👧" * 40, 140).endswith("👧...")
    assert not clip("x" + "👨‍👩‍👧" * 40, 140).removesuffix("...").endswith(("👨", "\u200d"))
    nfd = clip(unicodedata.normalize("NFD", "é" * 200), 140)
    assert unicodedata.normalize("NFC", nfd.removesuffix("...")) == "é" * 68
    words = "Ça fait trois semaines que j'attends mon colis et personne ne répond " * 4
    assert clip(words, 140) == words[:137].rsplit(" ", 1)[0] + "..."  # as Jinja's truncate
    assert clip("Court et clair 👍", 140) == "Court et clair 👍"


def test_the_queue_shows_a_flag_spam_comment_without_half_a_flag(
    api: FlaskClient, db: Session
) -> None:
    add_user(db, "mia")
    _queued(db, text="🇫🇷" * 100)
    log_in(api, "mia")
    page = api.get("/queue").get_data(as_text=True)
    shown = page.split(' lang="fr">', 1)[1].split("...</a>", 1)[0]
    assert set(shown) == {"🇫", "🇷"} and shown.count("🇫") == shown.count("🇷")


def test_an_unknown_action_posted_to_an_item_says_which(api: FlaskClient, db: Session) -> None:
    from tests.queue.test_pages import csrf

    add_user(db, "mia")
    item_id = _queued(db)
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item_id}")
    answer = api.post(f"/queue/items/{item_id}/decide", data={"csrf_token": token, "action": "ban"})
    assert answer.status_code == 400
    assert "Unknown action &#39;ban&#39;: approve, remove, escalate or skip." in answer.text
