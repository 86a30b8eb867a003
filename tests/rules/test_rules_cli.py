"""`vigie rules check` and `vigie rules test`, as a rule writer runs them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from rules_helpers import book_from, scores
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.models import Base, Comment, Decision
from moderation.moderate import moderate
from vigie.cli import main
from vigie.db import make_engine


class FixedScorer:
    """Calm scores for every text: these tests are about rules and facts, not scoring."""

    version = "fixed"

    def score_batch(self, texts: list[str], languages: object = None) -> list[object]:
        return [scores() for _ in texts]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["rules", *args], env=env or {})
    return result.exit_code, result.output


def test_it_checks_a_folder_and_fails_naming_file_and_line(rules_dir: Path) -> None:
    """A broken file makes `check` exit 1 with `path:line: problem`."""
    (rules_dir / "default.yaml").write_text("rules: []\n")
    assert run("check", str(rules_dir))[0] == 0
    (rules_dir / "x.yaml").write_text(
        "rules:\n  - id: r\n    description: d\n    when: {regex: '(a)\\1'}\n    action: remove\n"
    )
    code, output = run("check", str(rules_dir))
    assert code == 1
    assert f"error: {rules_dir}/x.yaml:4: rule r: regex" in output


def test_it_checks_the_configured_folder_by_default(rules_dir: Path) -> None:
    """Without an argument, `check` validates VIGIE_RULES_DIR."""
    (rules_dir / "default.yaml").write_text("default_action: sometimes\n")
    code, output = run("check", env={"VIGIE_RULES_DIR": str(rules_dir)})
    assert code == 1 and "default.yaml:1: default_action 'sometimes'" in output


def test_it_explains_a_test_comment() -> None:
    """`test` prints the scores, each matching rule with its conditions, and the decision."""
    code, output = run("test", "default", "I know where you live", env={"VIGIE_SCORER": "lexicon"})
    assert code == 0, output
    assert "scores (lexicon-1): toxicity" in output
    assert "MATCH violent-threat (default.yaml:" in output
    assert "yes: phrases found 'i know where you live'" in output
    assert "decision: escalate (queue priority urgent), by violent-threat" in output


def test_it_scores_with_the_scorer_the_service_decides_with() -> None:
    """`test` scores like the workers (VIGIE_SCORER), not with the lexicon whatever is set.

    An insult the lexicon misses (toxicity 0.03) is 0.9 for the default stack: a threshold
    tried with the lexicon's scores says nothing about live decisions.
    """
    text = "You are all idiots, worst company ever"
    code, output = run("test", "youtube", text, env={"VIGIE_SCORER": "default"})
    assert code == 0, output
    assert "scores (default-" in output
    code, output = run("test", "youtube", text, "--scorer", "lexicon")
    assert code == 0, output
    assert "scores (lexicon-1)" in output


def test_it_uses_author_facts_given_on_the_command_line(rules_dir: Path) -> None:
    """--author-age and friends reach the rules."""
    (rules_dir / "default.yaml").write_text(
        "rules: [{id: young, description: d, when: {author_age_days: '< 7'}, action: review}]\n"
    )
    args = ["test", "x", "hello", "--rules", str(rules_dir)]
    assert "decision: approve" in run(*args)[1]
    assert "decision: review" in run(*args, "--author-age", "2")[1]
    assert "no: author_age_days unknown < 7" in run(*args, "--all")[1]


def test_it_records_shadow_matches_on_the_stored_decision(tmp_path: Path) -> None:
    """moderate() stores live rule ids, then shadow:<id> for shadow rules that matched."""
    book = book_from(
        """
        rules:
          - {id: trial, description: d, shadow: true, when: {words: [hello]}, action: remove}
          - {id: live, description: d, when: {words: [hello]}, action: review}
        """
    )

    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(engine)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        comment = Comment(
            source="demo", platform="web", external_id="1", author_id="a", text="hello",
            created_at=now, received_at=now,
        )  # fmt: skip
        session.add(comment)
        session.flush()
        moderate(session, [comment.id], FixedScorer(), book, now)  # type: ignore[arg-type]
    with Session(engine) as session:
        decision = session.scalars(select(Decision)).one()
        assert (decision.action, decision.rule_ids) == ("review", ["live", "shadow:trial"])
    engine.dispose()


def test_it_hands_real_reply_depth_and_parent_decision_to_the_rules(tmp_path: Path) -> None:
    """moderate() walks stored parents: a reply to a reply is depth 2, with its parent's action."""
    book = book_from(
        """
        rules:
          - {id: top, description: d, when: {words: [root]}, action: remove, uncertainty: false}
          - id: deep
            description: d
            when: {reply_depth: ">= 2", parent_action: approve}
            action: review
        """
    )
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    Base.metadata.create_all(engine)
    now = datetime.now(UTC)
    chain = [("1", None, "root"), ("2", "1", "first reply"), ("3", "2", "second reply"),
             ("4", "2", "sibling reply")]  # fmt: skip
    with Session(engine) as session, session.begin():
        ids = []
        for external_id, parent, text in chain:
            comment = Comment(
                source="demo", platform="web", external_id=external_id, author_id="a",
                parent_external_id=parent, text=text, created_at=now, received_at=now,
            )  # fmt: skip
            session.add(comment)
            session.flush()
            ids.append(comment.id)
        for batch in ([ids[0]], [ids[1]], ids[2:]):  # siblings decided in one batch
            moderate(session, batch, FixedScorer(), book, now)  # type: ignore[arg-type]
    with Session(engine) as session:
        actions = [d.action for d in session.scalars(select(Decision).order_by(Decision.id))]
    assert actions == ["remove", "approve", "review", "review"]
    engine.dispose()


def test_it_exits_1_naming_a_rule_file_that_cannot_be_read(rules_dir: Path) -> None:
    """A dangling x.yaml link is an `error:` line and exit 1, not a traceback."""
    (rules_dir / "default.yaml").write_text("rules: []\n")
    (rules_dir / "x.yaml").symlink_to(rules_dir / "gone.yaml")
    code, output = run("check", str(rules_dir))
    assert code == 1
    assert f"error: {rules_dir}/x.yaml: cannot read: No such file or directory" in output
