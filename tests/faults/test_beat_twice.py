"""Beat running twice by mistake: no incident opened twice, no alert sent twice.

Two ways: several detector ticks in separate processes released at the same instant against
one PostgreSQL database (the worst case, deterministic), and two real `celery beat` processes
with a real worker (test_processes.py). Both against the fake Slack on loopback.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from alerts.models import AlertMessage, Incident
from tests.alerts.alert_series import fill_counts
from tests.alerts.fake_slack import FakeSlack
from vigie.settings import Settings

pytestmark = pytest.mark.postgres
TICKS = 4


def fill_burst(session: Session, end: datetime, platform: str = "facebook", days: int = 8) -> None:
    """Steady per-minute counts for `days` before `end`, and a burst of negatives at the end."""
    fill_counts(session, end, platform, burst=30, days=days)


def slack_env(slack: FakeSlack) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.url,
        "VIGIE_ALERT_CHANNELS": "default=#alerts,crisis=#crisis",
    }


def _tick_process(environ: dict[str, str], barrier: Any, now: datetime, lock: bool) -> None:
    """One beat's tick in its own process: judge, then send what is due (as the worker does)."""
    from alerts import outbox, service
    from vigie.runtime import Runtime
    from workers import alert_tasks

    if not lock:  # the unique index alone must hold too
        alert_tasks._another_tick_running = lambda session: False  # type: ignore[assignment]
    rt = Runtime(Settings.from_env(environ))
    with rt.sessions() as session:  # connect before the barrier: start the ticks together
        session.execute(select(1))
    barrier.wait(timeout=60)
    for message_id in alert_tasks.tick(rt, now):
        outbox.attempt(rt.sessions, message_id, service.transport(rt.settings), lambda: now)
    rt.close()


@pytest.mark.parametrize("lock", [True, False], ids=["advisory-lock", "unique-index-only"])
def test_concurrent_ticks_open_one_incident_and_post_one_headline(
    tmp_path: Path, pg_settings: Settings, lock: bool
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    engine = create_engine(pg_settings.database_url)
    with Session(engine) as session, session.begin():
        fill_burst(session, now.replace(second=0) + timedelta(minutes=1))
    with FakeSlack() as slack:
        environ = {
            "VIGIE_ENV": "test",
            "VIGIE_DATA_DIR": str(tmp_path),
            "DATABASE_URL": pg_settings.database_url,
            **slack_env(slack),
        }
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(TICKS)
        processes = [
            context.Process(target=_tick_process, args=(environ, barrier, now, lock))
            for _ in range(TICKS)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert [p.exitcode for p in processes] == [0] * TICKS
    with Session(engine) as session:
        incidents = list(session.scalars(select(Incident)))
        messages = list(session.scalars(select(AlertMessage)))
    engine.dispose()
    keys = [(i.platform, i.topic, i.kind) for i in incidents]
    assert keys, "the burst opened an incident"
    assert len(keys) == len(set(keys)), f"an incident opened twice: {keys}"
    posts = [m for m in messages if m.action == "post"]
    notified = [i for i in incidents if i.notified_at is not None]  # others: inhibited
    assert notified and len(posts) == len(notified)
    headlines = [body for method, body in slack.calls if method == "chat.postMessage"]
    headlines = [b for b in headlines if "thread_ts" not in b]
    print(f"\n{TICKS} concurrent ticks (lock={lock}): {len(incidents)} incident(s), {len(notified)} notified, "
          f"{len(headlines)} headline(s), Slack calls {[m for m, _ in slack.calls]}")  # fmt: skip
    assert len(headlines) == len(notified), "one headline per incident"
