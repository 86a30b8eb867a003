"""Sentry receives errors but never comment text or author data; logs are structured."""

import gzip
import http.server
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from flask import request

from api.app import create_app
from tests.conftest import make_settings
from vigie import migrate
from vigie.observability import configure_logging, init_sentry

PRIVATE = "SECRET-COMMENT-TEXT-1234"
HANDLE = "@private.handle.5678"


class FakeSentry:
    """Accepts Sentry envelopes on loopback and keeps their raw bytes."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                fake.envelopes.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://public@127.0.0.1:{self.server.server_address[1]}/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    server = FakeSentry()
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to a disabled client
    server.close()


def test_it_reports_errors_without_comment_text(tmp_path: Path, fake_sentry: FakeSentry) -> None:
    """An error while handling a comment reaches Sentry, without its text or author handle."""
    settings = make_settings(tmp_path, SENTRY_DSN=fake_sentry.dsn)
    migrate.upgrade(settings.database_url)
    assert init_sentry(settings, "web")
    app = create_app(settings)

    @app.post("/boom")
    def boom() -> str:
        payload = request.get_json()
        text, author = payload["text"], payload["author"]
        logging.getLogger("vigie.test").info("handling", extra={"text": text})
        raise RuntimeError(f"failed on a comment of length {len(text)} by {len(author)}")

    response = app.test_client().post("/boom", json={"text": PRIVATE, "author": HANDLE})
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"
    sentry_sdk.flush(timeout=5)
    sent = b"".join(fake_sentry.envelopes)
    assert b"failed on a comment of length" in sent, "the error itself reached Sentry"
    assert PRIVATE.encode() not in sent
    assert HANDLE.encode() not in sent


def test_it_stays_off_without_a_dsn(tmp_path: Path) -> None:
    """Without SENTRY_DSN nothing is initialised."""
    assert not init_sentry(make_settings(tmp_path), "web")


def test_it_logs_json_lines_in_production(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With VIGIE_LOG_JSON=true each log record is one JSON object with its context."""
    configure_logging(make_settings(tmp_path, VIGIE_LOG_JSON="true"))
    logging.getLogger("vigie.test").warning("callback failed", extra={"delivery_id": 7})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert (record["event"], record["delivery_id"], record["level"]) == (
        "callback failed",
        7,
        "warning",
    )


def test_it_keeps_celery_per_task_lines_out_of_info_logs(tmp_path: Path) -> None:
    """Beat's tasks every 5 s would print two 'received' lines each; DEBUG shows them again."""
    names = ("celery.worker.strategy", "celery.app.trace", "celery.beat")
    configure_logging(make_settings(tmp_path))
    assert logging.getLogger("workers.tasks").isEnabledFor(logging.INFO)
    assert not any(logging.getLogger(n).isEnabledFor(logging.INFO) for n in names)
    assert all(logging.getLogger(n).isEnabledFor(logging.WARNING) for n in names)
    configure_logging(make_settings(tmp_path, VIGIE_LOG_LEVEL="DEBUG"))
    assert all(logging.getLogger(n).isEnabledFor(logging.DEBUG) for n in names)
    configure_logging(make_settings(tmp_path))
