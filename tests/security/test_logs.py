"""No comment text or author data in logs at info level, through ingest, scoring and delivery."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from api.app import create_app
from moderation.models import Comment, Delivery
from tests.conftest import make_settings
from tests.support import comment, signed, signed_get
from vigie import migrate
from vigie.runtime import Runtime
from workers.tasks import attempt_delivery, score

TEXT = "Espèce de connard zxqvtext, rends-moi mon argent"
HANDLE = "@zxqvhandle"
AUTHOR_ID = "zxqvauthor"


def _logged_strings(records: list[logging.LogRecord]) -> str:
    """Everything a log handler could write: message, arguments and every extra attribute."""
    return "\n".join(
        f"{r.getMessage()} {r.args!r} {vars(r)!r}" for r in records if r.levelno >= logging.INFO
    )


def test_it_keeps_comment_text_and_authors_out_of_info_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Post, read back, score, decide and call back a comment: no log record carries its data."""
    settings = make_settings(
        tmp_path,
        VIGIE_SCORER="lexicon",
        VIGIE_SOURCE_ACME_CALLBACK_URL="http://127.0.0.1:9/hook",  # refused: logs the failure
    )
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    client = create_app(runtime=rt).test_client()
    caplog.set_level(logging.INFO)
    item = comment("logged", text=TEXT)
    item["author"] = {"id": AUTHOR_ID, "handle": HANDLE}
    body, headers = signed(item)
    assert client.post("/v1/comments", data=body, headers=headers).status_code == 202
    with rt.sessions() as db:
        ids = list(db.scalars(select(Comment.id)))
    delivery_ids = score(rt, ids)
    assert delivery_ids, "a callback was queued, so delivery logging is exercised"
    for delivery_id in delivery_ids:
        attempt_delivery(rt, delivery_id)
    path = "/v1/comments/x/logged"
    assert client.get(path, headers=signed_get(path)).json["comment"]["text"] == TEXT
    with rt.sessions() as db:
        assert db.scalars(select(Delivery.attempts)).all() == [1]
    logged = _logged_strings(caplog.records)
    assert caplog.records, "the pipeline logs at info level, so the check is not vacuous"
    for secret in ("zxqvtext", "zxqvhandle", "zxqvauthor"):
        assert secret not in logged
    rt.close()
