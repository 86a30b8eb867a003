"""Real Vigie processes for fault tests: gunicorn, Celery workers and beats, each in its own
process group (so a test can `kill -9` one of them), plus private Redis and PostgreSQL servers
a test may stop and restart without touching the machine's shared ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import free_port
from tests.support import SECRET, signed

PYTHON = sys.executable
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception:
            value = None
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


class Proc:
    """One process (group) with its log file."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group (a Celery worker and its pool processes)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def children(self) -> list[int]:
        try:
            raw = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in raw.split()]

    def stop(self) -> None:
        if not self.alive():
            return
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def text(self) -> str:
        return self.log.read_text(errors="replace")


class Stack:
    """gunicorn + Celery workers + beats on one configuration (DATABASE_URL, REDIS_URL, ...)."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("VIGIE_", "DATABASE", "REDIS", "BROKER", "SLACK"))
            },
            "VIGIE_ENV": "test",
            "VIGIE_DATA_DIR": str(tmp / "data"),
            "PORT": str(self.port),
            "VIGIE_SOURCES": "acme",
            "VIGIE_SOURCE_ACME_SECRET": SECRET,
            "VIGIE_SCORER": "lexicon",
            "VIGIE_SWEEP_INTERVAL": "1",
            "VIGIE_RATE_LIMIT_PER_SOURCE": "1000000",
            "VIGIE_LOG_LEVEL": "INFO",
            **env,
        }
        self.procs: list[Proc] = []

    def _start(self, name: str, cmd: list[str]) -> Proc:
        proc = Proc(name, cmd, self.env, self.tmp / f"{name}.log")
        self.procs.append(proc)
        return proc

    def web(self) -> Proc:
        proc = self._start(
            "web",
            [PYTHON, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", "-w", "2",
             "--threads", "4", "--timeout", "30", "--no-control-socket",
             "--worker-class", "api.gunicorn_worker.JsonErrorWorker", "api.wsgi:app"],
        )  # fmt: skip
        wait_for(
            lambda: requests.get(f"{self.url}/healthz", timeout=2).ok or not proc.alive(),
            60,
            "gunicorn",
        )
        assert proc.alive(), proc.text()[-3000:]
        return proc

    def worker(self, name: str, concurrency: int = 2) -> Proc:
        proc = self._start(
            f"worker-{name}",
            [PYTHON, "-m", "celery", "-A", "workers.main", "worker", "-c", str(concurrency),
             "-n", f"{name}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
        )  # fmt: skip
        wait_for(lambda: " ready." in proc.text() or not proc.alive(), 90, f"worker {name}")
        assert proc.alive(), proc.text()[-3000:]
        return proc

    def beat(self, name: str = "beat") -> Proc:
        return self._start(
            name,
            [PYTHON, "-m", "celery", "-A", "workers.main", "beat", "--loglevel", "INFO",
             "-s", str(self.tmp / f"{name}-schedule")],
        )  # fmt: skip

    def post(self, payload: Any, timeout: float = 10) -> requests.Response:
        body, headers = signed(payload)
        return requests.post(f"{self.url}/v1/comments", data=body, headers=headers, timeout=timeout)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.text()[-2500:]}" for p in self.procs)


class PrivateRedis:
    """A throw-away redis-server on a free port, no persistence (a restart loses the queue)."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.dir = tmp
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_for(client.ping, 20, "private redis")
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (initdb) on a free port, run as `postgres` when root."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            message = f"PostgreSQL server binaries not found in {PG_BIN}"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"{message} (CI=true: the fault tests need them)")
            pytest.skip(message)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="vigie-faults-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync"])  # fmt: skip

    def _run(self, cmd: list[str]) -> None:
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=200"
        )
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                   "-l", str(self.dir / "pg.log"), "-w", "start"])  # fmt: skip

    def stop(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def counts(database_url: str) -> dict[str, int]:
    """Comments, decisions, comments decided twice, deliveries by status."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            one = lambda sql: int(connection.execute(text(sql)).scalar_one())  # noqa: E731
            return {
                "comments": one("SELECT count(*) FROM comments"),
                "decided": one("SELECT count(*) FROM comments WHERE status = 'decided'"),
                "decisions": one("SELECT count(*) FROM decisions"),
                "decided_twice": one(
                    "SELECT count(*) FROM (SELECT comment_id FROM decisions"
                    " GROUP BY comment_id HAVING count(*) > 1) AS d"
                ),
                "deliveries": one("SELECT count(*) FROM deliveries"),
                "delivered": one("SELECT count(*) FROM deliveries WHERE status = 'delivered'"),
            }
    finally:
        engine.dispose()
