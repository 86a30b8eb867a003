"""Helpers to build signed requests and sample comments in tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from moderation.signing import meta_signature, vigie_signature

SECRET = "test-secret"


def comment(external_id: str = "c1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "platform": "x",
        "external_id": external_id,
        "thread_id": "post-1",
        "parent_id": None,
        "author": {"id": "u1", "handle": "@alice", "account_age_days": 30, "followers": 12},
        "text": "Great launch, well done!",
        "created_at": "2026-11-24T05:00:00+00:00",
        "language": None,
    }
    data.update(overrides)
    return data


def signed(
    payload: Any,
    secret: str = SECRET,
    source: str = "acme",
    age: int = 0,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a request signed the way sources sign it, `age` seconds ago."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    ts = int(time.time()) - age
    headers = {
        "Content-Type": "application/json",
        "X-Vigie-Source": source,
        "X-Vigie-Signature": vigie_signature(secret, body, ts),
    }
    return body, headers


def signed_get(path: str, secret: str = SECRET, source: str = "acme") -> dict[str, str]:
    return {
        "X-Vigie-Source": source,
        "X-Vigie-Signature": vigie_signature(secret, path.encode(), int(time.time())),
    }


def meta_headers(body: bytes, secret: str = "meta-app-secret") -> dict[str, str]:  # noqa: S107
    return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)}


def facebook_feed(*comments: tuple[str, str], verb: str = "add") -> dict[str, Any]:
    """A Page `feed` webhook with one entry per comment (comment_id, message)."""
    return {
        "object": "page",
        "entry": [
            {
                "id": "1000",
                "time": 1764000000,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": verb,
                            "comment_id": cid,
                            "post_id": "1000_1",
                            "parent_id": "1000_1",
                            "from": {"id": "42", "name": "Jean Dupont"},
                            "message": message,
                            "created_time": 1764000000,
                        },
                    }
                ],
            }
            for cid, message in comments
        ],
    }


def instagram_comments(*comments: tuple[str, str]) -> dict[str, Any]:
    """An Instagram `comments` webhook: one entry, several changes."""
    return {
        "object": "instagram",
        "entry": [
            {
                "id": "17841400000000000",
                "time": 1764000000,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "from": {"id": "232323", "username": "marie"},
                            "media": {"id": "123123", "media_product_type": "FEED"},
                            "id": cid,
                            "text": text,
                        },
                    }
                    for cid, text in comments
                ],
            }
        ],
    }


class CallbackReceiver:
    """A loopback HTTP server that records signed callbacks; can be told to fail first."""

    def __init__(
        self,
        secret: str = SECRET,
        fail_first: int = 0,
        status: int = 200,
        down: Callable[[], bool] | None = None,
        port: int = 0,
    ) -> None:
        """`fail_first` answers 503 to the first N deliveries; `down` answers 503 while true."""
        import http.server
        import threading

        from moderation.signing import SignatureError, verify_vigie_signature

        self.received: list[dict[str, Any]] = []
        self.signatures: list[str | None] = []  # every X-Vigie-Signature header, as it came
        self.bad_signatures = 0
        self.refused = 0
        self.failures_left = fail_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.signatures.append(self.headers.get("X-Vigie-Signature"))
                try:
                    verify_vigie_signature(
                        secret, body, self.headers.get("X-Vigie-Signature"), time.time()
                    )
                except SignatureError:
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if receiver.failures_left > 0 or (down is not None and down()):
                    receiver.failures_left = max(0, receiver.failures_left - 1)
                    receiver.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append(
                    {"delivery": self.headers.get("X-Vigie-Delivery"), **json.loads(body)}
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
