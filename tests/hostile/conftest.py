"""Hostile-input fixtures: a signing WSGI wrapper and a count of the cases each test ran.

Example counts are bounded so CI stays short; `VIGIE_FUZZ_EXAMPLES=1000 pytest tests/hostile`
runs a deeper search with the same tests.
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request

from moderation.signing import meta_signature, vigie_signature
from tests.conftest import make_settings
from tests.support import SECRET
from vigie import migrate
from vigie.settings import Settings

EXAMPLES = int(os.environ.get("VIGIE_FUZZ_EXAMPLES", "60"))
CASES: Counter[str] = Counter()


class SigningMiddleware:
    """Signs each request the way a real source would, so fuzzed bodies reach the parsers.

    Requests are signed over the body they carry (or the path, for GETs), as source `acme` and
    for Meta, replacing whatever signature the case made up; a bearer token is added when the
    case has none. Unsigned and badly signed requests are fuzzed in test_endpoints.py.
    """

    def __init__(self, app: Callable[..., Any], bearer: str | None = None) -> None:
        self.app, self.bearer, self.requests = app, bearer, 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.requests += 1
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        path = Request(environ).path.encode()
        signed = body if environ["REQUEST_METHOD"] == "POST" else path
        environ["HTTP_X_VIGIE_SOURCE"] = "acme"
        environ["HTTP_X_VIGIE_SIGNATURE"] = vigie_signature(SECRET, signed, int(time.time()))
        environ["HTTP_X_HUB_SIGNATURE_256"] = meta_signature("meta-app-secret", body)
        if self.bearer and not environ.get("HTTP_AUTHORIZATION"):
            environ["HTTP_AUTHORIZATION"] = f"Bearer {self.bearer}"
        return self.app(environ, start_response)  # type: ignore[no-any-return]


def count(name: str, n: int = 1) -> None:
    CASES[name] += n


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CASES:
        terminalreporter.write_sep("-", f"hostile input: {sum(CASES.values())} cases")
        for name, n in sorted(CASES.items()):
            terminalreporter.write_line(f"{n:7d}  {name}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The usual test settings, with rate limits out of the way of deep fuzz runs."""
    settings = make_settings(tmp_path, VIGIE_RATE_LIMIT_PER_SOURCE=10**9)
    migrate.upgrade(settings.database_url)
    return settings
