"""`kill -9` of a Celery worker mid-batch: every comment is still decided exactly once and
called back once (per delivery id). Real gunicorn, Celery worker and beat processes on Redis
and PostgreSQL (the run's own database and Redis db number)."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.faults.stack import Stack, counts, wait_for
from tests.support import CallbackReceiver, comment
from vigie.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.faults]
BATCHES, BATCH = 4, 250
TOTAL = BATCHES * BATCH


@pytest.mark.parametrize(
    "victim",
    [
        "whole-worker",  # the harder case: nothing is left to requeue the task
        pytest.param("pool-process", marks=pytest.mark.slow),  # requeued by the worker
    ],
)
def test_kill_9_worker_mid_batch_decides_each_comment_once(
    tmp_path: Path,
    pg_settings: Settings,
    clean_redis: str,
    receiver: CallbackReceiver,
    victim: str,
) -> None:
    stack = Stack(
        tmp_path,
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=clean_redis,
        VIGIE_SOURCE_ACME_CALLBACK_URL=receiver.url,
        VIGIE_VISIBILITY_TIMEOUT="10",  # Redis gives a dead worker's tasks back after 10 s
        VIGIE_RESCUE_AFTER="20",  # the sweep re-enqueues comments pending for 20 s
    )
    try:
        stack.web()
        first = stack.worker("first")
        stack.beat()
        db = pg_settings.database_url

        def post_all() -> None:
            for b in range(BATCHES):
                batch = [comment(f"k{b}-{i}", text=f"comment {b} {i}") for i in range(BATCH)]
                response = stack.post({"comments": batch}, timeout=30)
                assert response.status_code == 202, response.text

        poster = threading.Thread(target=post_all)
        poster.start()
        # Kill while the worker is deciding: some comments decided, most not yet.
        wait_for(lambda: counts(db)["decided"] >= 50, 60, "first decisions", every=0.02)
        before = counts(db)["decided"]
        killed_at = time.monotonic()
        if victim == "whole-worker":
            first.kill(signal.SIGKILL)
        else:
            children = first.children()
            assert children, "the worker has pool processes"
            import os

            for pid in children:
                os.kill(pid, signal.SIGKILL)
        poster.join(timeout=120)
        assert counts(db)["comments"] == TOTAL
        if victim == "whole-worker":
            time.sleep(1)
            stack.worker("second")
        wait_for(lambda: counts(db)["decided"] == TOTAL, 150, "every comment decided", every=0.2)
        recovered = time.monotonic() - killed_at
        wait_for(lambda: counts(db)["delivered"] == TOTAL, 90, "every callback delivered")
        final = counts(db)
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()

    assert final["decisions"] == TOTAL and final["decided_twice"] == 0
    assert final["deliveries"] == TOTAL
    by_comment: dict[str, set[str]] = defaultdict(set)
    for call in receiver.received:
        by_comment[call["external_id"]].add(call["delivery"])
    assert len(by_comment) == TOTAL, "every decision was called back"
    assert all(len(ids) == 1 for ids in by_comment.values()), "one delivery per comment"
    posts = Counter(call["external_id"] for call in receiver.received)
    repeated = sum(n - 1 for n in posts.values())
    assert receiver.bad_signatures == 0
    print(
        f"\nkill -9 {victim} with {before}/{TOTAL} decided: all {TOTAL} decided once "
        f"{recovered:.1f} s after the kill; {final['deliveries']} deliveries, "
        f"{repeated} callback POST(s) repeated with the same X-Vigie-Delivery"
    )
