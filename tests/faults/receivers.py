"""A decision-callback receiver on loopback that is down (503, or connection refused) until told
otherwise; it records each signed delivery it accepts."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from moderation.signing import SignatureError, verify_vigie_signature
from tests.support import SECRET


class SwitchableReceiver:
    """Answers 503 while `down()` is true, else records the callback and answers 200."""

    def __init__(self, down: Callable[[], bool], port: int = 0) -> None:
        self.down = down
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self.bad_signatures = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    verify_vigie_signature(
                        SECRET, body, self.headers.get("X-Vigie-Signature"), time.time()
                    )
                except SignatureError:
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if receiver.down():
                    receiver.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append(
                    {"delivery": self.headers.get("X-Vigie-Delivery"), **json.loads(body)}
                )
                self.send_response(200)
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


def refusing_port() -> int:
    """A loopback port nothing listens on (connections are refused) until someone binds it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
