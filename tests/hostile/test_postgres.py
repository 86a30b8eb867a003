"""The schemathesis run again on PostgreSQL, whose text rules (no NUL, lengths) SQLite lacks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from schemathesis import GenerationMode

from api.app import create_app
from tests.conftest import make_settings
from tests.hostile.conftest import EXAMPLES
from tests.hostile.test_fuzz_api import CASES, fuzz_operation
from vigie.runtime import Runtime


@pytest.fixture
def pg_runtime(tmp_path: Path, pg_settings: object, pg_url: str) -> Iterator[Runtime]:
    """A runtime on the run's PostgreSQL database (emptied after each test by pg_settings)."""
    rt = Runtime(make_settings(tmp_path, DATABASE_URL=pg_url, VIGIE_RATE_LIMIT_PER_SOURCE=10**9))
    yield rt
    rt.close()


@pytest.mark.postgres
@pytest.mark.parametrize(("label", "mode"), CASES)
def test_it_answers_every_fuzzed_request_on_postgres(
    label: str, mode: GenerationMode, pg_runtime: Runtime
) -> None:
    """The same fuzzing as test_fuzz_api.py, against an app on PostgreSQL."""
    app: Flask = create_app(runtime=pg_runtime)
    # A third of the SQLite run's examples: the same requests, only the database differs.
    fuzz_operation(app, pg_runtime, label, mode, "postgres ", max(10, EXAMPLES // 3))
