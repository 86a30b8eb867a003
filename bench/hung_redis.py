"""How long webhooks take while Redis hangs (accepts connections, never answers).

    .venv/bin/python bench/hung_redis.py [--requests 20] [--port 8770] [--no-breaker]

Starts a loopback listener that accepts and never replies in place of Redis (the rate limiter
and the broker), builds the app on a scratch SQLite database with `VIGIE_ENQUEUE_WAIT=0` (the
enqueue runs inside the request) and default timeouts, posts signed single-comment webhooks
through Flask's test client, and prints each answer's time and the connections Redis saw.
`--no-breaker` gives the breakers no cooldown, so every request tries Redis again, as before
the breaker: the figure it prints is what each webhook waited then (with today's timeouts).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run from anywhere: the project root first, so `tests.*` and the project's packages import.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from api.app import create_app  # noqa: E402
from tests.support import SECRET, comment, signed  # noqa: E402
from vigie import migrate  # noqa: E402
from vigie.runtime import Runtime  # noqa: E402
from vigie.settings import Settings  # noqa: E402


def hang(port: int) -> list[socket.socket]:
    """Accept connections on loopback `port` and never answer; the list holds them."""
    listener = socket.create_server(("127.0.0.1", port))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            connection, _ = listener.accept()
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--port", type=int, default=8770)
    parser.add_argument("--no-breaker", action="store_true")
    args = parser.parse_args()

    held = hang(args.port)
    data_dir = tempfile.mkdtemp(prefix="vigie-hung-")
    settings = Settings.from_env(
        {
            "VIGIE_DATA_DIR": data_dir,
            "VIGIE_SOURCES": "acme",
            "VIGIE_SOURCE_ACME_SECRET": SECRET,
            "REDIS_URL": f"redis://127.0.0.1:{args.port}/0",
            "VIGIE_ENQUEUE_WAIT": "0",
        }
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    if args.no_breaker:
        runtime.redis_breaker.cooldown_s = 0
    client = create_app(runtime=runtime).test_client()
    took = []
    for n in range(args.requests):
        body, headers = signed(comment(f"c{n}"))
        started = time.perf_counter()
        status = client.post("/v1/comments", data=body, headers=headers).status_code
        took.append(time.perf_counter() - started)
        print(f"request {n + 1:3d}: {status} in {took[-1] * 1000:7.1f} ms, Redis saw {len(held)}")
    rest = took[1:] or took
    print(
        f"first {took[0] * 1000:.1f} ms; then median {statistics.median(rest) * 1000:.1f} ms,"
        f" max {max(rest) * 1000:.1f} ms over {len(rest)}; {len(held)} connections to Redis"
        f" ({'no breaker' if args.no_breaker else 'breaker'}; VIGIE_REDIS_TIMEOUT"
        f" {settings.redis_timeout_s:g} s, VIGIE_BROKER_TIMEOUT {settings.broker_timeout_s:g} s)"
    )
    runtime.close()


if __name__ == "__main__":
    main()
