"""`vigie rules ...`: check rule files, try a comment, back-test a candidate rule set.

This is an edge, like api/ and workers/: it reads settings, the database and the clock, and
hands plain data to the pure functions of rules/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from moderation.facts import CommentFacts
from moderation.scores import Scores
from rules.backtest import Replayed, Report, backtest, parse_since
from rules.check import check_directory
from rules.engine import SHIPPED_DIR, load_rulebook
from rules.explain import explain
from rules.model import ACTIONS, RuleBook, RulesError

_DIR = click.Path(path_type=Path, file_okay=False, exists=True)


def _settings() -> Any:
    from vigie.settings import Settings, SettingsError

    try:
        return Settings.from_env(os.environ)
    except SettingsError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def _configured_dir() -> Path:
    return _settings().rules_dir or SHIPPED_DIR


def _load(directory: Path) -> RuleBook:
    try:
        return load_rulebook(directory)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def rules_cli() -> None:
    """Check, try and back-test moderation rule files."""


@rules_cli.command("check")
@click.argument("directory", required=False, type=_DIR)
def check(directory: Path | None) -> None:
    """Validate every rule file of DIRECTORY (default: the configured rules folder)."""
    directory = directory or _configured_dir()
    result = check_directory(directory)
    for note in result.notes:
        click.echo(f"note: {note}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in result.errors:
        click.echo(f"error: {error}", err=True)
    if result.book is None:
        raise SystemExit(1)
    book = result.book
    count = len({(r.id, r.source) for s in book.sets.values() for r in s.rules})
    click.echo(f"ok: {len(book.files)} files, {count} rules, version {book.version} ({directory})")


@rules_cli.command("test")
@click.argument("platform")
@click.argument("text")
@click.option("--rules", "directory", type=_DIR, help="Rules folder (default: configured).")
@click.option("--language", default=None, help="Language hint (default: detected).")
@click.option("--author-age", type=click.IntRange(0), default=None, help="Account age in days.")
@click.option("--followers", type=click.IntRange(0), default=None)
@click.option("--prior-removals", type=click.IntRange(0), default=0, show_default=True)
@click.option("--reply-depth", type=click.IntRange(0), default=0, show_default=True)
@click.option("--parent-action", type=click.Choice(ACTIONS), default=None)
@click.option("--all", "show_all", is_flag=True, help="Also explain the rules that did not match.")
@click.option(
    "--scorer",
    "scorer_name",
    type=click.Choice(("default", "lexicon", "transformers")),
    help="Default: VIGIE_SCORER, the scores the service decides on.",
)
def test(
    platform: str,
    text: str,
    directory: Path | None,
    language: str | None,
    author_age: int | None,
    followers: int | None,
    prior_removals: int,
    reply_depth: int,
    parent_action: str | None,
    show_all: bool,
    scorer_name: str | None,
) -> None:
    """Score TEXT, then show which of PLATFORM's rules match, why, and the decision."""
    from moderation.scorers import build_scorer

    settings = _settings()
    book = _load(directory or settings.rules_dir or SHIPPED_DIR)
    try:
        scorer = build_scorer(
            scorer_name or settings.scorer,
            False,
            settings.transformers_models,
            settings.language_weights,
            settings.transformers_int8,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    scores = scorer.score_batch([text], [language])[0]
    facts = CommentFacts(
        platform=platform,
        text=text,
        language=scores.language,
        author_account_age_days=author_age,
        author_followers=followers,
        author_prior_removals=prior_removals,
        reply_depth=reply_depth,
        parent_action=parent_action,
    )
    verdict, traces = explain(book, facts, scores)
    click.echo(
        f"scores ({scores.model_version}): toxicity {scores.toxicity:.2f}, irony "
        f"{scores.irony:.2f}, sentiment {scores.sentiment} (negative {scores.negative:.2f}, "
        f"neutral {scores.neutral:.2f}, positive {scores.positive:.2f}), confidence "
        f"{scores.confidence:.2f}, language {scores.language}"
    )
    name = platform if platform in book.sets else f"default (no {platform}.yaml)"
    click.echo(f"rules: {name}, version {book.version}")
    for trace in traces:
        if not (trace.matched or show_all):
            continue
        rule = trace.rule
        what = rule.action or "tags only"
        flags = " [shadow]" if rule.shadow else ""
        mark = "MATCH" if trace.matched else "no   "
        click.echo(f"  {mark} {rule.id} ({rule.source}) -> {what}{flags}")
        for line in trace.detail.splitlines():
            click.echo(f"          {line}")
    if not show_all and not any(t.matched for t in traces):
        click.echo("  no rule matched (use --all to see why)")
    priority = f" (queue priority {verdict.priority})" if verdict.priority else ""
    click.echo(f"decision: {verdict.action}{priority}, by {verdict.decided_by or 'default_action'}")
    click.echo(f"  reasons: {'; '.join(verdict.reasons)}")
    if verdict.tags:
        click.echo(f"  tags: {', '.join(verdict.tags)}")
    for shadow in verdict.shadow:
        click.echo(f"  shadow: {shadow.rule_id} would make the decision {shadow.would_decide}")


@rules_cli.command("backtest")
@click.argument("platform")
@click.option("--rules", "directory", type=_DIR, required=True, help="Candidate rules folder.")
@click.option("--since", default="30d", show_default=True, help="How far back: 30d, 12h, 2w.")
@click.option(
    "--against",
    type=click.Choice(["current", "stored"]),
    default="current",
    show_default=True,
    help="Compare with the current rules replayed, or with the decisions stored at the time.",
)
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Examples per kind of change.",
)
def backtest_command(
    platform: str, directory: Path, since: str, against: str, examples: int
) -> None:
    """Replay PLATFORM's stored comments and scores through the rules in --rules."""
    from vigie.runtime import Runtime

    try:
        window = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    settings = _settings()
    candidate = _load(directory)
    baseline = _load(settings.rules_dir or SHIPPED_DIR) if against == "current" else None
    runtime = Runtime(settings)
    try:
        with runtime.sessions() as session:
            items = replayed(session, platform, datetime.now(UTC) - window)
            report = backtest(candidate, items, baseline, examples)
    finally:
        runtime.close()
    _print_report(report, platform, since, against, candidate)


def replayed(session: Any, platform: str, since: datetime) -> Iterator[Replayed]:
    """Stored comments of `platform` decided since `since`, oldest first, as replay items."""
    from sqlalchemy import select

    from moderation.models import Comment, Decision

    rows = session.execute(
        select(Comment, Decision)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Comment.platform == platform, Decision.decided_at >= since)
        .order_by(Decision.decided_at, Comment.id)
        .execution_options(yield_per=1000)
    )
    window = _Window()
    batch: list[tuple[Any, Any]] = []
    for comment, decision in rows:
        batch.append((comment, decision))
        if len(batch) == 1000:
            yield from window.replay(session, batch)
            batch = []
    yield from window.replay(session, batch)


@dataclass
class _Window:
    """What the replay has seen so far, to rebuild the facts moderate() had.

    Author prior removals, parent decisions and reply depths come from the window itself: a
    parent outside it counts as a top-level comment with no known decision, and removals
    before the window are not counted.
    """

    removals: dict[str, int] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    depths: dict[str, int] = field(default_factory=dict)

    def replay(self, session: Any, batch: list[tuple[Any, Any]]) -> Iterator[Replayed]:
        humans = human_actions(session, [comment.id for comment, _ in batch])
        for comment, decision in batch:
            try:
                scores = Scores.from_dict(decision.scores)
            except (KeyError, TypeError, ValueError):
                continue  # a decision stored without usable scores cannot be replayed
            facts = self.facts(comment, scores)
            action = str(decision.action)
            yield Replayed(comment.id, facts, scores, action, humans.get(comment.id))
            self.actions[comment.external_id] = action
            self.depths[comment.external_id] = facts.reply_depth
            if action == "remove":
                self.removals[comment.author_id] = self.removals.get(comment.author_id, 0) + 1

    def facts(self, comment: Any, scores: Scores) -> CommentFacts:
        parent = comment.parent_external_id
        return CommentFacts(
            platform=comment.platform,
            text=comment.text,
            language=scores.language,
            author_account_age_days=comment.author_account_age_days,
            author_followers=comment.author_followers,
            author_prior_removals=self.removals.get(comment.author_id, 0),
            reply_depth=self.depths.get(parent, 0) + 1 if parent else 0,
            parent_action=self.actions.get(parent) if parent else None,
        )


def human_actions(session: Any, comment_ids: list[int]) -> dict[int, str]:
    """Moderators' final action (approve, remove, escalate) per comment id.

    Read from the review queue: an item is decided once (compare-and-set), so its verdict is
    the moderators' last word; a skip leaves the item open and is no decision. Only comments
    the machine sent to review or escalate have one.
    """
    if not comment_ids:
        return {}
    from sqlalchemy import select

    from moderation.review.models import ItemStatus, ReviewItem, Verdict

    final = (Verdict.APPROVE, Verdict.REMOVE, Verdict.ESCALATE)
    rows = session.execute(
        select(ReviewItem.comment_id, ReviewItem.verdict).where(
            ReviewItem.comment_id.in_(comment_ids),
            ReviewItem.status == ItemStatus.DECIDED,
            ReviewItem.verdict.in_(final),
        )
    )
    return {comment_id: str(verdict) for comment_id, verdict in rows}


def _print_report(report: Report, platform: str, since: str, against: str, book: RuleBook) -> None:
    baseline = "the current rules" if against == "current" else "the stored decisions"
    click.echo(
        f"{report.total} {platform} comments from the last {since} replayed through rules "
        f"{book.version}: {report.changed} decisions change compared with {baseline}"
    )
    if not report.total:
        return
    click.echo(f"  {'action':<10}{'before':>8}{'after':>8}")
    for action in ACTIONS:
        click.echo(f"  {action:<10}{report.before[action]:>8}{report.after[action]:>8}")
    for (old, new), count in report.transitions.most_common():
        click.echo(f"  {old} -> {new}: {count}")
        for change in report.examples:
            if (change.before, change.after) == (old, new):
                text = " ".join(change.text.split())
                text = text if len(text) <= 80 else text[:77] + "..."
                rules = ", ".join(change.rule_ids) or "no rule"
                click.echo(f"      #{change.comment_id} {text!r} ({rules})")
    if not report.labelled:
        click.echo("precision/recall: no human decisions in this window yet")
        return
    click.echo(f"precision/recall against {report.labelled} human decisions:")
    for quality in report.rules:
        if quality.action is None:
            continue
        shadow = " [shadow]" if quality.shadow else ""
        click.echo(
            f"  {quality.rule_id}{shadow}: matched {quality.matched}, precision "
            f"{_percent(quality.precision)}, recall {_percent(quality.recall)}"
        )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"
