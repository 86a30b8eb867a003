"""Claims under concurrency on PostgreSQL: real transactions racing in threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from moderation.review import queue
from moderation.review.decide import Choice, ReviewConflict, decide
from moderation.review.models import ReviewItem, Role, User, Verdict
from tests.queue.conftest import NOW, add_item, add_user, later
from vigie.runtime import Runtime
from vigie.settings import Settings

pytestmark = pytest.mark.postgres
WORKERS = 8


@pytest.fixture
def pg_runtime(pg_settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(pg_settings)
    yield rt
    rt.close()


def _race(rt: Runtime, work: Callable[[Any, int], Any]) -> list[Any]:
    """Run `work(session, n)` in WORKERS threads released together, each in its transaction."""
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = [None] * WORKERS

    def run(n: int) -> None:
        with rt.sessions() as session:
            barrier.wait()
            try:
                results[n] = work(session, n)
                session.commit()
            except ReviewConflict as exc:
                session.rollback()
                results[n] = exc.code

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _setup(rt: Runtime, items: int) -> tuple[list[int], list[int]]:
    with rt.sessions.begin() as session:
        user_ids = [add_user(session, f"m{n}", Role.MODERATOR).id for n in range(WORKERS)]
        item_ids = [add_item(session, text=f"text {n}").id for n in range(items)]
    return user_ids, item_ids


def test_it_gives_each_moderator_a_different_next_item(pg_runtime: Runtime) -> None:
    """Eight moderators claiming at once get eight distinct items."""
    user_ids, _ = _setup(pg_runtime, 20)
    got = _race(pg_runtime, lambda s, n: queue.claim_next(s, user_ids[n], later(1), 300).id)
    assert None not in got
    assert len(set(got)) == WORKERS


def test_it_lets_exactly_one_moderator_claim_an_item(pg_runtime: Runtime) -> None:
    """Eight claims on one item at once: one wins, the others are refused."""
    user_ids, (item_id,) = _setup(pg_runtime, 1)
    got = _race(
        pg_runtime, lambda s, n: queue.claim(s, item_id, user_ids[n], later(1), 300) is not None
    )
    assert sorted(got) == [False] * (WORKERS - 1) + [True]


def test_it_lets_one_decision_win_when_an_expired_claim_is_retaken(
    pg_runtime: Runtime,
) -> None:
    """Old and new holders decide at once: only the new holder's decision applies, once."""
    user_ids, (item_id,) = _setup(pg_runtime, 1)
    with pg_runtime.sessions.begin() as session:
        queue.claim(session, item_id, user_ids[0], NOW, 60)
        queue.claim(session, item_id, user_ids[1], later(61), 300)

    def work(session: Any, n: int) -> Any:
        user = session.get(User, user_ids[n % 2])
        return decide(session, item_id, user, Choice(Verdict.REMOVE), later(62), lambda _s: None)

    got = _race(pg_runtime, work)
    winners = [r for r in got if not isinstance(r, str)]
    assert len(winners) == 1
    assert {r for r in got if isinstance(r, str)} <= {"already_decided", "claimed_by_other"}
    with pg_runtime.sessions() as session:
        assert session.get(ReviewItem, item_id).decided_by == user_ids[1]


def test_it_refuses_edits_of_the_audit_log_in_postgres(pg_runtime: Runtime) -> None:
    """A trigger makes audit rows append-only for every database user."""
    user_ids, (item_id,) = _setup(pg_runtime, 1)
    with pg_runtime.sessions.begin() as session:
        user = session.get(User, user_ids[0])
        queue.claim(session, item_id, user.id, NOW, 300)
        decide(session, item_id, user, Choice(Verdict.APPROVE), later(1), lambda _s: None)
    with pg_runtime.sessions() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_log SET reason = 'x'"))


def test_it_filters_and_counts_on_postgres(pg_runtime: Runtime) -> None:
    """Tag filter (JSON list) and the claimed count work on PostgreSQL as on SQLite."""
    user_ids, item_ids = _setup(pg_runtime, 3)
    with pg_runtime.sessions.begin() as session:
        queue.claim(session, item_ids[0], user_ids[0], NOW, 300)
        ironic = queue.open_items(session, queue.Filters(tag="ironic"))
        found = queue.counts(session, queue.Filters(platform="x"), later(1))
        assert len(ironic) == 3
        assert queue.open_items(session, queue.Filters(tag="raid")) == []
        assert (found.open, found.claimed, found.oldest_queued_at) == (3, 1, NOW)


def test_it_filters_by_tag_on_postgres(pg_runtime: Runtime) -> None:
    """Tag filters match whole tags on PostgreSQL's json columns too, accents and `_` included."""
    with pg_runtime.sessions.begin() as session:
        hate = add_item(session, rule_tags=["hate_speech"]).id
        add_item(session, rule_tags=["hatexspeech"])
        menace = add_item(session, rule_tags=["menace-armée"]).id
    with pg_runtime.sessions() as session:
        found = {
            tag: [i.id for i in queue.open_items(session, queue.Filters(tag=tag))]
            for tag in ("hate_speech", "menace-armée", "hate")
        }
    assert found == {"hate_speech": [hate], "menace-armée": [menace], "hate": []}


def test_it_filters_by_topic_and_tag_together_on_postgres(pg_runtime: Runtime) -> None:
    """A topic incident's filter (topic:NAME) and a tag chosen on the page both apply."""
    with pg_runtime.sessions.begin() as session:
        both = add_item(session, rule_tags=["raid"], topics=["grève"]).id
        add_item(session, rule_tags=["raid"], topics=["rappel"])
        add_item(session, topics=["grève"])
    with pg_runtime.sessions() as session:
        found = queue.open_items(session, queue.Filters(topic="grève", tag="raid"))
        assert [i.id for i in found] == [both]
        assert queue.counts(session, queue.Filters(topic="grève"), NOW).open == 2


def test_the_queue_pages_by_cursor_on_postgres(pg_runtime: Runtime) -> None:
    """The cursor's microseconds round-trip through timestamptz: equal ranks break on the id,
    and every item shows once across the pages, forwards and back."""
    with pg_runtime.sessions.begin() as session:
        # Pairs queued at the same microsecond: the order is (rank_at, id).
        ids = [add_item(session, at=later(k // 2 + 0.000001 * (k % 3))).id for k in range(23)]
    with pg_runtime.sessions() as session:
        expected = [i.id for i in queue.open_items(session, queue.Filters(), limit=100)]
        assert sorted(expected) == sorted(ids)
        seen, pages, after = [], [], None
        while True:
            found = queue.page(session, queue.Filters(), 5, after=after)
            pages.append(found)
            seen += [i.id for i in found.items]
            assert found.position == len(seen) - len(found.items)
            if found.next is None:
                break
            after = queue.Cursor.parse(found.next.token())
        assert seen == expected and len(pages) == 5
        back = queue.page(session, queue.Filters(), 5, before=pages[2].previous)
        assert [i.id for i in back.items] == expected[5:10]
