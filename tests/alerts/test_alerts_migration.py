from sqlalchemy import inspect

from vigie import migrate
from vigie.db import make_engine


def test_it_migrates_and_agrees_with_the_alert_models(tmp_path):
    """Migration 0002 creates the alert tables exactly as the models describe them."""
    url = f"sqlite:///{tmp_path}/m.sqlite3"
    migrate.upgrade(url)
    migrate.check(url)  # raises if models and migrations disagree
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"alert_counts", "alert_incidents", "alert_silences", "alert_messages"} <= tables
