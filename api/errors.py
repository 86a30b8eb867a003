"""Every error leaves as JSON: {"error": <short code>, "detail": <what went wrong>, ...}.

Except on the moderators' HTML pages (the `pages` and `alert_pages` blueprints): there the same
error is an HTML page in the app's layout, with the same status, the detail as a sentence and a
link back. Their few endpoints that scripts call for JSON (`JSON_PAGE_ENDPOINTS`) stay JSON.

A detail may be a lazy translation (`lazy_gettext`): it is English in JSON, and in the
moderator's language on a page (and in the `message` the page scripts' JSON adds for them).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from gunicorn.http.errors import ParseException as MalformedHTTP
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Blueprints whose routes are HTML pages for people: their errors are pages too.
HTML_BLUEPRINTS = frozenset({"pages", "alert_pages"})
# Werkzeug's errors without a description of ours, in words a page can translate.
HTTP_WORDS: dict[int, LazyString] = {
    403: _l("You are not allowed to see this page."),
    404: _l("This page does not exist."),
    405: _l("This address does not take this method."),
    413: _l("The request is too large."),
}
# Endpoints of those blueprints that the pages' scripts call and that answer JSON.
JSON_PAGE_ENDPOINTS = frozenset({"pages.queue_counts"})


Detail = str | LazyString


class ApiError(Exception):
    """An error with an HTTP status, a short code and a human-readable detail."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: Detail,
        retry_after: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra
        self.retry_after = retry_after


def error_response(
    status: int, code: str, detail: Detail, retry_after: int | None = None, **extra: Any
) -> ResponseReturnValue:
    response = jsonify({"error": code, "detail": _english(detail), **extra})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    elif status == 503:
        response.headers["Retry-After"] = "5"
    return response


def wants_html() -> bool:
    """Whether the request went to one of the moderators' HTML pages."""
    return request.blueprint in HTML_BLUEPRINTS and request.endpoint not in JSON_PAGE_ENDPOINTS


def _english(detail: Detail) -> str:
    """What machines read: English, whatever the request's language."""
    if isinstance(detail, str):
        return detail
    with force_locale("en"):
        return str(detail)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def error_page(status: int, detail: Detail, retry_after: int | None = None) -> ResponseReturnValue:
    """The error as a page in the moderators' layout, with a link back to where they were."""
    _load_user()  # first: the page's language may be the moderator's choice
    if request.blueprint == "alert_pages":
        back = (url_for("alert_pages.alerts_page"), _("Back to the alerts"))
    else:
        back = (url_for("pages.queue_page"), _("Back to the queue"))
    message = _sentence(str(detail))
    html = render_template("review/error.html", status=status, message=message, back=back)
    headers = {"Retry-After": str(retry_after or 5)} if retry_after or status == 503 else {}
    return html, status, headers


def _load_user() -> None:
    """The logged-in moderator, for the layout's menu, when the error came before the view.

    (The URL checks run before `login_required` loads the user.)
    """
    if g.get("user") is not None or session.get("user_id") is None:
        return
    from api.auth import runtime
    from moderation.review.models import User

    try:
        with runtime().sessions() as db:
            user = db.get(User, session["user_id"])
            if user is not None and user.active:
                db.expunge(user)
                g.user = user
    except Exception:  # the database is down: the page goes without the menu
        log.debug("no user for the error page", exc_info=True)


def respond(
    status: int, code: str, detail: Detail, retry_after: int | None = None, **extra: Any
) -> ResponseReturnValue:
    """JSON for machines; a page for people on the HTML routes."""
    if wants_html():
        try:
            return error_page(status, detail, retry_after)
        except Exception:  # the page itself failed (e.g. the layout): the JSON still says why
            log.exception("error page failed")
    elif request.endpoint in JSON_PAGE_ENDPOINTS:
        # What the page's script shows people, in the page's language; detail stays English.
        extra = {**extra, "message": str(detail)}
    return error_response(status, code, detail, retry_after, **extra)


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> ResponseReturnValue:
        return respond(exc.status, exc.code, exc.detail, exc.retry_after, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        code = (exc.name or "error").lower().replace(" ", "_")
        detail: Detail = exc.description or exc.name
        if wants_html() and exc.description == type(exc).description and exc.code in HTTP_WORDS:
            detail = HTTP_WORDS[exc.code]  # on a page: not Werkzeug's words, English only
        return respond(exc.code or 500, code, detail)

    @app.errorhandler(MalformedHTTP)
    def _malformed_body(exc: MalformedHTTP) -> ResponseReturnValue:
        # gunicorn parses a chunked body only as the view reads it (a bad chunk size...), so
        # its parse error surfaces here rather than in its worker (api/gunicorn_worker.py).
        log.warning("malformed request body", extra={"error": type(exc).__name__})
        return error_response(400, "bad_request", f"malformed request body: {str(exc)[:200]}")

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError) -> ResponseReturnValue:
        log.warning("database unavailable", extra={"error": type(exc.orig).__name__})
        return respond(503, "unavailable", _l("the database is unavailable; retry later"))

    @app.errorhandler(PoolTimeout)
    def _no_connection(exc: PoolTimeout) -> ResponseReturnValue:
        # Every pooled connection is busy for longer than VIGIE_DB_POOL_TIMEOUT: shed the
        # request rather than keep the caller waiting past its own timeout.
        log.warning("no database connection within the pool timeout")
        return respond(503, "overloaded", _l("too many requests in progress; retry later"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return respond(500, "internal_error", _l("unexpected error; it has been logged"))
