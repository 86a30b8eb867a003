"""Load benchmark on the real service: gunicorn + Celery worker + beat on Redis + PostgreSQL.

    .venv/bin/python bench/load.py --rates 250,500,1000,2000 --batch 100 --step-seconds 300
    .venv/bin/python bench/load.py --storm --normal-rate 10
    .venv/bin/python bench/load.py --smoke          # about a minute, every phase, short

Starts `vigie run` on a PostgreSQL database and a Redis db number of its own (both removed
afterwards), or targets a running service with --url (then give --database-url and
--broker-url, which the end-of-run checks read). The client is open-loop: requests leave at a
fixed rate whatever the answers, each with a timeout (--timeout, 5 s), counted when it expires.

Steps: for each rate, comments/s offered for --step-seconds, then the backlog drains before
the next step. Per step: offered and accepted comments/s, ack latency, webhook-to-decision
latency (the decision's `decided_at` minus the request's send time), decisions/s, answers by
status, and the queue depth sampled every few seconds (broker messages waiting, undecided
comments).

Storm: --normal-rate comments/s (single comments, a brand's ordinary day), then 50x that for
--storm-seconds (in batches of --storm-batch), with a burst of negative comments on facebook
in the middle; then back to normal until the backlog drains. Refused requests (429/503) are
retried after their Retry-After, as platforms do. Slack is the fake Slack server
(tests/alerts/fake_slack.py) and the alert's delay is timed from the first negative comment.

At the end: every accepted comment decided exactly once, and called back once (--callbacks).
The client shares the machine with the service: figures are a floor.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "alerts")]

from bench.alerts_e2e import ANGRY, free_port, seed  # noqa: E402
from bench.comments import comments  # noqa: E402
from bench.ingest import Client  # noqa: E402
from tests.redis_claim import LOAD_RUN_KEY, claim_db  # noqa: E402
from tests.support import CallbackReceiver  # noqa: E402
from vigie import migrate  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
SOURCE, SECRET = "load", "load-bench-secret"
PLATFORMS = ["x", "instagram", "tiktok", "youtube", "linkedin"]  # facebook is the storm's burst
VIGIE = str(Path(sys.executable).parent / "vigie")


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the service under test ---------------------------------------------------------------


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this run, dropped afterwards."""
    name = f"vigie_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_db() -> Iterator[str]:
    """A Redis db number of this run's own, flushed afterwards: an empty one, or one a crashed
    run on this host left (claimed with a marker key naming this process: tests/redis_claim.py)."""
    # A day: the TTL must outlast the longest soak (at two hours a longer one lost it), and a crashed
    # run's claim does not wait for it: the next run sees its owner is gone and takes it over.
    url = claim_db(
        REDIS_HOST, REDIS_PORT, range(15, 0, -1), LOAD_RUN_KEY, ttl=86_400, require_empty=True
    )
    if url is None:
        raise SystemExit("no free Redis db number")
    client = redis.Redis.from_url(url)
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@dataclass
class Target:
    url: str
    database_url: str
    broker_url: str
    slack: Any = None  # FakeSlack when the service was started here
    receiver: CallbackReceiver | None = None
    pid: int | None = None  # `vigie run`, when started here: its processes' memory is sampled


@contextmanager
def service(
    database_url: str, broker_url: str, args: argparse.Namespace, log_path: Path
) -> Iterator[Target]:
    """`vigie run` with this run's database, broker, fake Slack and optional callback receiver."""
    from fake_slack import FakeSlack

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        slack = stack.enter_context(FakeSlack())
        receiver = CallbackReceiver(secret=SECRET) if args.callbacks else None
        if receiver is not None:
            stack.callback(receiver.close)
        port = free_port()
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("VIGIE_", "DATABASE", "REDIS", "SLACK"))},
            "VIGIE_DATA_DIR": tmp, "PORT": str(port), "DATABASE_URL": database_url,
            "REDIS_URL": broker_url, "VIGIE_SOURCES": SOURCE,
            "VIGIE_SOURCE_LOAD_SECRET": SECRET, "VIGIE_SCORER": args.scorer,
            "VIGIE_RATE_LIMIT_PER_SOURCE": str(args.rate_limit), "VIGIE_LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": "xoxb-load", "SLACK_API_URL": slack.url,
            "VIGIE_ALERT_CHANNELS": "default=#alerts",
            **({"VIGIE_SOURCE_LOAD_CALLBACK_URL": receiver.url} if receiver else {}),
            **dict(pair.split("=", 1) for pair in args.env),
        }  # fmt: skip
        log = stack.enter_context(log_path.open("wb"))
        process = subprocess.Popen(
            [VIGIE, "run", "--workers", str(args.workers)],
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        stopping = threading.Event()
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url, process, log_path)
            threading.Thread(target=_watch, args=(process, log_path, stopping), daemon=True).start()
            yield Target(url, database_url, broker_url, slack, receiver, process.pid)
        finally:
            stopping.set()
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _watch(process: subprocess.Popen[bytes], log_path: Path, stopping: threading.Event) -> None:
    """Stop the run when `vigie run` exits on its own: the figures of a dead service are
    meaningless (a worker that could not start once left a soak offering load to nobody)."""
    code = process.wait()
    if not stopping.is_set():
        print(
            f"vigie run exited (code {code}) during the run; its log ends:\n"
            f"{log_path.read_text(errors='replace')[-3000:]}",
            file=sys.stderr,
            flush=True,
        )
        os.kill(os.getpid(), signal.SIGINT)  # a real signal wakes a sleeping main thread


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"vigie run exited:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"vigie run not ready after 120 s:\n{log_path.read_text()[-3000:]}")


# --- the database and broker, read by the bench -------------------------------------------


class Probe:
    """Counts read from the service's database and broker (never through the API)."""

    def __init__(self, target: Target) -> None:
        self.engine = create_engine(target.database_url, pool_size=2)
        self.broker = redis.Redis.from_url(target.broker_url)

    def pending(self) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(text("SELECT count(*) FROM comments WHERE status = 'pending'")))

    def queued(self) -> int:
        """Scoring and delivery messages waiting in the broker's queue."""
        return int(self.broker.llen("celery"))

    def decided_at(self, prefix: str) -> dict[str, datetime]:
        """external_id -> decided_at for the comments whose id starts with prefix."""
        with self.engine.connect() as c:
            rows = c.execute(
                text(
                    "SELECT c.external_id, d.decided_at FROM comments c"
                    " JOIN decisions d ON d.comment_id = c.id WHERE c.external_id LIKE :p"
                ),
                {"p": prefix + "%"},
            )
            return {r.external_id: r.decided_at for r in rows}

    def integrity(self, prefix: str) -> dict[str, int]:
        with self.engine.connect() as c:
            row = c.execute(
                text(
                    "SELECT count(*) AS stored, count(d.id) AS decided,"
                    " count(*) FILTER (WHERE c.status = 'pending') AS pending"
                    " FROM comments c LEFT JOIN decisions d ON d.comment_id = c.id"
                    " WHERE c.external_id LIKE :p"
                ),
                {"p": prefix + "%"},
            ).one()
            twice = c.scalar(
                text(
                    "SELECT count(*) FROM (SELECT comment_id FROM decisions"
                    " GROUP BY comment_id HAVING count(*) > 1) AS t"
                )
            )
            deliveries = c.execute(
                text(
                    "SELECT count(*) AS n, count(DISTINCT decision_id) AS distinct_n,"
                    " count(*) FILTER (WHERE status = 'delivered') AS delivered FROM deliveries"
                )
            ).one()
        return {
            "stored": row.stored,
            "decided": row.decided,
            "pending": row.pending,
            "decided_twice": int(twice or 0),
            "deliveries": deliveries.n,
            "deliveries_distinct": deliveries.distinct_n,
            "deliveries_delivered": deliveries.delivered,
        }

    def close(self) -> None:
        self.engine.dispose()
        self.broker.close()


def _role(cmdline: str) -> str:
    if "gunicorn" in cmdline:
        return "web"
    if "celery" in cmdline and " beat" in cmdline:
        return "beat"
    if "celery" in cmdline and " worker" in cmdline:
        return "worker"
    return "other"


def tree_rss_mb(root: int) -> dict[str, float]:
    """Resident memory (MB) of `root` and its descendants, summed by role, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry.name))
    found: dict[str, float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
            status = (Path("/proc") / str(pid) / "status").read_text()
        except OSError:
            continue
        kb = next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        role = _role(cmdline.decode(errors="replace"))
        found[role] = found.get(role, 0.0) + kb / 1024
    return found


class Sampler:
    """Samples queue depth every `every` seconds: (monotonic time, broker messages, undecided).

    With the service's pid, also its processes' resident memory by role (`rss`).
    """

    def __init__(self, probe: Probe, every: float, pid: int | None = None) -> None:
        self.probe, self.every, self.pid = probe, every, pid
        self.samples: list[tuple[float, int, int]] = []
        self.rss: list[tuple[float, dict[str, float]]] = []
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                sample = (time.monotonic(), self.probe.queued(), self.probe.pending())
                self.samples.append(sample)
                if self.pid is not None:
                    self.rss.append((sample[0], tree_rss_mb(self.pid)))
            except Exception as exc:
                print(f"  sampler: {type(exc).__name__}: {exc}", flush=True)
            self.stop.wait(self.every)

    def between(self, start: float, end: float) -> list[tuple[float, int, int]]:
        return [s for s in self.samples if start <= s[0] <= end]

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


# --- the open-loop client ----------------------------------------------------------------


# Varied texts, each one unique (a trailing number, as order or ticket numbers are): the default
# scorer caches repeated texts, so a handful of repeated sentences would measure the cache.
TEXT_POOL = comments(2_000, seed=11)


def make_comment(external_id: str, n: int, platform: str | None = None) -> dict[str, Any]:
    return {
        "platform": platform or PLATFORMS[n % len(PLATFORMS)],
        "external_id": external_id,
        "thread_id": f"load-post-{n % 50}",
        "author": {"id": f"load-user-{n % 4999}", "followers": n % 5000},
        "text": f"{TEXT_POOL[n % len(TEXT_POOL)]} ({n})",
        "created_at": datetime.now(UTC).isoformat(),
    }


@dataclass
class Tally:
    """What one phase's requests got back."""

    statuses: Counter[str] = field(default_factory=Counter)
    ack_s: list[float] = field(default_factory=list)  # 202 answers only
    answer_s: list[float] = field(default_factory=list)  # every answer, refused ones too
    late_s: list[float] = field(default_factory=list)  # how late the client sent (its own lag)
    accepted: int = 0  # comments in 202 answers
    sent_at: dict[str, float] = field(default_factory=dict)  # external_id -> wall time of its 202
    retry_after_missing: int = 0
    gave_up: int = 0  # comments never accepted after --retries attempts
    lock: threading.Lock = field(default_factory=threading.Lock)


class OpenLoop:
    """Sends requests at scheduled times from a thread pool; never waits for answers."""

    def __init__(self, client: Client, timeout: float, threads: int, retries: int) -> None:
        self.client, self.timeout, self.retries = client, timeout, retries
        self.pool = ThreadPoolExecutor(threads)
        self.timers: list[threading.Timer] = []
        self.outstanding = 0  # requests queued, in flight or waiting to be retried
        self.lock = threading.Lock()

    def send(self, items: list[dict[str, Any]], tally: Tally, due: float, attempt: int = 1) -> None:
        with self.lock:
            self.outstanding += 1
        self.pool.submit(self._send, items, tally, due, attempt)

    def _retry(self, *args: Any) -> None:
        self.send(*args)
        with self.lock:
            self.outstanding -= 1  # the retry's own send counts it from now on

    def _send(self, items: list[dict[str, Any]], tally: Tally, due: float, attempt: int) -> None:
        started = time.monotonic()
        wall = time.time()
        payload: object = items[0] if len(items) == 1 else {"comments": items}
        try:
            status, latency, retry_after = self._post(payload)
        except requests.Timeout:
            status, latency, retry_after = "timeout", time.monotonic() - started, None
        except requests.RequestException as exc:
            status, latency, retry_after = type(exc).__name__, time.monotonic() - started, None
        with tally.lock:
            tally.statuses[str(status)] += 1
            tally.late_s.append(started - due)
            tally.answer_s.append(latency)
            if status == 202:
                tally.ack_s.append(latency)
                tally.accepted += len(items)
                for item in items:
                    tally.sent_at[item["external_id"]] = wall
            elif status in (429, 503) and retry_after is None:
                tally.retry_after_missing += 1
        if status != 202 and attempt <= self.retries:
            delay = float(retry_after or 1)
            timer = threading.Timer(
                delay, self._retry, (items, tally, time.monotonic() + delay, attempt + 1)
            )
            timer.daemon = True
            with self.lock:
                self.outstanding += 1
            timer.start()
            self.timers.append(timer)
        elif status != 202:
            with tally.lock:
                tally.gave_up += len(items)
        with self.lock:
            self.outstanding -= 1

    def _post(self, payload: object) -> tuple[int, float, str | None]:
        from moderation.signing import vigie_signature

        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Vigie-Source": self.client.source,
            "X-Vigie-Signature": vigie_signature(self.client.secret, body, int(time.time())),
        }
        started = time.perf_counter()
        response = self.client.session().post(
            f"{self.client.url}/v1/comments", data=body, headers=headers, timeout=self.timeout
        )
        return (
            response.status_code,
            time.perf_counter() - started,
            response.headers.get("Retry-After"),
        )

    def wait_idle(self, limit: float) -> None:
        """Until every request sent, retries included, has its final answer (or `limit`)."""
        deadline = time.monotonic() + limit
        while self.outstanding and time.monotonic() < deadline:
            time.sleep(0.2)

    def close(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.pool.shutdown(wait=True)


def offer(
    loop: OpenLoop,
    tally: Tally,
    rate: float,
    batch: int,
    seconds: float,
    make: Callable[[int, int], list[dict[str, Any]]],
) -> None:
    """Offer `rate` comments/s in requests of `batch` for `seconds`, on a fixed schedule."""
    interval = batch / rate
    start = time.monotonic()
    k = 0
    while True:
        due = start + k * interval
        if due - start >= seconds:
            return
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        loop.send(make(k, batch), tally, due)
        k += 1


# --- phases --------------------------------------------------------------------------------


def wait_drained(probe: Probe, limit: float) -> float | None:
    """Seconds until no comment is undecided, None past `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if probe.pending() == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def decision_latencies(probe: Probe, prefix: str, tally: Tally) -> list[float]:
    decided = probe.decided_at(prefix)
    return [
        decided[eid].timestamp() - sent for eid, sent in tally.sent_at.items() if eid in decided
    ]


def depth_series(samples: list[tuple[float, int, int]], started: float) -> str:
    return " ".join(f"{t - started:.0f}s:{q}/{p}" for t, q, p in samples)


def step(
    run: str,
    n: int,
    rate: float,
    args: argparse.Namespace,
    loop: OpenLoop,
    probe: Probe,
    sampler: Sampler,
) -> tuple[dict[str, Any], Tally]:
    """One sustained step at `rate` comments/s; the backlog drains before it returns."""
    prefix = f"{run}-s{n}-"
    tally = Tally()
    decided_before = _decided_count(probe)
    started = time.monotonic()
    offer(
        loop,
        tally,
        rate,
        args.batch,
        args.step_seconds,
        lambda k, b: [make_comment(f"{prefix}{k}-{i}", k * b + i) for i in range(b)],
    )
    loop.wait_idle(args.timeout * 2)  # requests in flight come back or time out
    elapsed = args.step_seconds
    decided_in_step = _decided_count(probe) - decided_before
    drained = wait_drained(probe, args.drain_limit)
    ended = time.monotonic()
    delays = decision_latencies(probe, prefix, tally)
    samples = sampler.between(started, ended)
    result = {
        "step": n,
        "batch": args.batch,
        "offered_per_s": rate,
        "accepted_per_s": tally.accepted / elapsed,
        "decided_per_s_during_step": decided_in_step / elapsed,
        "ack_p50_ms": quantile(tally.ack_s, 0.5) * 1000,
        "ack_p99_ms": quantile(tally.ack_s, 0.99) * 1000,
        "answer_p99_ms": quantile(tally.answer_s, 0.99) * 1000,
        "client_late_p99_ms": quantile(tally.late_s, 0.99) * 1000,
        "decision_p50_s": quantile(delays, 0.5),
        "decision_p99_s": quantile(delays, 0.99),
        "statuses": dict(tally.statuses),
        "accepted": tally.accepted,
        "drain_s": drained,
        "max_queued": max((s[1] for s in samples), default=0),
        "max_undecided": max((s[2] for s in samples), default=0),
        "depth": depth_series(samples, started),
        "rss_mb": rss_summary(sampler, started, ended),
        "worker_rss": rss_series(sampler, started, ended, "worker"),
        "load_average": os.getloadavg(),
    }
    print_step(result)
    return result, tally


def rss_summary(sampler: Sampler, start: float, end: float) -> dict[str, dict[str, float]]:
    """Per role: resident MB at the first and last sample of the phase, and the peak."""
    samples = [rss for t, rss in sampler.rss if start <= t <= end]
    if not samples:
        return {}
    roles = sorted({role for rss in samples for role in rss})
    return {
        role: {
            "first": round(samples[0].get(role, 0.0)),
            "last": round(samples[-1].get(role, 0.0)),
            "peak": round(max(rss.get(role, 0.0) for rss in samples)),
        }
        for role in roles
    }


def rss_series(sampler: Sampler, start: float, end: float, role: str, points: int = 16) -> str:
    """One role's resident MB at up to `points` evenly spread samples: does it level off?"""
    samples = [(t, rss[role]) for t, rss in sampler.rss if start <= t <= end and role in rss]
    if not samples:
        return ""
    step = max(1, -(-len(samples) // points))
    picked = (
        samples[::step] if samples[::step][-1] == samples[-1] else [*samples[::step], samples[-1]]
    )
    return " ".join(f"{t - start:.0f}s:{mb:.0f}" for t, mb in picked)


def _decided_count(probe: Probe) -> int:
    with probe.engine.connect() as c:
        return int(c.scalar(text("SELECT count(*) FROM decisions")))


def print_step(r: dict[str, Any]) -> None:
    drain = "not drained" if r["drain_s"] is None else f"{r['drain_s']:.0f} s"
    print(
        f"step {r['step']}: batch {r['batch']}, offered {r['offered_per_s']:.0f}/s, "
        f"accepted {r['accepted_per_s']:.0f}/s, decided {r['decided_per_s_during_step']:.0f}/s "
        f"during the step | ack p50 {r['ack_p50_ms']:.0f} ms p99 {r['ack_p99_ms']:.0f} ms "
        f"(every answer p99 {r['answer_p99_ms']:.0f} ms; client lag p99 "
        f"{r['client_late_p99_ms']:.0f} ms) | webhook->decision p50 {r['decision_p50_s']:.2f} s "
        f"p99 {r['decision_p99_s']:.2f} s | {r['statuses']} | drained in {drain} | "
        f"max queued {r['max_queued']} msgs, max undecided {r['max_undecided']} | "
        f"load {r['load_average'][0]:.2f}",
        flush=True,
    )
    print(f"  depth (t: broker msgs/undecided): {r['depth']}", flush=True)
    if r.get("rss_mb"):
        memory = ", ".join(
            f"{role} {m['first']} -> {m['last']} (peak {m['peak']})"
            for role, m in r["rss_mb"].items()
        )
        print(f"  resident MB, first -> last sample of the step: {memory}", flush=True)
    if r.get("worker_rss"):
        print(f"  worker resident MB over the step (t: MB): {r['worker_rss']}", flush=True)


def storm(
    run: str,
    args: argparse.Namespace,
    loop: OpenLoop,
    probe: Probe,
    sampler: Sampler,
    target: Target,
) -> tuple[dict[str, Any], Tally]:
    """Normal rate, 50x for --storm-seconds with a negative burst on facebook, normal again."""
    prefix = f"{run}-storm-"
    tally = Tally()
    normal, peak = args.normal_rate, args.normal_rate * args.storm_factor

    def singles(tag: str) -> Callable[[int, int], list[dict[str, Any]]]:
        return lambda k, b: [make_comment(f"{prefix}{tag}{k}-{i}", k * b + i) for i in range(b)]

    started = time.monotonic()
    offer(loop, tally, normal, 1, args.calm_seconds, singles("a"))
    storm_started = time.monotonic()
    first_negative: list[float] = []

    def burst() -> None:
        time.sleep(args.storm_seconds / 4)
        first_negative.append(time.time())
        offer(
            loop,
            tally,
            args.burst_rate,
            1,
            args.storm_seconds / 2,
            lambda k, b: [
                {
                    **make_comment(f"{prefix}neg{k}", k, "facebook"),
                    "text": ANGRY[k % len(ANGRY)],
                }
            ],
        )

    negatives = threading.Thread(target=burst)
    negatives.start()
    offer(loop, tally, peak, args.storm_batch, args.storm_seconds, singles("b"))
    negatives.join()
    storm_ended = time.monotonic()
    statuses_in_storm = dict(tally.statuses)
    # Back to a normal day while the backlog drains (and refused requests are retried).
    calm = threading.Thread(
        target=offer, args=(loop, tally, normal, 1, args.calm_seconds, singles("c"))
    )
    calm.start()
    alert_at = _wait_alert(target, "facebook", args.alert_limit)
    calm.join()
    loop.wait_idle(args.drain_limit)  # refused requests retried until accepted or given up
    drained = wait_drained(probe, args.drain_limit)
    drain_s = None if drained is None else time.monotonic() - storm_ended
    ended = time.monotonic()
    delays = decision_latencies(probe, prefix, tally)
    samples = sampler.between(started, ended)
    result = {
        "normal_per_s": normal,
        "storm_per_s": peak,
        "storm_seconds": args.storm_seconds,
        "storm_batch": args.storm_batch,
        "negative_burst": f"{args.burst_rate}/s on facebook for {args.storm_seconds / 2:.0f} s",
        "statuses": dict(tally.statuses),
        "statuses_during_storm": statuses_in_storm,
        "timeouts": tally.statuses.get("timeout", 0),
        "refused_without_retry_after": tally.retry_after_missing,
        "gave_up_comments": tally.gave_up,
        "accepted": tally.accepted,
        "answer_p99_ms": quantile(tally.answer_s, 0.99) * 1000,
        "answer_max_ms": max(tally.answer_s, default=float("nan")) * 1000,
        "ack_p99_ms": quantile(tally.ack_s, 0.99) * 1000,
        "decision_p50_s": quantile(delays, 0.5),
        "decision_p99_s": quantile(delays, 0.99),
        "drain_after_storm_s": drain_s,
        "alert_after_first_negative_s": (
            None if alert_at is None or not first_negative else alert_at - first_negative[0]
        ),
        "max_queued": max((s[1] for s in samples), default=0),
        "max_undecided": max((s[2] for s in samples), default=0),
        "depth": depth_series(samples, started),
        "storm_window_s": (storm_started - started, storm_ended - started),
        "load_average": os.getloadavg(),
    }
    print(
        f"storm: normal {normal:.0f}/s, {peak:.0f}/s for {args.storm_seconds:.0f} s "
        f"(batches of {args.storm_batch}), {result['negative_burst']} | "
        f"answers {result['statuses']} (during the storm {statuses_in_storm}) | "
        f"timeouts {result['timeouts']}, refusals without Retry-After "
        f"{tally.retry_after_missing}, comments given up {tally.gave_up} | every answer p99 "
        f"{result['answer_p99_ms']:.0f} ms, max {result['answer_max_ms']:.0f} ms | "
        f"webhook->decision p50 {result['decision_p50_s']:.1f} s p99 "
        f"{result['decision_p99_s']:.1f} s | backlog drained "
        f"{'never' if drain_s is None else f'{drain_s:.0f} s'} after the storm | alert "
        f"{_fmt(result['alert_after_first_negative_s'])} after the first negative comment | "
        f"max queued {result['max_queued']}, max undecided {result['max_undecided']} | "
        f"load {result['load_average'][0]:.2f}",
        flush=True,
    )
    print(f"  depth (t: broker msgs/undecided): {result['depth']}", flush=True)
    return result, tally


def _fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


def _wait_alert(target: Target, platform: str, limit: float) -> float | None:
    """Wall time the fake Slack received the first message about `platform`."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for method, body in list(target.slack.calls):
            if method == "chat.postMessage" and platform in json.dumps(body).lower():
                return time.time()
        time.sleep(0.1)
    return None


def check(
    run: str, probe: Probe, target: Target, tallies: list[Tally], limit: float
) -> dict[str, Any]:
    """Accepted == decided, none twice; callbacks once each when configured."""
    found = probe.integrity(f"{run}-")
    accepted = {eid for tally in tallies for eid in tally.sent_at}
    found["accepted_by_client"] = len(accepted)
    found["lost"] = len(accepted - set(probe.decided_at(f"{run}-")))
    if target.receiver is not None:
        deadline = time.monotonic() + limit
        while len(target.receiver.received) < found["decided"] and time.monotonic() < deadline:
            time.sleep(0.5)
        while time.monotonic() < deadline:  # then each outcome recorded (delivered)
            delivered = probe.integrity(f"{run}-")["deliveries_delivered"]
            if delivered >= found["deliveries"]:
                break
            time.sleep(0.5)
        found["deliveries_delivered"] = probe.integrity(f"{run}-")["deliveries_delivered"]
        ids = Counter(r["external_id"] for r in target.receiver.received)
        found["callbacks_received"] = sum(ids.values())
        found["callbacks_duplicated"] = sum(1 for v in ids.values() if v > 1)
        found["callbacks_bad_signature"] = target.receiver.bad_signatures
    print(f"end of run: {found}", flush=True)
    return found


def run(args: argparse.Namespace, target: Target) -> dict[str, Any]:
    """Every phase asked for against `target`; returns the figures."""
    run_id = f"load-{uuid.uuid4().hex[:6]}"
    client = Client(target.url, SOURCE, args.secret)
    loop = OpenLoop(client, args.timeout, args.threads, retries=0)
    probe = Probe(target)
    sampler = Sampler(probe, args.sample_every, target.pid)
    results: dict[str, Any] = {"scorer": args.scorer, "steps": []}
    tallies: list[Tally] = []
    try:
        warm = Tally()
        tallies.append(warm)
        items = [make_comment(f"{run_id}-warm-{i}", i) for i in range(20)]
        loop.send(items, warm, time.monotonic())  # the workers load their models first
        loop.wait_idle(args.timeout * 2)
        wait_drained(probe, 300)
        for n, rate in enumerate(args.rates):
            r, tally = step(run_id, n, rate, args, loop, probe, sampler)
            results["steps"].append(r)
            tallies.append(tally)
        if args.storm and target.slack is not None:
            loop.retries = args.retries
            r, tally = storm(run_id, args, loop, probe, sampler, target)
            results["storm"] = r
            tallies.append(tally)
        wait_drained(probe, args.drain_limit)
        results["check"] = check(run_id, probe, target, tallies, args.drain_limit)
    finally:
        loop.close()
        sampler.close()
        probe.close()
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running service (default: start one here)")
    parser.add_argument("--database-url", help="with --url: its database, for the checks")
    parser.add_argument("--broker-url", help="with --url: its Redis broker, for the queue depth")
    parser.add_argument("--secret", default=SECRET, help=f"source {SOURCE!r}'s secret")
    parser.add_argument("--scorer", default="default", choices=["default", "lexicon"])
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--rates", default="250,500,1000,2000", help="comments/s per step")
    parser.add_argument("--batch", type=int, default=100, help="comments per request (1: single)")
    parser.add_argument("--step-seconds", type=float, default=300)
    parser.add_argument("--timeout", type=float, default=5.0, help="client timeout, seconds")
    parser.add_argument("--threads", type=int, default=64, help="client threads")
    parser.add_argument("--sample-every", type=float, default=5.0, help="queue depth, seconds")
    parser.add_argument("--drain-limit", type=float, default=900, help="seconds")
    parser.add_argument("--storm", action="store_true", help="run the storm after the steps")
    parser.add_argument("--normal-rate", type=float, default=5, help="comments/s, storm's base")
    parser.add_argument("--storm-factor", type=float, default=50)
    parser.add_argument("--storm-seconds", type=float, default=120)
    parser.add_argument("--storm-batch", type=int, default=10)
    parser.add_argument("--calm-seconds", type=float, default=30, help="normal before and after")
    parser.add_argument("--burst-rate", type=float, default=5, help="negative comments/s")
    parser.add_argument("--alert-limit", type=float, default=300, help="seconds to wait")
    parser.add_argument("--retries", type=int, default=60, help="storm: retries of refusals")
    parser.add_argument("--callbacks", action="store_true", help="decision callbacks to a receiver")
    parser.add_argument("--rate-limit", type=int, default=1_000_000, help="per source a minute")
    parser.add_argument("--env", action="append", default=[], help="K=V for the service")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--log", type=Path, default=Path("var/load-service.log"))
    parser.add_argument("--smoke", action="store_true", help="every phase, short (~1 minute)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rates, args.step_seconds, args.batch, args.storm = "100,400", 8, 20, True
        args.normal_rate, args.storm_factor, args.storm_seconds = 2, 50, 12
        args.calm_seconds, args.burst_rate, args.sample_every = 4, 5, 2
        args.callbacks, args.scorer = True, "lexicon"
    args.rates = [float(r) for r in str(args.rates).split(",") if r]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"load average before: {os.getloadavg()}", flush=True)
    with ExitStack() as stack:
        if args.url:
            if not (args.database_url and args.broker_url):
                raise SystemExit("--url needs --database-url and --broker-url for the checks")
            target = Target(args.url.rstrip("/"), args.database_url, args.broker_url)
        else:
            database_url = stack.enter_context(pg_database())
            broker_url = stack.enter_context(redis_db())
            if args.storm:
                seed(database_url, datetime.now(UTC))  # facebook's usual level, 8 days of it
            args.log.parent.mkdir(parents=True, exist_ok=True)
            target = stack.enter_context(service(database_url, broker_url, args, args.log))
        results = run(args, target)
    results["args"] = {k: str(v) for k, v in vars(args).items()}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    failed = results["check"]["lost"] != 0 or results["check"]["decided_twice"] != 0
    if "storm" in results and results["storm"]["timeouts"]:
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
