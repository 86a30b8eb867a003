"""Every error leaves as JSON: {"error": <short code>, "detail": <what went wrong>, ...}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from gunicorn.http.errors import ParseException as MalformedHTTP
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a short code and a human-readable detail."""

    def __init__(
        self, status: int, code: str, detail: str, retry_after: int | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra
        self.retry_after = retry_after


def error_response(
    status: int, code: str, detail: str, retry_after: int | None = None, **extra: Any
) -> ResponseReturnValue:
    response = jsonify({"error": code, "detail": detail, **extra})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    elif status == 503:
        response.headers["Retry-After"] = "5"
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> ResponseReturnValue:
        return error_response(exc.status, exc.code, exc.detail, exc.retry_after, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(MalformedHTTP)
    def _malformed_body(exc: MalformedHTTP) -> ResponseReturnValue:
        # gunicorn parses a chunked body only as the view reads it (a bad chunk size...), so
        # its parse error surfaces here rather than in its worker (api/gunicorn_worker.py).
        log.warning("malformed request body", extra={"error": type(exc).__name__})
        return error_response(400, "bad_request", f"malformed request body: {str(exc)[:200]}")

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError) -> ResponseReturnValue:
        log.warning("database unavailable", extra={"error": type(exc.orig).__name__})
        return error_response(503, "unavailable", "the database is unavailable; retry later")

    @app.errorhandler(PoolTimeout)
    def _no_connection(exc: PoolTimeout) -> ResponseReturnValue:
        # Every pooled connection is busy for longer than VIGIE_DB_POOL_TIMEOUT: shed the
        # request rather than keep the caller waiting past its own timeout.
        log.warning("no database connection within the pool timeout")
        return error_response(503, "overloaded", "too many requests in progress; retry later")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "unexpected error; it has been logged")
