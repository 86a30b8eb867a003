"""The scoring task: scoring runs outside the write transaction."""

import logging
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Decision
from moderation.scores import Scores
from moderation.scoring import LexiconScorer
from tests.conftest import make_settings
from tests.support import comment
from vigie.runtime import Runtime
from workers.tasks import score, warm_up


class WritesWhileScoring:
    """A scorer that, mid-scoring, writes to the database from another connection."""

    version = "probe-1"

    def __init__(self, path: str) -> None:
        self.path = path
        self.inner = LexiconScorer()
        self.wrote = False

    def score_batch(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[Scores]:
        # timeout=0: fail at once ("database is locked") if someone holds the write lock.
        connection = sqlite3.connect(self.path, timeout=0)
        connection.execute("UPDATE comments SET thread_id = thread_id WHERE id = 1")
        connection.commit()
        connection.close()
        self.wrote = True
        return self.inner.score_batch(texts, languages)


def test_it_scores_without_holding_the_write_lock(runtime: Runtime) -> None:
    """Webhooks can store comments while a worker scores: the scorer's own write succeeds."""
    with runtime.sessions.begin() as session:
        ids = store_comments(
            session, parse_vigie_payload(comment("w1")), "acme", datetime.now(UTC)
        ).new_ids
    probe = WritesWhileScoring(runtime.settings.database_url.split("///")[1])
    runtime.__dict__["scorer"] = probe  # what the cached_property would hold
    score(runtime, ids)
    assert probe.wrote
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 1


def test_a_worker_starting_on_broken_rules_logs_them_once_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Celery logs a signal handler's exception with its traceback, after the reloader's line
    that already names the file and line: warming up must not raise."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "default.yaml").write_text("default_action: sometimes\n")
    rt = Runtime(make_settings(tmp_path, VIGIE_RULES_DIR=str(rules), VIGIE_SCORER="lexicon"))
    with caplog.at_level(logging.ERROR):
        warm_up(rt)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert "default.yaml:1" in caplog.text
