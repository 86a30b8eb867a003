"""Back-test: replaying past comments through candidate rules, pure and through the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_helpers import book_from, facts, scores
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.models import Action, Base, Comment, CommentStatus, Decision
from moderation.review import accounts, queue
from moderation.review.decide import Choice, decide
from moderation.review.models import Role, Verdict
from rules.backtest import Replayed, backtest, parse_since
from rules.cli import human_actions, replayed, rules_cli
from vigie import migrate
from vigie.db import make_engine

OLD = "rules: [{id: abuse, description: d, when: {toxicity: '> 0.9'}, action: remove}]"
NEW = """
rules:
  - {id: abuse, description: d, when: {toxicity: '> 0.7'}, action: remove}
  - {id: trial, description: d, shadow: true, when: {words: [spam]}, action: remove}
"""


def item(i: int, toxicity: float, text: str = "hi", human: str | None = None) -> Replayed:
    return Replayed(i, facts(text, platform="web"), scores(toxicity=toxicity), "approve", human)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("90m", timedelta(minutes=90)),
     ("2w", timedelta(weeks=2))],
)  # fmt: skip
def test_it_parses_since_durations(text: str, expected: timedelta) -> None:
    """--since takes minutes, hours, days or weeks."""
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["30", "0d", "-1d", "1y", ""])
def test_it_refuses_bad_durations(text: str) -> None:
    """Anything else is an error, not a silent default."""
    with pytest.raises(ValueError, match="duration"):
        parse_since(text)


@pytest.mark.parametrize("text", ["99999999999d", "1000000w", "5300w"])
def test_it_refuses_durations_over_a_hundred_years(text: str) -> None:
    """A window no clock can subtract is refused like any bad duration, not an OverflowError."""
    with pytest.raises(ValueError, match="at most 100 years"):
        parse_since(text)


def test_it_counts_changed_decisions_by_action_with_examples() -> None:
    """Changes are counted per (before, after) pair; examples are capped per pair."""
    items = [item(i, 0.8, f"text {i}") for i in range(5)] + [item(9, 0.1), item(10, 0.95)]
    report = backtest(book_from(NEW), items, baseline=book_from(OLD), examples_per_change=2)
    assert (report.total, report.changed) == (7, 5)
    assert report.transitions[("approve", "remove")] == 5
    assert report.before["remove"] == 1 and report.after["remove"] == 6
    assert [c.comment_id for c in report.examples] == [0, 1]
    assert report.examples[0].rule_ids == ("abuse",)


def test_it_compares_with_stored_actions_without_a_baseline() -> None:
    """Without a baseline book the stored action is the 'before'."""
    report = backtest(book_from(OLD), [item(1, 0.1), item(2, 0.95)])
    assert report.changed == 1
    assert report.transitions[("approve", "remove")] == 1


def test_it_scores_each_rule_against_human_decisions() -> None:
    """Precision and recall per rule, shadow rules included, only over labelled comments."""
    items = [
        item(1, 0.8, "spam", human="remove"),  # abuse right, trial right
        item(2, 0.8, "hello", human="approve"),  # abuse wrong
        item(3, 0.1, "spam", human="approve"),  # trial wrong
        item(4, 0.1, "hello", human="remove"),  # missed by both
        item(5, 0.8, "spam"),  # unlabelled: counted as a match only
    ]
    report = backtest(book_from(NEW), items)
    quality = {q.rule_id: q for q in report.rules}
    assert report.labelled == 4
    assert (quality["abuse"].matched, quality["abuse"].labelled_matches) == (3, 2)
    assert quality["abuse"].precision == 0.5
    assert quality["abuse"].recall == 0.5
    assert quality["trial"].shadow and quality["trial"].precision == 0.5


def test_it_reports_no_precision_without_human_decisions() -> None:
    """Nothing labelled means precision and recall are unknown, not zero."""
    report = backtest(book_from(NEW), [item(1, 0.8)])
    assert all(q.precision is None and q.recall is None for q in report.rules)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite database with a few decided comments on 'web'."""
    url = f"sqlite:///{tmp_path}/vigie.sqlite3"
    migrate.upgrade(url)  # the back-test also reads the review queue's tables
    engine = make_engine(url)
    now = datetime.now(UTC)
    rows = [("c1", "you absolute clown", 0.8, now), ("c2", "merci !", 0.02, now),
            ("c3", "old and toxic", 0.8, now - timedelta(days=60))]  # fmt: skip
    with Session(engine) as session, session.begin():
        for external_id, text, toxicity, when in rows:
            comment = Comment(
                source="demo", platform="web", external_id=external_id, author_id="a1",
                text=text, created_at=when, received_at=when, status=CommentStatus.DECIDED,
            )  # fmt: skip
            comment.decision = Decision(
                action=Action.APPROVE, reasons=[], rule_ids=[], model_version="test",
                rules_version="old", decided_at=when,
                scores=scores(toxicity=toxicity).to_dict(),
            )  # fmt: skip
            session.add(comment)
    engine.dispose()
    yield url


def test_it_backtests_stored_comments_from_the_command_line(
    database: str, rules_dir: Path, tmp_path: Path
) -> None:
    """`vigie rules backtest` replays the window's comments and prints the changes."""
    (rules_dir / "default.yaml").write_text(NEW)
    current = tmp_path / "current"
    current.mkdir()
    (current / "default.yaml").write_text(OLD)
    env = {
        "DATABASE_URL": database,
        "VIGIE_RULES_DIR": str(current),
        "VIGIE_DATA_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(
        rules_cli, ["backtest", "web", "--rules", str(rules_dir), "--since", "30d"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "2 web comments from the last 30d" in result.output
    assert "1 decisions change compared with the current rules" in result.output
    assert "approve -> remove: 1" in result.output
    assert "you absolute clown" in result.output
    assert "no human decisions in this window yet" in result.output
    negative = CliRunner().invoke(
        rules_cli, ["backtest", "web", "--rules", str(rules_dir), "--examples", "-1"], env=env
    )
    assert negative.exit_code == 2 and "--examples" in negative.output


def test_it_rebuilds_thread_and_author_facts_from_the_window(tmp_path: Path) -> None:
    """Replayed facts carry prior removals, parent decisions and reply depth, in order."""
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(engine)
    now = datetime.now(UTC)
    chain = [("p", None, Action.REMOVE), ("r1", "p", Action.APPROVE), ("r2", "r1", Action.APPROVE)]
    with Session(engine) as session, session.begin():
        for seconds, (external_id, parent, action) in enumerate(chain):
            when = now - timedelta(minutes=10) + timedelta(seconds=seconds)
            comment = Comment(
                source="demo", platform="x", external_id=external_id, author_id="a",
                parent_external_id=parent, text=external_id, created_at=when, received_at=when,
            )  # fmt: skip
            comment.decision = Decision(
                action=action, reasons=[], rule_ids=[], model_version="t", rules_version="v",
                decided_at=when, scores=scores(language="fr").to_dict(),
            )  # fmt: skip
            session.add(comment)
    with Session(engine) as session:
        items = list(replayed(session, "x", now - timedelta(hours=1)))
    engine.dispose()
    seen = [
        (i.facts.reply_depth, i.facts.parent_action, i.facts.author_prior_removals) for i in items
    ]
    assert seen == [(0, None, 0), (1, "remove", 1), (2, "approve", 1)]
    assert {i.facts.language for i in items} == {"fr"}


@pytest.fixture
def moderated(tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite database where moderators decided some of the machine's reviews.

    Rows are made by the review queue's own functions: enqueue, claim, decide (and skip).
    """
    url = f"sqlite:///{tmp_path}/moderated.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    rows = [  # (external id, text, toxicity, the moderator's verdict; None: never decided)
        ("c1", "you absolute clown", 0.8, Verdict.REMOVE),
        ("c2", "merci !", 0.02, Verdict.APPROVE),
        ("c4", "buy my spam now", 0.1, Verdict.REMOVE),
        ("c5", "you clown, love it", 0.8, Verdict.APPROVE),
        ("c6", "still waiting", 0.8, Verdict.SKIP),
        ("c7", "nobody looked", 0.8, None),
    ]
    with Session(engine) as session, session.begin():
        mia = accounts.create_user(session, "mia", "correct horse battery", Role.MODERATOR, now)
        for n, (external_id, text, toxicity, verdict) in enumerate(rows):
            when = now - timedelta(hours=1) + timedelta(seconds=n)
            comment = Comment(
                source="demo", platform="web", external_id=external_id, author_id=f"a{n}",
                text=text, created_at=when, received_at=when, status=CommentStatus.DECIDED,
            )  # fmt: skip
            comment.decision = Decision(
                action=Action.REVIEW, reasons=[], rule_ids=["old"], model_version="test",
                rules_version="old", decided_at=when,
                scores=scores(toxicity=toxicity).to_dict(),
            )  # fmt: skip
            session.add(comment)
            session.flush()
            item = queue.enqueue(session, comment, comment.decision, when)
            assert item is not None
            session.flush()
            if verdict is not None:
                assert queue.claim(session, item.id, mia.id, now, 300) is not None
                decide(session, item.id, mia, Choice(verdict), now, lambda _source: None)
    engine.dispose()
    yield url


def test_it_reads_the_moderators_decisions_from_the_review_queue(moderated: str) -> None:
    """Decided items give the moderator's verdict; skipped and untouched items give none."""
    engine = make_engine(moderated)
    with Session(engine) as session:
        ids = {
            external: id_
            for external, id_ in session.execute(select(Comment.external_id, Comment.id))
        }
        found = human_actions(session, list(ids.values()))
    engine.dispose()
    by_external = {external: found.get(comment_id) for external, comment_id in ids.items()}
    assert by_external == {
        "c1": "remove", "c2": "approve", "c4": "remove", "c5": "approve", "c6": None, "c7": None,
    }  # fmt: skip


def test_it_prints_precision_and_recall_against_moderators_from_the_command_line(
    moderated: str, rules_dir: Path, tmp_path: Path
) -> None:
    """`vigie rules backtest` scores each rule against the review queue's human decisions."""
    (rules_dir / "default.yaml").write_text(NEW)
    env = {"DATABASE_URL": moderated, "VIGIE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        rules_cli,
        ["backtest", "web", "--rules", str(rules_dir), "--since", "30d", "--against", "stored"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "6 web comments from the last 30d" in result.output
    assert "precision/recall against 4 human decisions:" in result.output
    # abuse (toxicity > 0.7) matched c1 (removed: right), c5 (approved: wrong), and c6, c7
    # (undecided); the moderators removed c1 and c4, so it found one of two.
    assert "  abuse: matched 4, precision 50%, recall 50%" in result.output
    # the shadow rule matched c4 only, which the moderator removed.
    assert "  trial [shadow]: matched 1, precision 100%, recall 50%" in result.output
