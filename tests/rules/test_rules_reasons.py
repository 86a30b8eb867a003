"""A rule's reason in the moderators' languages: plain text, or a mapping of translations."""

from __future__ import annotations

import pytest
from rules_helpers import book_from, decide, scores

from rules import RulesError, load_rulebook
from vigie.settings import UI_LANGUAGES

HEAD = "rules:\n  - id: r\n    description: Abuse is removed.\n    when: {toxicity: '> 0.5'}\n"
TOXIC = scores(toxicity=0.99)


def test_a_plain_reason_is_the_text_in_every_language() -> None:
    """An author who writes only English gets what Vigie always did: that text, everywhere."""
    book = book_from(HEAD + "    action: remove\n    reason: clear abuse\n")
    rule = book.for_platform("x").rules[0]
    assert rule.reason == "clear abuse"
    assert rule.reason_in("fr") == "clear abuse"
    assert rule.reason_in("en") == "clear abuse"
    assert decide(book, score=TOXIC).reasons == ("clear abuse",)


def test_a_reason_mapping_gives_english_to_decisions_and_french_to_french_pages() -> None:
    """`en` is the text decisions store and the API returns; `fr` is shown on French pages."""
    book = book_from(
        HEAD
        + "    action: remove\n    reason:\n      en: clear abuse\n      fr: insulte caractérisée\n"
    )
    rule = book.for_platform("x").rules[0]
    assert rule.reason == "clear abuse"
    assert rule.reason_in("fr") == "insulte caractérisée"
    assert rule.reason_in("en") == "clear abuse"
    assert decide(book, score=TOXIC).reasons == ("clear abuse",)


def test_without_a_reason_every_language_gets_the_description() -> None:
    book = book_from(HEAD + "    action: remove\n")
    assert book.for_platform("x").rules[0].reason_in("fr") == "Abuse is removed."


def test_the_book_translates_a_stored_reason_by_the_rule_that_gave_it() -> None:
    """The pages translate what a decision stored: the deciding rule's English text, when the
    rule still says it; anything else (an edited rule, the engine's own words) stays as is."""
    book = book_from(
        HEAD + "    action: remove\n    reason: {en: clear abuse, fr: insulte caractérisée}\n",
        x=(
            "rules:\n  - id: r\n    description: d\n    when: {toxicity: '> 0.5'}\n"
            "    action: review\n    reason: {en: clear abuse, fr: à vérifier}\n"
        ),
    )
    assert book.reason_in("youtube", ["r"], "clear abuse", "fr") == "insulte caractérisée"
    assert book.reason_in("x", ["r"], "clear abuse", "fr") == "à vérifier"
    assert book.reason_in("x", ["r"], "clear abuse", "en") == "clear abuse"
    assert book.reason_in("x", ["r"], "abuse (old wording)", "fr") == "abuse (old wording)"
    # A rule id the book no longer has: the same text elsewhere in the book still translates.
    assert book.reason_in("x", ["gone"], "clear abuse", "fr") == "insulte caractérisée"
    assert book.reason_in("x", [], "no rule matched", "fr") == "no rule matched"


BROKEN = [
    ("    reason: {en: clear abuse, de: klarer Missbrauch}\n", 6, "'de'"),
    ("    reason:\n      en: clear abuse\n      es: abuso\n", 8, "'es'"),
    ("    reason: {fr: insulte}\n", 6, "needs 'en'"),
    ("    reason: {en: clear abuse, fr: 3}\n", 6, "fr"),
    ("    reason:\n      en: clear abuse\n      fr: [a, b]\n", 8, "text"),
    ("    reason: {en: '  ', fr: insulte}\n", 6, "empty"),
    ("    reason: [clear abuse]\n", 6, "reason is text"),
    ("    reason: {}\n", 6, "needs 'en'"),
]


@pytest.mark.parametrize(("tail", "line", "problem"), BROKEN)
def test_a_bad_reason_is_refused_with_file_and_line(tail: str, line: int, problem: str) -> None:
    with pytest.raises(RulesError) as caught:
        book_from(HEAD + "    action: remove\n" + tail)
    message = str(caught.value)
    assert message.startswith(f"mem/default.yaml:{line}: rule r: "), message
    assert problem in message, message


def test_an_unknown_language_names_the_languages_vigie_has() -> None:
    with pytest.raises(RulesError) as caught:
        book_from(HEAD + "    action: remove\n    reason: {en: a, FR: b}\n")
    assert ", ".join(UI_LANGUAGES) in str(caught.value)


def test_every_shipped_rule_that_decides_has_a_french_reason() -> None:
    """The shipped files speak to French moderators in French."""
    book = load_rulebook()
    for name, ruleset in book.sets.items():
        for rule in ruleset.rules:
            if rule.action is None:
                continue
            french = rule.reason_in("fr")
            assert french != rule.reason, f"{name}: {rule.id} has no French reason"
