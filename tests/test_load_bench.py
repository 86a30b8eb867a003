"""bench/load.py's core on the real stack (gunicorn, Celery worker, beat; Redis, PostgreSQL):
a short open-loop step, then the end-of-run checks, so the benchmark cannot rot."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench import load
from tests.conftest import need_service

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_it_runs_a_short_load_step_and_checks_every_comment(
    tmp_path: Path, pg_settings: object, pg_url: str, redis_url: str
) -> None:
    """Every accepted comment is decided once and called back once; figures are filled in."""
    need_service("Redis", "127.0.0.1", 6379)
    args = load.parse_args(
        ["--scorer", "lexicon", "--rates", "60", "--batch", "10", "--step-seconds", "3",
         "--sample-every", "1", "--drain-limit", "60", "--callbacks", "--workers", "1",
         "--log", str(tmp_path / "service.log")]
    )  # fmt: skip
    with load.service(pg_url, redis_url, args, args.log) as target:
        results = load.run(args, target)
    (step,) = results["steps"]
    assert step["statuses"] == {"202": 18}
    assert step["accepted_per_s"] == pytest.approx(60)
    assert step["ack_p99_ms"] > 0 and step["decision_p99_s"] > 0
    assert step["drain_s"] is not None
    check = results["check"]
    assert check["accepted_by_client"] == 200 == check["decided"] == check["stored"]
    assert (check["lost"], check["decided_twice"], check["pending"]) == (0, 0, 0)
    assert check["callbacks_received"] == 200
    assert check["callbacks_duplicated"] == 0


def _short_lived(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "service.log"
    log.write_text("Traceback …\nModuleNotFoundError: No module named 'packaging'\n")
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"]), log


@pytest.mark.timeout(30)
def test_the_run_stops_when_the_service_dies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A service that exits on its own mid-run interrupts the run with its log's end."""
    process, log = _short_lived(tmp_path)
    threading.Thread(target=load._watch, args=(process, log, threading.Event())).start()
    with pytest.raises(KeyboardInterrupt):
        time.sleep(20)
    assert "No module named 'packaging'" in capsys.readouterr().err


@pytest.mark.timeout(30)
def test_a_service_stopped_by_the_run_is_not_a_failure(tmp_path: Path) -> None:
    process, log = _short_lived(tmp_path)
    stopping = threading.Event()
    stopping.set()
    watcher = threading.Thread(target=load._watch, args=(process, log, stopping))
    watcher.start()
    watcher.join(timeout=10)
    time.sleep(0.2)  # an interrupt would land here
    assert not watcher.is_alive()
