"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, tuned for Vigie.

kombu passes every transport option to `create_engine`, so the polling interval cannot be set
as an option; this subclass sets it, and opens SQLite in WAL mode with a busy timeout so the
web, worker and beat processes can share the file.

kombu creates its two tables and each queue's row lazily, in whichever process gets there
first, with no guard against another process doing the same at that moment: started together,
the worker and beat could fail with "table kombu_queue already exists" or "UNIQUE constraint
failed: kombu_queue.name" (reproduced in tests/workers/test_broker_race.py), and `vigie run`
stops everything when one of its processes exits. So `prepare` creates the tables and the
queue before any process starts, and the channel below tolerates losing either race anyway
(processes started by hand, or a queue first used later).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from kombu import Connection
from kombu.transport import sqlalchemy as kombu_sqla
from kombu.transport.sqlalchemy.models import metadata
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from vigie.db import make_engine

POLLING_INTERVAL_S = 0.05
URL_PREFIX = "sqla+"
QUEUE = "celery"  # the one queue Vigie's tasks are routed to (workers/app.py)


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self) -> Engine:
        engine = make_engine(self.connection.client.hostname)
        # kombu calls `metadata.create_all` next; with the tables there it only checks.
        _create_tables(engine)
        return engine

    def _get_or_create(self, queue: str) -> Any:
        try:
            return super()._get_or_create(queue)
        except IntegrityError:  # another process inserted the queue's row first: use it
            self.session.rollback()
            return self.session.query(self.queue_cls).filter(self.queue_cls.name == queue).one()


class Transport(kombu_sqla.Transport):
    Channel = Channel
    polling_interval = POLLING_INTERVAL_S


def prepare(broker_url: str) -> None:
    """Create the broker's tables and Vigie's queue, before any process uses the broker."""
    with Connection(broker_url.removeprefix(URL_PREFIX), transport=Transport) as connection:
        channel = connection.channel()
        try:
            channel._new_queue(QUEUE)  # its tables first (`_engine_from_config`), then its row
        finally:
            channel.close()


def _create_tables(engine: Engine, attempts: int = 20) -> None:
    """kombu's tables, tolerating another process creating them at the same moment."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except OperationalError as exc:
            # "table … already exists": the other process won; "database is locked": it is
            # still at it (SQLite gives up at once where waiting could deadlock). Look again.
            if attempt == attempts - 1:
                raise
            if "already exists" not in str(exc):
                time.sleep(0.05 * (attempt + 1))


def purge_consumed(broker_url: str, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete messages the transport has handed out (it keeps them, invisible, forever)."""
    engine = make_engine(broker_url.removeprefix(URL_PREFIX))
    # kombu stamps rows with naive local time (datetime.now), so compare in the same terms.
    cutoff = datetime.now() - older_than
    try:
        with engine.begin() as connection:
            result = connection.execute(
                text("DELETE FROM kombu_message WHERE visible = 0 AND timestamp < :cutoff"),
                {"cutoff": cutoff},
            )
            return int(result.rowcount)
    finally:
        engine.dispose()
