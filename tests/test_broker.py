"""The embedded broker: a Celery round trip through SQLite, and cleanup of consumed messages."""

from datetime import timedelta
from pathlib import Path

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
