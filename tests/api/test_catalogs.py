"""The pages' translation catalogs: complete, in step with the code, compiled, typeset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from api.i18n import TRANSLATIONS
from vigie.settings import UI_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in UI_LANGUAGES if code != "en"]  # English is the source
# As in the Makefile's `messages` target.
KEYWORDS = ["-k", "_l", "-k", "_lp:1c,2"]
NBSP, NNBSP = "\u00a0", "\u202f"


def _po(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def _key(message: object) -> tuple[str | None, object]:
    context, found = message.context, message.id  # type: ignore[attr-defined]
    if isinstance(context, bytes):  # read_mo leaves contexts undecoded
        context = context.decode("utf-8")
    return (context, tuple(found) if isinstance(found, list) else found)


def _strings(message: object) -> tuple[str, ...]:
    found = message.string  # type: ignore[attr-defined]
    return tuple(found) if isinstance(found, list | tuple) else (found,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What the code asks to translate now: pybabel extract over api/, as `make messages`."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    config = str(ROOT / "pyproject.toml")
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            config,
            *KEYWORDS,
            "--no-location",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as f:
        catalog = read_po(f)
    assert len(catalog) > 100, "the extraction found the pages' strings"
    return catalog


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_translates_every_string_the_pages_use(extracted: Catalog, language: str) -> None:
    """Every msgid extracted from the code has a non-empty translation, none fuzzy."""
    catalog = _po(language)
    missing = []
    for wanted in extracted:
        if not wanted.id:
            continue
        found = catalog.get(wanted.id, wanted.context)
        if found is None or found.fuzzy or not all(_strings(found)):
            missing.append(wanted.id)
    assert not missing, f"{language}: untranslated or fuzzy (make messages, then translate)"
    assert not catalog.fuzzy, "the catalog's header is marked fuzzy"


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_keeps_no_string_the_code_no_longer_uses(extracted: Catalog, language: str) -> None:
    """No leftovers: a string removed from the code leaves the catalog (make messages)."""
    wanted = {_key(m) for m in extracted if m.id}
    stale = [m.id for m in _po(language) if m.id and _key(m) not in wanted]
    assert not stale, stale


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    """The committed .mo says what the .po says (make compile-messages after editing it)."""
    po = _po(language)
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        mo = read_mo(f)
    source = {_key(m): _strings(m) for m in po if m.id and not m.fuzzy}
    compiled = {_key(m): _strings(m) for m in mo if m.id}
    assert compiled == source, "stale messages.mo: run make compile-messages"


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_keeps_every_placeholder(language: str) -> None:
    """A translation has the msgid's %(name)s and {name} placeholders, no more, no fewer."""
    catalog = _po(language)
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert not problems, problems
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, list | tuple) else (message.id,)
        wanted = set(re.findall(r"\{\w+\}", ids[0]))
        for text in _strings(message):
            assert set(re.findall(r"\{\w+\}", text)) == wanted, (message.id, text)


def test_french_is_typeset_the_french_way() -> None:
    """A no-break space before : ; ? ! and inside « », typographic apostrophes, no "..."."""
    bad = []
    for message in _po("fr"):
        for text in _strings(message) if message.id else ():
            if (
                re.search(r"[ \w)%][:;?!](\s|$)", text.replace("://", ""))
                or re.search(r"« |«\w| »|\w»", text)
                or "'" in text
                or "..." in text
            ):
                bad.append(text)
    assert not bad, bad


def test_french_uses_one_word_for_each_thing() -> None:
    """The terms moderators learn are used throughout: no "élément" for an item, no
    "réclamation" for a claim (in French it reads as a complaint)."""
    texts = " ".join(t for m in _po("fr") if m.id for t in _strings(m)).lower()
    assert "élément" not in texts and "réclam" not in texts
    assert "prise en charge" in texts and "file d’attente" in texts
