import pytest
from fake_slack import FakeSlack


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def sessions(tmp_path):
    """A migrated SQLite database of our own, and its sessionmaker."""
    from vigie import migrate
    from vigie.db import make_engine, make_sessionmaker

    url = f"sqlite:///{tmp_path}/alerts.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()
