"""gunicorn and celery started with a bad setting: one line naming the variable, no traceback.

README: "A malformed value stops start-up with a message naming the variable." The `vigie`
commands did; the Procfile's servers printed a 30-line traceback, gunicorn's per web worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIE_", "SLACK_"))}
    env.update(
        VIGIE_ENV="production",
        VIGIE_DATA_DIR=str(tmp_path),
        VIGIE_SOURCES="acme",  # and no VIGIE_SOURCE_ACME_SECRET
        VIGIE_SECRET_KEY="k" * 32,
        HOME=str(tmp_path),
    )
    return env


@pytest.mark.parametrize(
    ("command", "exit_code"),
    [
        (
            [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1",
             "--no-control-socket", "api.wsgi:app"],
            3,
        ),
        ([sys.executable, "-m", "celery", "-A", "workers.main", "beat"], 1),
    ],
    ids=["web", "beat"],
)  # fmt: skip
def test_a_server_with_a_missing_secret_says_which_and_stops(
    tmp_path: Path, command: list[str], exit_code: int
) -> None:
    done = subprocess.run(
        command, cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == exit_code, done.stderr
    assert "configuration: VIGIE_SOURCE_ACME_SECRET: missing secret" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
