"""The Flask application factory."""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFProtect

from api import (
    alert_pages,
    alerts,
    comments,
    errors,
    health,
    i18n,
    openapi,
    pages,
    review,
    webhooks,
    words,
)
from api.errors import ApiError
from rules import RulesError
from vigie import migrate
from vigie.runtime import Runtime
from vigie.settings import Settings


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the web app; tests pass their own settings, production reads the environment."""
    if runtime is None:
        runtime = Runtime(settings or Settings.from_env(os.environ))
    _load_rules(runtime)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["vigie"] = runtime
    _sessions(app, runtime.settings)
    errors.register(app)
    i18n.init_app(app, runtime.settings)
    app.jinja_env.filters["term"] = words.term
    app.jinja_env.filters["tag"] = words.tag
    app.url_value_preprocessor(_ids_fit_the_database)
    app.before_request(_refuse_nul_in_url)
    CSRFProtect(app)
    for blueprint in (
        webhooks.bp,
        comments.bp,
        health.bp,
        review.bp,
        openapi.bp,
        pages.bp,
        alerts.bp,
        alert_pages.bp,
    ):
        app.register_blueprint(blueprint)
    return app


def _load_rules(runtime: Runtime) -> None:
    """Load the rules now, so a broken edit before the first /readyz keeps this version.

    Loaded lazily, a gunicorn worker that first read them after a broken edit would have no
    rules at all, and /readyz would answer 503 (a load balancer takes the web out of rotation).
    """
    # A broken file is logged by the reloader; /readyz answers 503 naming it until it is fixed.
    with contextlib.suppress(RulesError):
        runtime.rulebook  # noqa: B018 - loading is the point
    # /readyz compares the database with this code's migrations within a 0.8 s budget: read
    # them now (~0.3 s, more on a busy host) rather than in the first probe.
    migrate.head_revisions()


def _sessions(app: Flask, settings: Settings) -> None:
    """Signed session cookies for the moderators' pages."""
    # While VIGIE_SECRET_KEY is rotated, what the previous key signed stays valid: sessions
    # (Flask's fallbacks) and the CSRF tokens of pages already open (itsdangerous signs with
    # the last key of a list and accepts any).
    previous = [settings.secret_key_previous] if settings.secret_key_previous else []
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=previous,
        WTF_CSRF_SECRET_KEY=[*previous, settings.secret_key],
        SESSION_COOKIE_NAME="vigie_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure (HTTPS-only) in production; development runs on plain http://127.0.0.1.
        SESSION_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # The token lives as long as the session: a moderator's tab can stay open for hours.
        WTF_CSRF_TIME_LIMIT=None,
        # Only the cookie-authenticated pages check CSRF (pages.py); machine APIs authenticate
        # every request with a signature or a bearer token and never read the session cookie.
        WTF_CSRF_CHECK_DEFAULT=False,
    )


def _ids_fit_the_database(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Row ids are 32-bit: a larger <int:...> in a URL is a 404, not an overflow in the query.
    # (A converter with max= would do, but then Werkzeug answers some methods with a 405.)
    if values and any(isinstance(v, int) and v > 2**31 - 1 for v in values.values()):
        raise ApiError(404, "not_found", _l("no such id"))


def _refuse_nul_in_url() -> None:
    # PostgreSQL text cannot hold NUL: a %00 in a path or filter would fail the query (a 500).
    if "\x00" in request.path or any(
        "\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)
    ):
        raise ApiError(400, "bad_request", _l("NUL characters are not allowed in URLs"))
