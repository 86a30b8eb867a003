"""End to end on the running service: a burst of negative comments through the signed webhook,
timed until the fake Slack server on loopback receives the alert.

    .venv/bin/python bench/alerts_e2e.py

Starts `vigie run` (web, worker, beat; embedded SQLite broker) in a temporary folder with
8 days of ordinary per-minute counts seeded, so the detector has its baseline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run from anywhere: the project root first, so `bench.*` and the project's packages import
# (and no script in bench/ can shadow a standard-library module).
sys.path[0:1] = [str(ROOT), str(ROOT / "tests" / "alerts")]

import numpy as np  # noqa: E402
import requests  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from alerts.models import MinuteCount  # noqa: E402
from vigie import migrate  # noqa: E402
from vigie.db import make_engine  # noqa: E402
from vigie.demo import DemoClient, comment  # noqa: E402
from vigie.settings import DEV_SOURCE_SECRET  # noqa: E402

ANGRY = [
    "This is terrible, I hate this awful service.",
    "Worst company ever, absolutely horrible and useless.",
    "I am furious, this is a disgusting scam.",
    "Terrible, awful, broken again. I hate it.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, now: datetime) -> None:
    rng = np.random.default_rng(1)
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(days=8)
    rows = []
    for i in range(8 * 1440):
        total = int(rng.poisson(2.0))
        rows.append({"platform": "facebook", "topic": "", "minute": start + timedelta(minutes=i),
                     "total": total, "negative": int(rng.binomial(total, 0.2)), "toxic": 0})  # fmt: skip
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(MinuteCount), rows)
    engine.dispose()


def measure(limit_s: float = 180.0) -> tuple[float, float, str | None]:
    """(seconds to the Slack message, seconds until the burst was decided, the message text)."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack:
        port = free_port()
        env = os.environ | {
            "VIGIE_DATA_DIR": tmp, "PORT": str(port), "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": slack.url, "VIGIE_ALERT_CHANNELS": "default=#alerts",
        }  # fmt: skip
        url = f"sqlite:///{Path(tmp).resolve()}/vigie.sqlite3"
        migrate.upgrade(url)
        seed(url, datetime.now(UTC))
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/vigie"), "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.5)
            client = DemoClient(base, "demo", DEV_SOURCE_SECRET)
            burst = [
                comment("facebook", f"e2e-{i}", ANGRY[i % len(ANGRY)], "en", f"angry{i}")
                for i in range(60)
            ]
            started = time.monotonic()
            response = client.post({"comments": burst})
            assert response.status_code == 202, response.text
            decided = float("nan")
            while (
                not any(m == "chat.postMessage" for m, _ in slack.calls)
                and time.monotonic() - started < limit_s
            ):
                last = client.get("facebook", burst[-1]["external_id"]).json()
                if decided != decided and last.get("decision"):  # NaN until the burst is decided
                    decided = time.monotonic() - started
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            posts = [b for m, b in slack.calls if m == "chat.postMessage"]
            return elapsed, decided, posts[0]["text"] if posts else None
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    elapsed, decided, text = measure()
    if text is None:
        print("end to end: no alert reached the fake Slack server within 180 s")
        sys.exit(1)
    print(f"end to end: burst of 60 negative comments -> Slack message in {elapsed:.1f} s "
          f"(all decided after {decided:.1f} s)")  # fmt: skip
    print(f"  message: {text}")


if __name__ == "__main__":
    main()
