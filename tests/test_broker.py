"""The embedded broker: a Celery round trip through SQLite, cleanup of consumed messages, and
processes that start together."""

import multiprocessing
from datetime import timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path

from kombu import Connection
from sqlalchemy import create_engine, text

from tests.conftest import make_settings
from workers import broker
from workers.app import create_celery


def test_it_carries_messages_and_purges_consumed_ones(tmp_path: Path) -> None:
    """A published task message is received once; once consumed, purge deletes its row."""
    settings = make_settings(tmp_path)
    app = create_celery(settings)
    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, broker.Transport)
        queue = connection.SimpleQueue("test-queue")
        queue.put({"ids": [1, 2]})
        message = queue.get(timeout=2)
        assert message.payload == {"ids": [1, 2]}
        message.ack()
        queue.close()
    engine = create_engine(settings.broker_url.removeprefix(broker.URL_PREFIX))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM kombu_message")) == 1
    assert broker.purge_consumed(settings.broker_url, older_than=timedelta(hours=1)) == 0
    assert broker.purge_consumed(settings.broker_url, older_than=timedelta(seconds=-60)) == 1
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM kombu_message")) == 0
    engine.dispose()


def _first_use(url: str, barrier: Barrier, results: "multiprocessing.Queue[str]") -> None:
    """One process's first use of a fresh broker file: declare the queue, publish once."""
    try:
        with Connection(url, transport=broker.Transport) as connection:
            channel = connection.channel()
            barrier.wait(timeout=30)  # every process opens the file at the same moment
            channel._new_queue("celery")
            channel._put("celery", {"body": "hello"})
            channel.close()
        results.put("ok")
    except Exception as exc:  # reported to the test, which names it
        results.put(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")


def test_processes_that_start_together_share_a_fresh_broker(tmp_path: Path) -> None:
    """`vigie run` starts the worker and beat at once; on a fresh file both create kombu's
    tables and queue row. kombu alone lost that race ("table kombu_queue already exists",
    "UNIQUE constraint failed: kombu_queue.name") in most rounds, and the process died."""
    context = multiprocessing.get_context("fork")
    errors: list[str] = []
    rounds, processes = 10, 3
    for round_ in range(rounds):
        (tmp_path / f"round-{round_}").mkdir()
        url = f"sqlite:///{tmp_path}/round-{round_}/broker.sqlite3"
        barrier, results = context.Barrier(processes), context.Queue()
        started = [
            context.Process(target=_first_use, args=(url, barrier, results))
            for _ in range(processes)
        ]
        for process in started:
            process.start()
        for process in started:
            process.join(timeout=60)
        answers = [results.get(timeout=5) for _ in started]
        errors += [answer for answer in answers if answer != "ok"]
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM kombu_queue")) == 1
            assert connection.scalar(text("SELECT count(*) FROM kombu_message")) == answers.count(
                "ok"
            )
        engine.dispose()
    assert errors == []


def test_prepare_creates_the_tables_and_the_queue_once(tmp_path: Path) -> None:
    url = f"{broker.URL_PREFIX}sqlite:///{tmp_path}/broker.sqlite3"
    broker.prepare(url)
    broker.prepare(url)  # again, as every `vigie run` does
    engine = create_engine(url.removeprefix(broker.URL_PREFIX))
    with engine.connect() as connection:
        names = connection.scalars(text("SELECT name FROM kombu_queue")).all()
        assert names == [broker.QUEUE]
        assert connection.scalar(text("SELECT count(*) FROM kombu_message")) == 0
    engine.dispose()
