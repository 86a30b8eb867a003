"""Review queue benchmark against a running Vigie: page, list, and claim+decide latency.

    .venv/bin/python bench/review_queue.py --url http://127.0.0.1:8000 [--items 100000] [--requests 200]

Seeds the service's database (DATABASE_URL, read like the service reads it) with --items open
queue items if it has fewer, creates a bench moderator and token, then measures sequentially:
the queue page (logged in), the API's list, and a claim+decide round trip through the API.
Targets (issue 4): page and list < 150 ms p95, claim+decide < 50 ms p95. The client runs on
the same machine as the service, so figures include its CPU contention.
"""

# ruff: noqa: E402 - the sys.path fix below must run before the project's imports

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run from anywhere: the project root first and bench/ off the path, so `rules`, `alerts`...
# are the project's packages and not the scripts of the same name in bench/.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import argparse
import os
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import func, insert, select

from moderation.models import Action, Comment, CommentStatus, Decision
from moderation.review import accounts
from moderation.review.models import ItemStatus, ReviewItem, Role, User
from moderation.review.priority import priority
from moderation.review.queue import fingerprint
from vigie.runtime import Runtime
from vigie.settings import Settings

PASSWORD = "bench-password-123"
TEXTS = [
    "Bravo, encore une panne, merci pour rien",
    "You people are clowns",
    "Vous êtes vraiment nuls, service client inexistant.",
    "This is the worst update ever, fix it.",
    "Boycott Acme now",
]
CHUNK = 5000


def seed(rt: Runtime, wanted: int) -> int:
    """Add open items until there are `wanted`; return how many were added."""
    with rt.sessions() as session:
        have = session.scalar(select(func.count()).where(ReviewItem.status == ItemStatus.OPEN))
    missing = max(0, wanted - int(have or 0))
    now = datetime.now(UTC)
    run = int(time.time())
    for start in range(0, missing, CHUNK):
        count = min(CHUNK, missing - start)
        with rt.sessions.begin() as session:
            rows = [
                {
                    "source": "demo",
                    "platform": ("x", "youtube", "facebook")[n % 3],
                    "external_id": f"bench-{run}-{start + n}",
                    "thread_id": f"post-{n % 50}",
                    "author_id": f"author-{n % 5000}",
                    "author_followers": (n * 37) % 100_000,
                    "text": TEXTS[n % len(TEXTS)],
                    "language": ("fr", "en")[n % 2],
                    "created_at": now,
                    "received_at": now,
                    "status": CommentStatus.DECIDED,
                }
                for n in range(count)
            ]
            ids = list(session.scalars(insert(Comment).returning(Comment.id), rows))
            scores = [
                {
                    "toxicity": (n % 10) / 10,
                    "irony": 0.6,
                    "confidence": 0.5,
                    "sentiment": "negative",
                }
                for n in range(count)
            ]
            decision_ids = list(
                session.scalars(
                    insert(Decision).returning(Decision.id),
                    [
                        {
                            "comment_id": cid,
                            "action": Action.REVIEW if n % 7 else Action.ESCALATE,
                            "reasons": ["bench"],
                            "rule_ids": ["bench-rule"],
                            "scores": scores[n],
                            "model_version": "bench",
                            "rules_version": "bench",
                            "decided_at": now,
                        }
                        for n, cid in enumerate(ids)
                    ],
                )
            )
            items = []
            for n, (cid, did) in enumerate(zip(ids, decision_ids, strict=True)):
                queued = now - timedelta(seconds=(start + n) % 86_400)
                parts = priority(
                    "review" if n % 7 else "escalate", scores[n], rows[n]["author_followers"]
                )
                items.append(
                    {
                        "comment_id": cid,
                        "decision_id": did,
                        "status": ItemStatus.OPEN,
                        "platform": rows[n]["platform"],
                        "language": rows[n]["language"],
                        "reason": "bench-rule",
                        "tags": ["review"],
                        "fingerprint": fingerprint(rows[n]["text"]),
                        "priority": parts.boost_minutes,
                        "queued_at": queued,
                        "rank_at": parts.rank_at(queued),
                        "corrections": [],
                    }
                )
            session.execute(insert(ReviewItem), items)
        print(f"  seeded {start + count}/{missing}", flush=True)
    return missing


def bench_user(rt: Runtime) -> str:
    """The bench moderator's API token (a new one each run)."""
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        user = session.scalars(select(User).where(User.username == "bench")).first()
        if user is None:
            user = accounts.create_user(session, "bench", PASSWORD, Role.MODERATOR, now)
        scopes = ["queue:read", "queue:write"]
        return accounts.create_token(session, user, "bench", scopes, now).secret


def timed(n: int, call: Callable[[], None]) -> list[float]:
    call()  # warm-up
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(name: str, times: list[float], target_ms: float) -> None:
    p95 = statistics.quantiles(times, n=20)[18]
    verdict = "ok" if p95 < target_ms else "OVER TARGET"
    print(
        f"{name:<28} n={len(times):<4} p50={statistics.median(times):6.1f} ms  "
        f"p95={p95:6.1f} ms  max={max(times):6.1f} ms  (target p95 < {target_ms:.0f} ms: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    rt = Runtime(Settings.from_env(os.environ))
    print(f"seeding up to {args.items} open items ...", flush=True)
    seed(rt, args.items)
    token = bench_user(rt)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    browser = requests.Session()
    login = browser.get(f"{args.url}/login", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf, "no CSRF token on /login"
    answer = browser.post(
        f"{args.url}/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": csrf.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"login failed: {answer.status_code}"

    def page() -> None:
        response = browser.get(f"{args.url}/queue", timeout=30)
        assert response.status_code == 200, response.status_code

    def listing() -> None:
        response = api.get(f"{args.url}/v1/review/items?limit=50", timeout=30)
        assert response.status_code == 200, response.status_code

    def claim_decide() -> None:
        item = api.post(f"{args.url}/v1/review/claim", timeout=30)
        assert item.status_code == 200, item.text
        decided = api.post(
            f"{args.url}/v1/review/items/{item.json()['id']}/decision",
            json={"action": "approve"},
            timeout=30,
        )
        assert decided.status_code == 200, decided.text

    with rt.sessions() as session:
        open_now = session.scalar(select(func.count()).where(ReviewItem.status == ItemStatus.OPEN))
    print(f"open items: {open_now}; {args.requests} sequential requests each\n")
    report("queue page (GET /queue)", timed(args.requests, page), 150)
    report("API list (50 items)", timed(args.requests, listing), 150)
    report("claim + decide (API)", timed(args.requests, claim_decide), 50)
    rt.close()


if __name__ == "__main__":
    main()
