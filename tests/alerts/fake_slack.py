"""A fake Slack Web API on loopback: records each call, answers from a script or with success.

It can also be down for a window of time (`fail_between`): each call inside the window is
answered 429 with Retry-After, 500, or left hanging until the client times out ("mixed" cycles
through the three), recorded in `refused` rather than `calls`. The window is read on `clock`
(time.monotonic by default; an in-process test passes its simulated clock).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("429", "500", "timeout")


class FakeSlack:
    def __init__(self, clock: Callable[[], float] = time.monotonic, hang_s: float = 2.0) -> None:
        self.clock = clock
        self.hang_s = hang_s  # how long a "timeout" answer hangs before closing the connection
        self.outages: list[tuple[float, float, str]] = []
        self.refused: list[tuple[str, dict, str]] = []
        self._cycle = itertools.cycle(MODES)
        self.lock = threading.Lock()
        self.calls: list[tuple[str, dict]] = []
        self.uploads: list[bytes] = []
        self.script: deque[tuple[int, dict, dict]] = deque()
        self.received = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                data = self.rfile.read(length)
                if self.path.startswith("/upload/"):
                    fake.uploads.append(data)
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
                raw = data.decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw)
                else:
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1]
                mode = fake.outage_mode()
                if mode is not None:
                    fake.refused.append((method, body, mode))
                    if mode == "timeout":
                        time.sleep(fake.hang_s)
                        self.close_connection = True
                        return
                    status, answer = (
                        (429, {"ok": False, "error": "ratelimited"})
                        if mode == "429"
                        else (500, {"ok": False, "error": "fatal_error"})
                    )
                    self._answer(status, answer, {"Retry-After": "1"} if mode == "429" else {})
                    return
                fake.calls.append((method, body))
                status, answer, headers = (
                    fake.script.popleft() if fake.script else fake.ok(method, body)
                )
                self._answer(status, answer, headers)

            def _answer(self, status: int, answer: dict, headers: dict) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                fake.received.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def ok(self, method: str, body: dict) -> tuple[int, dict, dict]:
        if method == "files.getUploadURLExternal":
            upload = self.url.replace("/api/", "/upload/1")
            return 200, {"ok": True, "upload_url": upload, "file_id": "F1"}, {}
        if method == "files.completeUploadExternal":
            return 200, {"ok": True, "files": [{"id": "F1", "title": "chart"}]}, {}
        ts = body.get("ts") or f"1700000000.{len(self.calls):06d}"
        return 200, {"ok": True, "channel": body.get("channel", "C1"), "ts": ts}, {}

    def fail_between(self, start: float, end: float, mode: str = "mixed") -> None:
        """Be down from `start` to `end` on `clock`: 429, 500, timeout, or "mixed"."""
        assert mode in (*MODES, "mixed")
        self.outages.append((start, end, mode))

    def outage_mode(self) -> str | None:
        now = self.clock()
        for start, end, mode in self.outages:
            if start <= now < end:
                if mode != "mixed":
                    return mode
                with self.lock:
                    return next(self._cycle)
        return None

    def answer(self, status: int, body: dict, headers: dict | None = None) -> None:
        self.script.append((status, body, headers or {}))

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
