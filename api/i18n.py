"""The moderators' pages in the moderator's language: which one, and dates and numbers in it.

The language of a page is, in order: the one the moderator chose (`users.language`, set by the
switch in the page header), the `vigie_lang` cookie the switch also sets (so the login page
keeps it after logging out), the browser's Accept-Language (best match among UI_LANGUAGES),
then VIGIE_UI_LANGUAGE. Only the HTML pages are translated: every other request (the JSON API,
webhooks, Slack) is answered in English, whatever its Accept-Language says.

The catalogs are `api/translations/<lang>/LC_MESSAGES/messages.po`, English strings as msgids
(`make messages` extracts and merges them). The compiled `messages.mo` is committed next to
each `.po`, rather than compiled at import: the package directory of an installed Vigie may be
read-only, compiling in every web and worker process costs start-up time for no gain, and a
committed file is what a fresh `pip install -e .` (or a wheel) ships as is.
`tests/api/test_catalogs.py` fails when a `.mo` no longer matches its `.po`
(`make compile-messages` rebuilds them).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_skeleton, get_datetime_format
from flask import Flask, g, request
from flask_babel import Babel, get_locale, to_user_timezone
from flask_babel import gettext as _

from api.errors import HTML_BLUEPRINTS
from vigie.settings import UI_LANGUAGES, Settings

TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE = "vigie_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language named in itself, for the switch in the header: never translated.
NAMES = {"en": "English", "fr": "Français"}


def init_app(app: Flask, settings: Settings) -> None:
    """Flask-Babel on the app: catalogs, the language of each request, template helpers."""
    app.config["BABEL_DEFAULT_LOCALE"] = settings.ui_language
    # Times are shown in UTC, as they always were (the pages say "UTC" next to them).
    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=lambda: choose_language(settings.ui_language))
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["clock"] = format_clock
    app.context_processor(_template_globals)


def choose_language(default: str) -> str:
    """This request's language (see the module's docstring for the order)."""
    if request.blueprint not in HTML_BLUEPRINTS:  # the JSON API, webhooks, Slack: machines
        return "en"
    user = g.get("user")
    if user is not None and user.language in UI_LANGUAGES:
        return str(user.language)
    cookie = request.cookies.get(COOKIE)
    if cookie in UI_LANGUAGES:
        return str(cookie)
    return request.accept_languages.best_match(UI_LANGUAGES) or default


def current_language() -> str:
    return str(get_locale() or "en")


def format_when(moment: datetime) -> str:
    """A date and time to the minute in the language's order and month names, on a 24-hour
    clock: "24 nov. 2026, 21:08", "Nov 24, 2026, 21:08".

    CLDR skeletons rather than the "medium" formats: those give "9:08 PM" in English, where
    on-call staff read Vigie's times (and Slack's, and the logs') on a 24-hour clock.
    """
    locale = get_locale()
    local = to_user_timezone(moment)
    date = format_skeleton("yMMMd", local, locale=locale)
    return (
        get_datetime_format("medium", locale=locale)
        .replace("{1}", date)
        .replace("{0}", format_clock(moment))
    )


def format_clock(moment: datetime) -> str:
    """A time of day on a 24-hour clock, as the language writes it ("21:08")."""
    return format_skeleton("Hm", to_user_timezone(moment), locale=get_locale())


def minutes_text(total: int) -> str:
    """A waiting time: "12 min", "1 h 05 min"."""
    if total < 60:
        return _("%(minutes)d min", minutes=total)
    return _("%(hours)d h %(minutes)02d min", hours=total // 60, minutes=total % 60)


def js_strings() -> dict[str, str]:
    """What review.js says, in the page's language ({name} marks where it puts a value)."""
    return {
        "claimUnsure": _(
            "The claim could not be renewed (server unreachable): it runs out at {time} UTC unless "
            "a retry gets through; after that a colleague may take this item."
        ),
        "claimLost": _("Your claim was lost: reload the page before deciding."),
        "claimLoggedOut": _(
            "You were logged out, so the claim is no longer renewed: log in again before deciding."
        ),
        "queueUpdated": _("Queue updated: {open} waiting, {claimed} being reviewed."),
        "countsStale": _(
            "The counts above have not refreshed since {time} UTC ({why}): trying again every "
            "{delay}. Reload the page to see the queue now."
        ),
        "countsLoggedOut": _(
            "The counts stopped updating: you were logged out. Reload the page to log in again."
        ),
        "countsRefused": _(
            "The counts stopped updating: {detail}. Reload the page, or go back to the whole queue."
        ),
        "serverRefused": _("the server refused them ({status})"),
        "unreadable": _("an unreadable answer"),
        "serverAnswered": _("the server answered {status}"),
        "unreachable": _("the server could not be reached"),
    }


def _template_globals() -> dict[str, Any]:
    return {
        "page_language": current_language(),
        "ui_languages": [(code, NAMES[code]) for code in UI_LANGUAGES],
        "js_strings": js_strings,
    }
