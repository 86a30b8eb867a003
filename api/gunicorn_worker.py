"""gunicorn's worker for the `web` process, answering malformed HTTP with Vigie's JSON errors.

A request gunicorn cannot parse (a garbled request line or header, a request line or headers
over its limits) never reaches Flask: gunicorn answers it itself, with an HTML page. This
worker answers the same statuses with the JSON body the Flask app uses for every error
(`{"error": <short code>, "detail": <what went wrong>}`, api/errors.py):

    gunicorn --threads 4 --worker-class api.gunicorn_worker.JsonErrorWorker api.wsgi:app

It is gunicorn's threaded worker (`gthread`, what `--threads` selects) with `handle_error`
replaced; nothing else changes.
"""

from __future__ import annotations

import json
import ssl
from datetime import datetime
from typing import Any

from gunicorn import util
from gunicorn.http import errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.http import HTTP_STATUS_CODES

MAX_DETAIL_CHARS = 300  # the detail may quote the client's bytes: a garbled request line

# Statuses other than 400 for gunicorn's parse errors (looked up by name: the set of errors
# grows with gunicorn's versions).
_STATUS_BY_ERROR = {
    "LimitRequestLine": 414,  # request line over --limit-request-line (4094 bytes)
    "LimitRequestHeaders": 431,  # too many headers, or one over --limit-request-field_size
    "ExpectationFailed": 417,
    "UnsupportedTransferCoding": 501,
    "ForbiddenProxyRequest": 403,
    "ConfigurationProblem": 500,  # gunicorn's configuration, not the client
}
_SERVER_FAULTS = tuple(
    getattr(errors, name)
    for name in ("InvalidResponseHeader", "InvalidResponseHeaderName")
    if hasattr(errors, name)
)  # a header the application tried to send: a 500, as any application error


def classify(exc: BaseException) -> tuple[int, str, str]:
    """(status, error code, detail) for an exception gunicorn hands to `handle_error`."""
    if isinstance(exc, errors.ParseException) and not isinstance(exc, _SERVER_FAULTS):
        status = _STATUS_BY_ERROR.get(type(exc).__name__, 400)
        detail = _detail(exc)
    elif isinstance(exc, ssl.SSLError):
        status, detail = 403, "TLS error"
    else:
        return 500, "internal_error", "unexpected error; it has been logged"
    return status, _code(status), detail


def error_body(status: int, code: str, detail: str) -> bytes:
    """The whole HTTP response, closing the connection as gunicorn's own error page does."""
    body = json.dumps({"error": code, "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {HTTP_STATUS_CODES.get(status, 'Error')}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker; its own error answers are Vigie's JSON errors."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        started = datetime.now()
        addr = addr or ("", -1)  # a unix socket
        status, code, detail = classify(exc)
        if status == 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
        if req is None and isinstance(exc, (errors.InvalidHeader, errors.InvalidHeaderName)):
            req = getattr(exc, "req", None)  # for the access log, as gunicorn does
        payload = error_body(status, code, detail)
        if req is not None:
            try:
                environ = default_environ(req, client, self.cfg)
                environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
                response = Response(req, client, self.cfg)
                response.status = f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}"
                response.response_length = len(payload)
                self.log.access(response, req, environ, datetime.now() - started)
            except Exception:
                self.log.debug("Failed to log the error response.")
        try:
            util.write_nonblock(client, payload)
        except Exception:
            self.log.debug("Failed to send error message.")


def _code(status: int) -> str:
    # As api/errors.py names Werkzeug's HTTP errors: "Request Header Fields Too Large" ->
    # "request_header_fields_too_large".
    return HTTP_STATUS_CODES.get(status, "error").lower().replace(" ", "_").replace("-", "_")


def _detail(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, errors.InvalidRequestLine):
        text = f"invalid request line {text!r}"
    elif isinstance(exc, errors.InvalidRequestMethod):
        text = f"invalid method {text!r}"
    elif isinstance(exc, errors.InvalidHTTPVersion):
        text = f"invalid HTTP version {text!r}"
    elif isinstance(exc, errors.LimitRequestHeaders):
        text = f"request headers: {text}"
    if len(text) > MAX_DETAIL_CHARS:
        text = text[: MAX_DETAIL_CHARS - 3] + "..."
    return text
