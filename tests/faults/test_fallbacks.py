"""What the fault tests rely on, unit by unit: the rate limiter outlives Redis, timeouts are
bounded, and the new settings parse."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import free_port, make_settings
from vigie import migrate
from vigie.db import make_engine, make_sessionmaker
from vigie.ratelimit import DatabaseLimiter, Limit, RedisLimiter
from vigie.settings import SettingsError
from workers.app import create_celery


def test_the_redis_limiter_counts_in_the_database_while_redis_is_unreachable(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/limits.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    fallback = DatabaseLimiter(make_sessionmaker(engine))
    limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0", fallback=fallback, timeout_s=1)
    limit, now = Limit(2, 60), time.time()
    verdicts = [limiter.hit("source:acme", limit, now).allowed for _ in range(3)]
    assert verdicts == [True, True, False], "still limited, by the database"
    assert not limiter.blocked("source:acme", limit, now).allowed
    engine.dispose()


def test_without_a_fallback_a_redis_outage_fails_open() -> None:
    """Nothing to count in: the request goes through rather than fail on Redis (the service's
    limiter always has the database to fall back on)."""
    limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0", timeout_s=1)
    verdicts = [limiter.hit("k", Limit(1, 60), time.time()) for _ in range(2)]
    assert [v.allowed for v in verdicts] == [True, True]
    assert limiter.breaker.state == "open"


def test_broker_and_database_timeouts_are_bounded(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        REDIS_URL="redis://127.0.0.1:6379/0",
        VIGIE_VISIBILITY_TIMEOUT="30",
        VIGIE_BROKER_TIMEOUT="3",
    )
    options = create_celery(settings).conf.broker_transport_options
    assert options["visibility_timeout"] == 30
    assert options["unacked_restore_interval"] == 7
    assert options["socket_connect_timeout"] == 3


@pytest.mark.timeout(60)
def test_a_database_server_that_never_answers_fails_the_connection_instead_of_hanging() -> None:
    """The TCP handshake succeeds (the kernel's backlog) but nothing ever answers: without
    `connect_timeout` this would hang until the test's timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")
        with pytest.raises(OperationalError), engine.connect():
            pass
        engine.dispose()


def test_the_new_settings_refuse_bad_values(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, VIGIE_ALERT_BACKOFF_MAX="4")
    assert settings.alert_backoff_max_s == 4.0
    assert settings.visibility_timeout_s == 600.0 and settings.broker_timeout_s == 5.0
    for name in ("VIGIE_VISIBILITY_TIMEOUT", "VIGIE_BROKER_TIMEOUT", "VIGIE_ALERT_BACKOFF_MAX"):
        with pytest.raises(SettingsError, match=name):
            make_settings(tmp_path, **{name: "0"})


class RefusingRedis:
    """A Redis on loopback that answers every command with an error, as a real one does when
    it cannot persist (MISCONF, with stop-writes-on-bgsave-error, the default) or is a replica
    after a failover (READONLY)."""

    def __init__(self, error: bytes) -> None:
        self.error = error
        self.listener = socket.create_server(("127.0.0.1", 0))  # a free port
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        pending = b""
        with connection, contextlib.suppress(OSError):
            while data := connection.recv(65536):
                pending += data
                while (found := _command(pending)) is not None:
                    name, pending = found
                    if name == b"HELLO":  # the handshake works; the commands are refused
                        connection.sendall(b"%1\r\n+proto\r\n:3\r\n")
                    else:
                        connection.sendall(b"-" + self.error + b"\r\n")


def _command(pending: bytes) -> tuple[bytes, bytes] | None:
    """The first RESP command's name and what follows it; None while it is incomplete."""
    head, sep, rest = pending.partition(b"\r\n")
    if not sep:
        return None
    name = b""
    for index in range(int(head[1:])):
        size, sep, rest = rest.partition(b"\r\n")
        if not sep or len(rest) < int(size[1:]) + 2:
            return None
        if index == 0:
            name = rest[: int(size[1:])].upper()
        rest = rest[int(size[1:]) + 2 :]
    return name, rest


@pytest.mark.parametrize(
    "error",
    [
        b"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist",
        b"READONLY You can't write against a read only replica.",
    ],
)
def test_a_redis_answering_errors_counts_in_the_database_too(tmp_path: Path, error: bytes) -> None:
    """Redis answers, but with an error (its disk is full, or it became a replica): the limits
    count in the database as when it is unreachable, instead of every webhook failing (500)."""
    url = f"sqlite:///{tmp_path}/limits.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    redis = RefusingRedis(error)
    limiter = RedisLimiter(redis.url, fallback=DatabaseLimiter(make_sessionmaker(engine)))
    limit, now = Limit(2, 60), time.time()
    try:
        verdicts = [limiter.hit("source:acme", limit, now).allowed for _ in range(3)]
        assert verdicts == [True, True, False], "still limited, by the database"
        assert not limiter.blocked("source:acme", limit, now).allowed
    finally:
        redis.listener.close()
        engine.dispose()
