"""Requests gunicorn itself refuses get Vigie's JSON errors, not gunicorn's HTML pages.

The Procfile's `web:` line is started as it is (through a shell, as a Procfile runner does) on
a free port, and raw bytes are sent over a socket: a garbled request line or header, a request
line over gunicorn's 4 KB limit, headers over its limits, a malformed chunked body (parsed
while Flask reads it, so it was a 500). Each answer is the right 4xx with
`{"error": ..., "detail": ...}`, the shape of the Flask app's errors (api/errors.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from api.gunicorn_worker import classify
from tests.conftest import free_port
from tests.support import SECRET

ROOT = Path(__file__).resolve().parents[1]


def _procfile_web() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("no web: line in the Procfile")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("VIGIE_", "DATABASE", "REDIS", "BROKER", "SLACK", "META_"))
        },
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "VIGIE_ENV": "test",
        "VIGIE_DATA_DIR": str(tmp),
        "VIGIE_SOURCES": "acme",
        "VIGIE_SOURCE_ACME_SECRET": SECRET,
        "HOME": str(tmp),
    }
    log = tmp / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["sh", "-c", f"exec {_procfile_web()}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the answer until the server closes: status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


CASES = {
    "garbled request line": (b"GARBAGE\r\n\r\n", 400, "bad_request"),
    "bad HTTP version": (b"GET /healthz HTTP/9\r\nHost: x\r\n\r\n", 400, "bad_request"),
    "header without a colon": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        400,
        "bad_request",
    ),
    "bad header name": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad(Name): 1\r\n\r\n",
        400,
        "bad_request",
    ),
    "request line over 4 KB": (
        b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
        "request_uri_too_long",
    ),
    "header over 8 KB": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
        431,
        "request_header_fields_too_large",
    ),
    "more than 100 headers": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
        + b"\r\n",
        431,
        "request_header_fields_too_large",
    ),
    # gunicorn parses a chunked body while Flask reads it: its error reached Flask as a 500.
    "bad chunk size": (
        b"POST /v1/comments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
        "bad_request",
    ),
    "chunk without its terminator": (
        b"POST /v1/comments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\n{}XX0\r\n\r\n",
        400,
        "bad_request",
    ),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", list(CASES))
def test_gunicorn_refuses_malformed_http_with_a_json_reason(web: int, case: str) -> None:
    raw, status, code = CASES[case]
    answer_status, headers, body = _exchange(web, raw)
    assert answer_status == status, body[:300]
    assert headers["content-type"] == "application/json", body[:300]
    assert int(headers["content-length"]) == len(body)
    payload = json.loads(body)
    assert set(payload) == {"error", "detail"}
    assert payload["error"] == code
    assert payload["detail"] and len(payload["detail"]) <= 300


@pytest.mark.e2e
def test_the_same_server_still_answers_good_requests(web: int) -> None:
    status, _, body = _exchange(web, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    # And Flask's own errors are unchanged: the shape gunicorn's answers now share.
    status, _, body = _exchange(web, b"GET /nowhere HTTP/1.0\r\n\r\n")
    assert status == 404 and set(json.loads(body)) == {"error", "detail"}


def test_an_error_that_is_not_the_clients_is_a_500_without_details() -> None:
    assert classify(RuntimeError("secret internals")) == (
        500,
        "internal_error",
        "unexpected error; it has been logged",
    )
