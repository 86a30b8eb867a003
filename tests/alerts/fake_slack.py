"""A fake Slack Web API on loopback: records each call, answers from a script or with success."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSlack:
    def __init__(self) -> None:
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
                fake.calls.append((method, body))
                status, answer, headers = (
                    fake.script.popleft() if fake.script else fake.ok(method, body)
                )
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

    def answer(self, status: int, body: dict, headers: dict | None = None) -> None:
        self.script.append((status, body, headers or {}))

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
