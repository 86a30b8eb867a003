"""Ingest benchmark against a running Vigie: accepted comments/s and ack latency.

    .venv/bin/python bench/ingest.py --url http://127.0.0.1:8000 [--seconds 20] [--concurrency 8]

Runs single-comment POSTs, then batched POSTs, each for --seconds with --concurrency client
threads, then measures webhook-to-decision time on a sample. The client runs on the same
machine as the service, so it competes with it for the CPU: figures are a floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests

from moderation.signing import vigie_signature
from vigie.settings import DEV_SOURCE_SECRET

TEXTS = [
    "Love this, great job team!",
    "Encore une panne, c'est inadmissible.",
    "When does the sale start?",
    "Vous êtes vraiment nuls, service client inexistant.",
    "Bravo, encore une panne, merci pour rien 👏",
    "This is the worst update ever, fix it.",
]


def _comment(run: str, n: int) -> dict:
    return {
        "platform": "x",
        "external_id": f"bench-{run}-{n}",
        "thread_id": "bench-post",
        "author": {"id": f"bench-user-{n % 997}"},
        "text": TEXTS[n % len(TEXTS)],
        "created_at": datetime.now(UTC).isoformat(),
    }


class Client:
    def __init__(self, url: str, source: str, secret: str) -> None:
        self.url, self.source, self.secret = url, source, secret
        self.local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post(self, payload: object) -> tuple[int, float]:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Vigie-Source": self.source,
            "X-Vigie-Signature": vigie_signature(self.secret, body, int(time.time())),
        }
        started = time.perf_counter()
        response = self.session().post(
            f"{self.url}/v1/comments", data=body, headers=headers, timeout=30
        )
        return response.status_code, time.perf_counter() - started

    def decided(self, external_id: str) -> bool:
        path = f"/v1/comments/x/{external_id}"
        headers = {
            "X-Vigie-Source": self.source,
            "X-Vigie-Signature": vigie_signature(self.secret, path.encode(), int(time.time())),
        }
        response = self.session().get(f"{self.url}{path}", headers=headers, timeout=30)
        return response.ok and response.json()["decision"] is not None


def run_mode(client: Client, batch: int, seconds: float, concurrency: int) -> dict:
    run = uuid.uuid4().hex[:8]
    counter = iter(range(10**9))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                first = next(counter)
                for _ in range(batch - 1):
                    next(counter)
            items = [_comment(run, first + i) for i in range(batch)]
            payload = items[0] if batch == 1 else {"comments": items}
            status, latency = client.post(payload)
            with lock:
                latencies.append(latency)
                statuses[status] = statuses.get(status, 0) + 1

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    elapsed = time.monotonic() - started
    accepted = statuses.get(202, 0) * batch
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "last_id": f"bench-{run}-{next(counter) - 1}",
        "batch": batch,
        "requests": len(latencies),
        "accepted_per_s": accepted / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "statuses": statuses,
    }


def decision_latency(client: Client, samples: int) -> list[float]:
    """Seconds from a single POST to its decision being readable, one comment at a time."""
    run = uuid.uuid4().hex[:8]
    delays = []
    for n in range(samples):
        payload = _comment(run, n)
        started = time.perf_counter()
        client.post(payload)
        while not client.decided(payload["external_id"]):
            if time.perf_counter() - started > 60:
                raise SystemExit(f"no decision after 60 s for {payload['external_id']}")
            time.sleep(0.01)
        delays.append(time.perf_counter() - started)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--source", default="demo")
    parser.add_argument("--secret", default=DEV_SOURCE_SECRET)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--batches", default="1,100,500", help="batch sizes to run, comma-separated"
    )
    parser.add_argument("--samples", type=int, default=20, help="webhook-to-decision samples")
    args = parser.parse_args()
    client = Client(args.url.rstrip("/"), args.source, args.secret)

    delays = decision_latency(client, args.samples)  # first, while the service is idle
    print(
        f"webhook to decision, {len(delays)} single comments on an idle service: "
        f"p50 {statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms"
    )
    print(f"{'batch':>6} {'requests':>9} {'accepted/s':>11} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    started, accepted, last = time.monotonic(), 0.0, ""
    for batch in [int(b) for b in args.batches.split(",")]:
        r = run_mode(client, batch, args.seconds, args.concurrency)
        accepted += r["accepted_per_s"] * args.seconds
        last = r["last_id"]
        print(
            f"{r['batch']:>6} {r['requests']:>9} {r['accepted_per_s']:>11.0f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}  {r['statuses']}",
            flush=True,
        )
    while not client.decided(last):
        if time.monotonic() - started > 900:
            raise SystemExit("backlog not drained after 15 minutes")
        time.sleep(1)
    drained = time.monotonic() - started
    print(
        f"backlog drained: ~{accepted:.0f} comments decided {drained:.0f} s after the first "
        f"throughput request (~{accepted / drained:.0f} decisions/s)"
    )


if __name__ == "__main__":
    main()
