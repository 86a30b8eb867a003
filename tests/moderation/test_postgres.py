"""The same store-once and decide-once guarantees on PostgreSQL, under concurrency."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select

from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Comment, Decision
from moderation.moderate import moderate
from moderation.scoring import LexiconScorer
from rules import load_rulebook
from tests.support import comment
from vigie.runtime import Runtime
from vigie.settings import Settings

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def test_it_stores_once_when_deliveries_race(pg_settings: Settings) -> None:
    """Eight concurrent deliveries of the same batch leave each comment stored once."""
    rt = Runtime(pg_settings)
    comments = parse_vigie_payload({"comments": [comment(f"r{i}") for i in range(50)]})

    def deliver() -> int:
        with rt.sessions.begin() as session:
            return len(store_comments(session, comments, "acme", NOW).new_ids)

    with ThreadPoolExecutor(8) as pool:
        stored = list(pool.map(lambda _: deliver(), range(8)))
    assert sum(stored) == 50
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 50
    rt.close()


def test_it_decides_once_when_workers_race(pg_settings: Settings) -> None:
    """Four workers deciding the same comments at once store one decision per comment."""
    rt = Runtime(pg_settings)
    with rt.sessions.begin() as session:
        ids = store_comments(
            session,
            parse_vigie_payload({"comments": [comment(f"d{i}") for i in range(40)]}),
            "acme",
            NOW,
        ).new_ids
    scorer, rulebook = LexiconScorer(), load_rulebook()

    def work() -> int:
        with rt.sessions.begin() as session:
            return len(moderate(session, ids, scorer, rulebook, NOW).decision_ids)

    with ThreadPoolExecutor(4) as pool:
        decided = list(pool.map(lambda _: work(), range(4)))
    assert sum(decided) == 40
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 40
    rt.close()
