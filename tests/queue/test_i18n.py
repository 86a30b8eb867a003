"""The pages' language: the moderator's choice, the cookie, Accept-Language, VIGIE_UI_LANGUAGE;
French pages with French dates and plurals; the JSON API stays English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.i18n import COOKIE
from moderation.models import Action
from moderation.review.models import User
from tests.conftest import make_settings
from tests.queue.conftest import add_incident, add_item, add_user, token_for
from tests.queue.test_pages import csrf, log_in
from vigie import migrate
from vigie.runtime import Runtime
from vigie.settings import SettingsError

FRENCH = "Se connecter"
ENGLISH = "Log in to review"


def _lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', page)
    assert found is not None
    return found.group(1)


def _login_page(client: FlaskClient, **headers: str) -> str:
    return client.get("/login", headers=headers).get_data(as_text=True)


def test_it_answers_in_french_to_a_french_browser(api: FlaskClient) -> None:
    """Accept-Language fr-FR (best match among en and fr): the page is French, <html lang="fr">."""
    page = _login_page(api, **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert FRENCH in page and "Mot de passe" in page and ENGLISH not in page
    assert _lang(page) == "fr"


def test_it_answers_in_english_without_a_preference(api: FlaskClient) -> None:
    """No Accept-Language, or only languages Vigie lacks: VIGIE_UI_LANGUAGE's default, en."""
    for headers in ({}, {"Accept-Language": "de-DE,de;q=0.9"}):
        page = _login_page(api, **headers)
        assert ENGLISH in page and _lang(page) == "en"


def test_it_prefers_the_best_ranked_language(api: FlaskClient) -> None:
    """English ranked above French: English."""
    page = _login_page(api, **{"Accept-Language": "en-GB,en;q=0.9,fr;q=0.8"})
    assert _lang(page) == "en"


def test_an_unknown_language_falls_back_to_the_configured_default(tmp_path: Path) -> None:
    """VIGIE_UI_LANGUAGE=fr: a browser asking for German gets French."""
    settings = make_settings(tmp_path, VIGIE_UI_LANGUAGE="fr")
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    try:
        client = create_app(runtime=runtime).test_client()
        page = _login_page(client, **{"Accept-Language": "de"})
        assert FRENCH in page and _lang(page) == "fr"
        assert _lang(_login_page(client, **{"Accept-Language": "en"})) == "en"
    finally:
        runtime.close()


def test_a_bad_default_language_is_a_configuration_error(tmp_path: Path) -> None:
    """VIGIE_UI_LANGUAGE=de is refused at start-up, naming the variable and the choices."""
    with pytest.raises(
        SettingsError, match=r"^VIGIE_UI_LANGUAGE: expected one of en, fr, got 'de'"
    ):
        make_settings(tmp_path, VIGIE_UI_LANGUAGE="de")


def test_the_cli_says_so_in_one_line(tmp_path: Path) -> None:
    """`vigie` with a bad VIGIE_UI_LANGUAGE: a message, no traceback."""
    from click.testing import CliRunner

    from vigie.cli import main

    env = {"VIGIE_DATA_DIR": str(tmp_path), "VIGIE_UI_LANGUAGE": "klingon"}
    result = CliRunner().invoke(main, ["users", "list"], env=env)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "VIGIE_UI_LANGUAGE" in result.output


def test_the_cookie_overrides_the_browser(api: FlaskClient) -> None:
    """The switch's cookie wins over Accept-Language; a cookie of another language is ignored."""
    api.set_cookie(COOKIE, "en")
    assert _lang(_login_page(api, **{"Accept-Language": "fr"})) == "en"
    api.set_cookie(COOKIE, "xx")
    assert _lang(_login_page(api, **{"Accept-Language": "fr"})) == "fr"


def test_the_switch_sets_the_cookie_and_returns_to_the_page(api: FlaskClient) -> None:
    """Logged out: the switch on the login page sets the cookie and comes back to it."""
    token = csrf(api, "/login")
    answer = api.post(
        "/language",
        data={"language": "fr", "csrf_token": token},
        headers={"Referer": "http://localhost/login?next=/queue"},
    )
    assert answer.status_code == 302 and answer.location == "/login?next=/queue"
    assert api.get_cookie(COOKIE).value == "fr"  # type: ignore[union-attr]
    assert FRENCH in _login_page(api)


def test_the_switch_refuses_an_unknown_language_and_a_missing_token(api: FlaskClient) -> None:
    """A language Vigie lacks is a 400 page; without the CSRF token nothing changes (sent back
    to the login page, as any form posted without a valid token)."""
    token = csrf(api, "/login")
    assert api.post("/language", data={"language": "de", "csrf_token": token}).status_code == 400
    refused = api.post("/language", data={"language": "fr"})
    assert refused.status_code == 302 and refused.location.startswith("/login")
    assert api.get_cookie(COOKIE) is None


def test_a_moderators_choice_follows_them_to_any_browser(api: FlaskClient, db: Session) -> None:
    """Logged in, the switch stores the choice on the account: it wins over the cookie and the
    browser, on another device too."""
    add_user(db, "mia")
    db.commit()
    log_in(api, "mia")
    api.post("/language", data={"language": "fr", "csrf_token": csrf(api, "/queue")})
    db.expire_all()
    user = db.query(User).filter_by(username="mia").one()
    assert user.language == "fr"
    api.set_cookie(COOKIE, "en")  # an old cookie
    page = api.get("/queue", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _lang(page) == "fr" and "Commencer la modération" in page
    # The login page (no account yet) follows the cookie and the browser.
    assert _lang(_login_page(api, **{"Accept-Language": "en"})) == "en"


def test_the_french_queue_and_item_pages(api: FlaskClient, db: Session) -> None:
    """Labels, the machine's words, plurals and numbers in French; data (rule ids, rule tags,
    comment text) as it is."""
    add_user(db, "mia")
    item = add_item(
        db, at=datetime(2026, 11, 24, 21, 8, tzinfo=UTC), author_followers=12000, rule_tags=["spam"]
    )
    db.commit()
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    queue = api.get("/queue").get_data(as_text=True)
    assert "<title>File de modération · Vigie</title>" in queue
    assert "en attente" in queue and "Commencer la modération" in queue
    assert "ironique + moyennement toxique + négatif, confiance faible (0,40)" in queue
    assert "irony-uncertain" in queue and "Bravo, encore une panne 👏" in queue
    page = api.get(f"/queue/items/{item.id}").get_data(as_text=True)
    assert f"Commentaire n°\u00a0{item.id}" in page
    assert "24 nov. 2026, 21:08 UTC</time>" in page
    assert "12\u202f000 abonnés" in page  # French groups thousands with a narrow no-break space
    assert "</kbd> Valider</button>" in page and "</kbd> Supprimer</button>" in page
    assert "Étiquettes\u00a0:" in page and '">spam</a>' in page


def test_french_flash_messages_and_plurals(api: FlaskClient, db: Session) -> None:
    """A decision and an empty queue are said in French."""
    add_user(db, "mia")
    item = add_item(db)
    db.commit()
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    token = csrf(api, f"/queue/items/{item.id}")
    answer = api.post(
        f"/queue/items/{item.id}/decide",
        data={"action": "remove", "csrf_token": token},
        follow_redirects=True,
    )
    page = answer.get_data(as_text=True)
    assert f"Supprimé\u00a0: commentaire n°\u00a0{item.id}." in page
    assert "La file est vide. Rien à modérer." in page


def test_the_french_alert_page_writes_french_dates(
    api: FlaskClient, db: Session, review_runtime: Any
) -> None:
    """Incidents and silences: dates as « 24 nov. 2026, 21:08 », states and buttons in French."""
    add_user(db, "mia")
    add_incident(db, "x", datetime(2026, 11, 24, 21, 8, tzinfo=UTC))
    db.commit()
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    page = api.get("/alerts").get_data(as_text=True)
    assert "24 nov. 2026, 21:08" in page
    assert "crise</span> pic sur <strong>x</strong>" in page
    assert ">Acquitter</button>" in page and ">Résoudre</button>" in page
    answer = api.post(
        "/alerts/silences",
        data={
            "platform": "x",
            "hours": "2",
            "reason": "maintenance",
            "csrf_token": csrf(api, "/alerts"),
        },
        follow_redirects=True,
    )
    assert "En sourdine\u00a0: x jusqu’au " in answer.get_data(as_text=True)


def test_french_error_pages(api: FlaskClient, db: Session) -> None:
    """A bad filter in the address: the error page in French."""
    add_user(db, "mia")
    db.commit()
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    answer = api.get("/queue?platform=myspace")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Erreur 400" in page
    assert "Plateforme inconnue &#39;myspace&#39;\u00a0: le filtre de plateforme" in page
    missing = api.get("/queue/items/999").get_data(as_text=True)
    assert "Aucun commentaire n°\u00a0999 dans la file." in missing
    assert "Retour à la file d’attente" in missing
    huge = api.get(f"/queue/items/{2**40}").get_data(as_text=True)
    assert "Ce numéro n’existe pas." in huge


def test_the_json_api_stays_english(api: FlaskClient, db: Session) -> None:
    """Accept-Language fr changes nothing for machines: the API's details are English."""
    headers = token_for(db, add_user(db, "bot"), "queue:read")
    answer = api.get(
        "/v1/review/items?platform=myspace", headers={**headers, "Accept-Language": "fr"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["detail"].startswith("unknown platform 'myspace'")


def test_the_pages_json_gives_the_script_its_words(api: FlaskClient, db: Session) -> None:
    """The queue's counts (read by review.js): an error's detail stays English, and a message
    in the page's language comes with it for the script to show."""
    add_user(db, "mia")
    db.commit()
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    body = api.get("/queue/counts?incident=999").get_json()
    assert body["detail"] == "there is no alert incident #999"
    assert body["message"] == "il n’y a pas d’incident d’alerte n°\u00a0999"


@pytest.mark.parametrize("path", ["//evil.example/x", "/\\evil.example/x"])
def test_the_switch_never_sends_to_another_site(api: FlaskClient, path: str) -> None:
    """A referring page on this host whose path starts with // (or /\\) names another site to
    a browser: the switch goes back to the queue instead."""
    answer = api.post(
        "/language",
        data={"language": "fr", "csrf_token": csrf(api, "/login")},
        headers={"Referer": f"http://localhost{path}"},
    )
    assert answer.status_code == 302
    assert answer.location == "/queue"


def test_rule_reasons_are_shown_in_the_pages_language(api: FlaskClient, db: Session) -> None:
    """A decision stores the rule's English reason; the French pages show the rule file's French
    one (docs/RULES.md), English pages and the JSON API the stored text. A reason no current
    rule gives (a decision stored before an edit) is shown as it was stored."""
    admin = add_user(db, "mia")
    item = add_item(db, reasons=["clear abuse"], rule_ids=["explicit-abuse"], rule_tags=["abuse"])
    old = add_item(db, reasons=["abuse, old wording"], rule_ids=["explicit-abuse"])
    headers = token_for(db, admin, "queue:read")
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    queue = api.get("/queue").get_data(as_text=True)
    assert "propos manifestement injurieux" in queue and "clear abuse" not in queue
    assert "abuse, old wording" in queue
    page = api.get(f"/queue/items/{item.id}").get_data(as_text=True)
    assert "<li>propos manifestement injurieux</li>" in page
    assert '">abuse</a>' in page  # tags are identifiers (filters): as they are
    assert "<li>abuse, old wording</li>" in api.get(f"/queue/items/{old.id}").get_data(as_text=True)

    api.set_cookie(COOKIE, "en")
    assert "<li>clear abuse</li>" in api.get(f"/queue/items/{item.id}").get_data(as_text=True)
    body = api.get(f"/v1/review/items/{item.id}", headers=headers).get_json()
    assert body["machine"]["reasons"] == ["clear abuse"]


DECISION_BUTTON = re.compile(
    r'<button name="action" value="(?P<value>\w+)" data-key="(?P<key>[^"]*)"'
    r' aria-keyshortcuts="(?P<aria>[^"]*)"[^>]*><kbd>(?P<kbd>[^<]*)</kbd> (?P<label>[^<]+)</button>'
)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_item_pages_key_hints_say_what_the_keys_do(
    api: FlaskClient, db: Session, language: str
) -> None:
    """One set of keys in every language (a/r/e/s: README): each decision button shows the key
    review.js presses it with (its data-key), and the page's keys line pairs each key with the
    button's own word, in the page's language."""
    add_user(db, "mia")
    item = add_item(db)
    db.commit()
    api.set_cookie(COOKIE, language)
    log_in(api, "mia")
    page = api.get(f"/queue/items/{item.id}").get_data(as_text=True)
    buttons = [m.groupdict() for m in DECISION_BUTTON.finditer(page)]
    assert [(b["value"], b["key"]) for b in buttons] == [
        ("approve", "a"), ("remove", "r"), ("escalate", "e"), ("skip", "s"),
    ]  # fmt: skip
    hint = re.search(r'<p class="keys" id="decide-keys">(.*?)</p>', page, re.S)
    assert hint is not None, "the item page says which key does what"
    for button in buttons:
        assert button["key"] == button["aria"] == button["kbd"], button
        assert f"<kbd>{button['key']}</kbd> {button['label'].lower()}" in hint.group(1), button
    if language == "fr":
        assert "Valider" in [b["label"] for b in buttons]
        assert "mêmes touches dans toutes les langues" in hint.group(1)


def test_the_engines_own_reasons_are_shown_in_french(api: FlaskClient, db: Session) -> None:
    """What the engine writes itself (the uncertainty band, the irony gate, no rule matching)
    is stored in English like the rules' reasons, and shown in French on French pages."""
    add_user(db, "mia")
    stored = [
        "clear abuse",
        "irony gate: irony 0.62 >= 0.5 with toxicity 0.80 < 0.95",
        "uncertain: scorer confidence 0.40 < 0.5",
        "uncertain: toxicity 0.93 is within 0.05 of the rule's threshold 0.9",
        "no rule matched",
        "no rule with an action matched",
    ]
    item = add_item(db, reasons=stored, rule_ids=["explicit-abuse"])
    db.commit()
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    page = api.get(f"/queue/items/{item.id}").get_data(as_text=True)
    shown = re.findall(r"<li>([^<]*)</li>", page.split('id="reasons"')[1].split("</ul>")[0])
    assert shown == [
        "propos manifestement injurieux",
        "filtre d’ironie\u00a0: ironie 0,62 ≥ 0,5 avec une toxicité de 0,80 &lt; 0,95",
        "incertain\u00a0: confiance du modèle 0,40 &lt; 0,5",
        "incertain\u00a0: toxicité 0,93 à moins de 0,05 du seuil de la règle (0,9)",
        "aucune règle ne correspond",
        "aucune règle avec une action ne correspond",
    ]
    api.set_cookie(COOKIE, "en")
    page = api.get(f"/queue/items/{item.id}").get_data(as_text=True)
    assert "<li>irony gate: irony 0.62 &gt;= 0.5 with toxicity 0.80 &lt; 0.95</li>" in page


@pytest.fixture
def topics_app(tmp_path: Path) -> Iterator[tuple[Flask, Runtime]]:
    """The app with a watched alert topic (VIGIE_ALERT_TOPICS), so the queue tags `topic:launch`
    and the Tag filter offers it."""
    from tests.queue.conftest import HOOK_URL

    settings = make_settings(
        tmp_path,
        VIGIE_SOURCE_ACME_CALLBACK_URL=HOOK_URL,
        VIGIE_ALERT_TOPICS="launch=#launch",
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    app = create_app(runtime=runtime)
    app.config["TESTING"] = True
    yield app, runtime
    runtime.close()


def _tag_options(page: str) -> list[tuple[str, str, bool]]:
    """The Tag filter's options: (value sent, label shown, selected)."""
    select = page.split('<select name="tag">', 1)[1].split("</select>", 1)[0]
    return [
        (m["value"], m["label"], m["selected"] is not None)
        for m in re.finditer(
            r'<option value="(?P<value>[^"]*)"(?P<selected> selected)?>(?P<label>[^<]*)</option>',
            select,
        )
    ]


def _chips(page: str) -> dict[int, list[str]]:
    """Each queue row's tags as shown, by item id."""
    rows = re.findall(r'<tr class="row"[^>]* data-item="(\d+)">(.*?)</tr>', page, re.S)
    return {int(i): re.findall(r'<span class="tag">([^<]*)</span>', row) for i, row in rows}


def test_vigies_own_tags_are_labelled_in_french_and_filter_by_their_identifier(
    topics_app: tuple[Flask, Runtime],
) -> None:
    """The tags the queue adds itself (the machine's action, the scores' labels, watched topics)
    read in French on French pages; the filter still sends, and links still carry, the tag as
    stored. The rules' own tags (`spam` here; `abuse`… in the filter) are shown as written."""
    app, runtime = topics_app
    api = app.test_client()
    with runtime.sessions() as db:
        add_user(db, "mia")
        item = add_item(db, rule_tags=["spam"], topics=["launch"])
        escalated = add_item(db, text="On sait où tu habites", action=Action.ESCALATE)
        assert item.tags == ["review", "spam", "ironic", "toxic", "negative", "topic:launch"]
        item_id, escalated_id = item.id, escalated.id
        headers = token_for(db, add_user(db, "bot"), "queue:read")
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")

    queue = api.get("/queue").get_data(as_text=True)
    assert _chips(queue) == {
        item_id: ["à examiner", "spam", "ironique", "toxique", "négatif", "sujet\u00a0: launch"],
        escalated_id: ["à escalader", "ironique", "toxique", "négatif"],
    }
    options = _tag_options(queue)
    assert ("", "toutes", False) in options
    assert ("review", "à examiner", False) in options
    assert ("escalate", "à escalader", False) in options
    assert ("ironic", "ironique", False) in options
    assert ("toxic", "toxique", False) in options
    assert ("negative", "négatif", False) in options
    assert ("topic:launch", "sujet\u00a0: launch", False) in options
    assert ("abuse", "abuse", False) in options  # a rule file's tag: as written
    assert ("spam", "spam", False) in options

    # The filter's value is the identifier: the French page filters as the English one does.
    ironic = api.get("/queue?tag=ironic").get_data(as_text=True)
    assert ("ironic", "ironique", True) in _tag_options(ironic)
    assert 'id="count-open">2<' in ironic
    launch = api.get("/queue?tag=topic:launch").get_data(as_text=True)
    assert ("topic:launch", "sujet\u00a0: launch", True) in _tag_options(launch)
    assert 'id="count-open">1<' in launch
    assert 'id="count-open">1<' in api.get("/queue?tag=escalate").get_data(as_text=True)

    page = api.get(f"/queue/items/{item_id}").get_data(as_text=True)
    links = re.findall(r'<a class="tag" href="([^"]*)">([^<]*)</a>', page)
    assert links == [
        ("/queue?tag=review", "à examiner"),
        ("/queue?tag=spam", "spam"),
        ("/queue?tag=ironic", "ironique"),
        ("/queue?tag=toxic", "toxique"),
        ("/queue?tag=negative", "négatif"),
        ("/queue?tag=topic:launch", "sujet\u00a0: launch"),
    ]

    # English pages: the tags as stored, as before.
    api.set_cookie(COOKIE, "en")
    queue = api.get("/queue").get_data(as_text=True)
    assert _chips(queue) == {
        item_id: ["review", "spam", "ironic", "toxic", "negative", "topic:launch"],
        escalated_id: ["escalate", "ironic", "toxic", "negative"],
    }
    assert ("review", "review", False) in _tag_options(queue)
    assert ("topic:launch", "topic:launch", False) in _tag_options(queue)
    page = api.get(f"/queue/items/{item_id}").get_data(as_text=True)
    assert re.findall(r'<a class="tag" href="[^"]*">([^<]*)</a>', page) == [
        "review", "spam", "ironic", "toxic", "negative", "topic:launch"
    ]  # fmt: skip

    # The JSON API, asked in French: the identifiers, and it filters by them.
    french = {**headers, "Accept-Language": "fr"}
    body = api.get(f"/v1/review/items/{item_id}", headers=french).get_json()
    assert body["tags"] == ["review", "spam", "ironic", "toxic", "negative", "topic:launch"]
    listed = api.get("/v1/review/items?tag=topic:launch", headers=french).get_json()
    assert [i["id"] for i in listed["items"]] == [item_id]


def test_every_tag_the_queue_adds_itself_has_a_label() -> None:
    """A tag added to moderation.review.queue (an action queued, a score label) without a label
    in api/words.py would show in English on French pages."""
    from api import words
    from moderation.review import queue

    own = {str(action) for action in queue.QUEUED_ACTIONS} | set(queue.SCORE_TAGS)
    assert set(words.TAGS) == own


def test_the_queue_priority_is_shown_in_french(api: FlaskClient, db: Session) -> None:
    add_user(db, "mia")
    urgent = add_item(db, review_priority="urgent")
    plain = add_item(db)
    db.commit()
    api.set_cookie(COOKIE, "fr")
    log_in(api, "mia")
    page = api.get(f"/queue/items/{urgent.id}").get_data(as_text=True)
    assert '<strong id="review-priority">urgente</strong>' in page
    page = api.get(f"/queue/items/{plain.id}").get_data(as_text=True)
    assert '<strong id="review-priority">normale</strong>' in page
    api.set_cookie(COOKIE, "en")
    page = api.get(f"/queue/items/{plain.id}").get_data(as_text=True)
    assert '<strong id="review-priority">normal</strong>' in page
