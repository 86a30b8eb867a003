"""Short real-process versions of the long outages, and two real beats.

- Slack down ~25 s (429 with Retry-After, 500, hanging past the client's timeout) while
  incidents get messages: a real worker and beat send them once, in order, afterwards
  (VIGIE_ALERT_BACKOFF_MAX=4 scales the backoff down, 60 for the 10-minute run set by
  VIGIE_FAULTS_SLACK_OUTAGE=600; the CI 10-minute outage is in test_slack_outage.py on a
  simulated clock).
- The decision callback refusing connections (~12 s), then accepting: delivered once each
  (the hour-long outage is in test_callback_outage.py on a simulated clock).
- Two `celery beat` processes by mistake: one headline per incident.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from alerts import outbox
from alerts.models import AlertMessage, Incident
from tests.alerts.fake_slack import FakeSlack
from tests.faults.receivers import SwitchableReceiver, refusing_port
from tests.faults.stack import Stack, counts, wait_for
from tests.faults.test_beat_twice import fill_burst, slack_env
from tests.support import comment
from vigie.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.faults]
# VIGIE_FAULTS_SLACK_OUTAGE=600 runs the full 10 minutes on real processes (not in CI).
SLACK_OUTAGE_S = float(os.environ.get("VIGIE_FAULTS_SLACK_OUTAGE", "25"))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(hang_s=11.0) as fake:  # longer than SlackTransport's 10 s timeout
        yield fake


def _queue(engine: object, key: str, action: str, text: str, ids: dict[str, int]) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():  # type: ignore[call-overload]
        if key not in ids:
            incident = Incident(
                platform=key, topic="", kind="spike", status="firing", severity="warning",
                opened_at=now, last_active_at=now, evaluated_at=now, notified_at=now,
                figures={}, slack_channel="C1",
            )  # fmt: skip
            session.add(incident)
            session.flush()
            ids[key] = incident.id
        incident = session.get(Incident, ids[key])
        outbox.queue(session, incident, action, {"text": text}, "slack", now)


def test_slack_down_then_back_real_worker_sends_once_in_order(
    tmp_path: Path, pg_settings: Settings, clean_redis: str, slack: FakeSlack
) -> None:
    stack = Stack(
        tmp_path,
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=clean_redis,
        VIGIE_ALERT_INTERVAL="1",
        # Scaled down, yet 20 attempts still span the outage (4 s: 78 s; 60 s: ~16 min).
        VIGIE_ALERT_BACKOFF_MAX=str(max(4.0, SLACK_OUTAGE_S / 10)),
        **slack_env(slack),
    )
    engine = create_engine(pg_settings.database_url)
    ids: dict[str, int] = {}
    plan = [
        ("x", "post", "x1 headline"), ("x", "reply", "x2 reply"),
        ("youtube", "post", "youtube1 headline"),
        ("x", "update", "x3 edit"), ("x", "reply", "x4 reply"),
        ("youtube", "update", "youtube2 edit"), ("youtube", "reply", "youtube3 reply"),
        ("x", "update", "x5 resolved"), ("x", "reply", "x6 Resolved."),
    ]  # fmt: skip
    try:
        stack.worker("w")
        stack.beat()
        t0 = time.monotonic()
        slack.fail_between(t0, t0 + SLACK_OUTAGE_S, "mixed")
        for i, (key, action, text) in enumerate(plan):
            _queue(engine, key, action, text, ids)
            time.sleep(2.0 if i < 6 else 0)
        recovered_at = wait_for(
            lambda: len(slack.calls) == len(plan) and time.monotonic(),
            SLACK_OUTAGE_S + 120,
            "every message sent",
        )
        time.sleep(2)  # nothing more arrives
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()
    with Session(engine) as session:
        statuses = list(session.scalars(select(AlertMessage.status)))
        ts = {i.platform: i.slack_ts for i in session.scalars(select(Incident))}
    engine.dispose()
    assert statuses == ["sent"] * len(plan)
    texts = [body["text"] for _, body in slack.calls]
    assert sorted(texts) == sorted(t for *_, t in plan), "each message once"
    for key in ids:
        assert [t for t in texts if t.startswith(key)] == [t for k, _, t in plan if k == key]
    for method, body in slack.calls:
        key = "youtube" if body["text"].startswith("youtube") else "x"
        if method == "chat.update":
            assert body["ts"] == ts[key]
        elif "headline" not in body["text"]:
            assert body["thread_ts"] == ts[key]
    refused = Counter(mode for *_, mode in slack.refused)
    print(
        f"\nSlack down {SLACK_OUTAGE_S:.0f} s (real processes): refused {dict(refused)}; "
        f"all {len(plan)} messages sent in order "
        f"{recovered_at - (t0 + SLACK_OUTAGE_S):.1f} s after Slack came back"
    )


def test_callback_refusing_then_accepting_real_processes(
    tmp_path: Path, pg_settings: Settings, clean_redis: str
) -> None:
    port = refusing_port()
    stack = Stack(
        tmp_path,
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=clean_redis,
        VIGIE_SOURCE_ACME_CALLBACK_URL=f"http://127.0.0.1:{port}/hook",
    )
    receiver = None
    total = 50
    try:
        stack.web()
        stack.worker("w")
        stack.beat()
        started = time.monotonic()
        batch = [comment(f"cb-{i}", text=f"callback {i}") for i in range(total)]
        assert stack.post({"comments": batch}).status_code == 202
        db = pg_settings.database_url
        wait_for(lambda: counts(db)["deliveries"] == total, 60, "decisions and their callbacks")
        time.sleep(12 - (time.monotonic() - started))  # refused for ~12 s
        receiver = SwitchableReceiver(lambda: False, port=port)
        up_at = time.monotonic()
        wait_for(lambda: counts(db)["delivered"] == total, 90, "callbacks delivered")
        delivered_after = time.monotonic() - up_at
        engine = create_engine(db)
        with engine.connect() as connection:
            attempts = connection.exec_driver_sql("SELECT max(attempts) FROM deliveries").scalar()
        engine.dispose()
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()
        if receiver is not None:
            receiver.close()
    ids = sorted(c["external_id"] for c in receiver.received)
    assert ids == sorted(f"cb-{i}" for i in range(total)), "each callback once"
    print(
        f"\ncallback refused ~12 s (real processes): {total} delivered once, "
        f"{delivered_after:.1f} s after the receiver came up, up to {attempts} attempts each"
    )


def test_two_beats_post_one_headline_per_incident(
    tmp_path: Path, pg_settings: Settings, clean_redis: str, slack: FakeSlack
) -> None:
    engine = create_engine(pg_settings.database_url)
    with Session(engine) as session, session.begin():
        fill_burst(session, datetime.now(UTC).replace(second=0) + timedelta(minutes=1))
    stack = Stack(
        tmp_path,
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=clean_redis,
        VIGIE_ALERT_INTERVAL="1",
        **slack_env(slack),
    )
    try:
        worker = stack.worker("w", concurrency=4)
        stack.beat("beat-1")
        stack.beat("beat-2")
        wait_for(lambda: slack.calls, 60, "a headline")
        time.sleep(10)  # ten more ticks from each beat
        skipped = worker.text().count("another tick is running")
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()
    with Session(engine) as session:
        incidents = list(session.scalars(select(Incident)))
    engine.dispose()
    keys = [(i.platform, i.topic, i.kind) for i in incidents]
    assert len(keys) == len(set(keys)), f"an incident opened twice: {keys}"
    notified = [i for i in incidents if i.notified_at is not None]
    headlines = [b for m, b in slack.calls if m == "chat.postMessage" and "thread_ts" not in b]
    assert notified and len(headlines) == len(notified), [m for m, _ in slack.calls]
    print(
        f"\ntwo celery beats, 10+ s: {len(incidents)} incident(s), {len(headlines)} headline(s); "
        f"{skipped} tick(s) skipped because the other beat's tick held the lock"
    )
