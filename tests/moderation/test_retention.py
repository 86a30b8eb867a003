"""Retention: old comments lose their text and author handle; decisions and counts stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.models import Action, Comment, CommentStatus, Decision
from moderation.retention import purge, purge_batch
from moderation.review.models import ItemStatus
from tests.conftest import make_settings
from tests.queue.conftest import add_item
from vigie import migrate
from vigie.cli import main
from vigie.runtime import Runtime
from vigie.settings import SettingsError
from workers.app import create_celery

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=31)
SCORES = {
    "toxicity": 0.9,
    "language": "fr",
    "spans": [{"score": "toxicity", "start": 0, "end": 7, "text": "connard", "weight": 0.8}],
}


def _decided(session: Session, external_id: str, at: datetime, **fields: object) -> Comment:
    row = Comment(
        source="acme", platform="x", external_id=external_id, author_id="u1",
        author_handle="@marie", text="Espèce de connard", created_at=at, received_at=at,
        status=CommentStatus.DECIDED, **fields,
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add(
        Decision(
            comment_id=row.id, action=Action.REMOVE, reasons=["explicit abuse"],
            rule_ids=["explicit-abuse"], scores=dict(SCORES), model_version="m1",
            rules_version="r1", decided_at=at,
        )
    )  # fmt: skip
    session.flush()
    return row


def test_it_blanks_old_text_and_handles_and_keeps_the_decision(session: Session) -> None:
    """A 31-day-old comment loses text, handle and quoted words; action, scores, ids stay."""
    old = _decided(session, "old", OLD)
    assert purge_batch(session, NOW - timedelta(days=30)) == 1
    session.expire_all()
    assert (old.text, old.author_handle) == ("", None)
    assert (old.author_id, old.platform, old.external_id) == ("u1", "x", "old")
    decision = old.decision
    assert decision is not None
    assert (decision.action, decision.rule_ids) == (Action.REMOVE, ["explicit-abuse"])
    assert decision.scores == {"toxicity": 0.9, "language": "fr"}


def test_it_keeps_recent_pending_and_still_queued_comments(session: Session) -> None:
    """Younger comments, undecided ones and items still open for review are left alone."""
    recent = _decided(session, "recent", NOW - timedelta(days=29))
    pending = _decided(session, "pending", OLD)
    pending.status = CommentStatus.PENDING
    queued = add_item(session, at=OLD)
    reviewed = add_item(session, at=OLD)
    reviewed.status = ItemStatus.DECIDED
    session.flush()
    assert purge_batch(session, NOW - timedelta(days=30)) == 1
    session.expire_all()
    texts = {c.external_id: c.text for c in session.scalars(select(Comment))}
    assert texts[recent.external_id] and texts[pending.external_id]
    assert texts[queued.comment.external_id]
    assert texts[reviewed.comment.external_id] == ""


def test_it_purges_in_batches_and_only_once(runtime: Runtime) -> None:
    """Five old comments in batches of two are all blanked; a second run finds nothing."""
    with runtime.sessions.begin() as session:
        for i in range(5):
            _decided(session, f"c{i}", OLD)
    assert purge(runtime.sessions, 30, NOW, batch=2) == 5
    assert purge(runtime.sessions, 30, NOW, batch=2) == 0
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).where(Comment.text != "")) == 0
        assert session.scalar(select(func.count()).select_from(Decision)) == 5


def test_it_purges_from_the_command_line(tmp_path: Path) -> None:
    """`vigie retention purge` uses VIGIE_RETENTION_DAYS, or --days, and says how many."""
    env = {"VIGIE_DATA_DIR": str(tmp_path), "VIGIE_ENV": "test"}
    settings = make_settings(tmp_path)
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    with rt.sessions.begin() as session:
        _decided(session, "ancient", datetime.now(UTC) - timedelta(days=400))
        _decided(session, "fresh", datetime.now(UTC) - timedelta(days=10))
    rt.close()
    runner = CliRunner()
    unset = runner.invoke(main, ["retention", "purge"], env=env)
    assert unset.exit_code != 0 and "VIGIE_RETENTION_DAYS" in unset.output
    ran = runner.invoke(main, ["retention", "purge"], env={**env, "VIGIE_RETENTION_DAYS": "365"})
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith("1 comment(s) older than 365 days blanked")
    override = runner.invoke(main, ["retention", "purge", "--days", "7"], env=env)
    assert override.output.startswith("1 comment(s) older than 7 days blanked")


def test_it_reads_the_retention_setting(tmp_path: Path) -> None:
    """VIGIE_RETENTION_DAYS is a whole number of days; unset keeps everything."""
    assert make_settings(tmp_path).retention_days is None
    assert make_settings(tmp_path, VIGIE_RETENTION_DAYS="90").retention_days == 90
    with pytest.raises(SettingsError, match="VIGIE_RETENTION_DAYS"):
        make_settings(tmp_path, VIGIE_RETENTION_DAYS="a month")


def test_it_schedules_the_purge_on_beat_only_when_set(tmp_path: Path) -> None:
    """Beat runs vigie.retention_purge hourly with a retention set, and not at all without."""
    without = create_celery(make_settings(tmp_path)).conf.beat_schedule
    with_it = create_celery(make_settings(tmp_path, VIGIE_RETENTION_DAYS="30")).conf.beat_schedule
    assert "retention" not in without
    assert with_it["retention"]["task"] == "vigie.retention_purge"
    assert with_it["retention"]["schedule"] == timedelta(hours=1)


def test_it_purges_from_the_beat_task(runtime: Runtime) -> None:
    """The task blanks old comments with the worker's settings."""
    import workers.tasks  # noqa: F401 - registers the tasks

    with runtime.sessions.begin() as session:
        _decided(session, "task", datetime.now(UTC) - timedelta(days=40))
    app = create_celery(make_settings(runtime.settings.data_dir, VIGIE_RETENTION_DAYS="30"))
    app.tasks["vigie.retention_purge"].apply().get()
    with runtime.sessions() as session:
        assert session.scalars(select(Comment.text)).all() == [""]


def test_it_refuses_more_days_than_the_setting_allows(tmp_path: Path) -> None:
    """`purge --days` past 36,500 (VIGIE_RETENTION_DAYS's bound) is a usage error, not an overflow."""
    env = {"VIGIE_DATA_DIR": str(tmp_path), "VIGIE_ENV": "test"}
    result = CliRunner().invoke(main, ["retention", "purge", "--days", "99999999999"], env=env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2 and "Invalid value for '--days'" in result.output
