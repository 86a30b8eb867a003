"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, tuned for Vigie.

kombu passes every transport option to `create_engine`, so the polling interval cannot be set
as an option; this subclass sets it, and opens SQLite in WAL mode with a busy timeout so the
web, worker and beat processes can share the file.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import Engine, text

from vigie.db import make_engine

POLLING_INTERVAL_S = 0.05
URL_PREFIX = "sqla+"


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self) -> Engine:
        return make_engine(self.connection.client.hostname)


class Transport(kombu_sqla.Transport):
    Channel = Channel
    polling_interval = POLLING_INTERVAL_S


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
