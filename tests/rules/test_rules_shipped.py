"""The shipped rule files pass `check` and do what their comments say, in English and French."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from rules_helpers import facts, scores

from rules import evaluate, load_rulebook
from rules.check import check_directory
from rules.cli import rules_cli
from rules.engine import SHIPPED_DIR

SHIPPED = load_rulebook()
PLATFORMS = ("x", "instagram", "facebook", "tiktok", "youtube", "linkedin")
CALM: dict[str, Any] = {}
ABUSIVE = {"toxicity": 0.97, "negative": 0.9, "positive": 0.02}
SWEARY = {"toxicity": 0.6, "negative": 0.55, "positive": 0.1}
INSULTING = {"toxicity": 0.85, "negative": 0.8, "positive": 0.05}


def test_it_ships_a_file_per_platform_that_passes_check() -> None:
    """`vigie rules check` accepts the shipped folder, with no warning."""
    result = check_directory(SHIPPED_DIR)
    assert result.errors == () and result.warnings == ()
    assert set(SHIPPED.files) == {f"{p}.yaml" for p in ("default", *PLATFORMS)}
    outcome = CliRunner().invoke(rules_cli, ["check", str(SHIPPED_DIR)])
    assert outcome.exit_code == 0, outcome.output
    assert f"version {SHIPPED.version}" in outcome.output


# (platform, text, scores, extra facts, action, deciding rule or None)
EXAMPLES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, str | None]] = [
    # default.yaml, inherited everywhere
    ("web", "Merci pour la réponse rapide !", CALM, {}, "approve", None),
    ("web", "Thanks, that fixed it", CALM, {}, "approve", None),
    ("web", "You worthless piece of garbage", ABUSIVE, {}, "remove", "explicit-abuse"),
    ("web", "Espèce de sous-merde", ABUSIVE, {}, "remove", "explicit-abuse"),
    ("youtube", "I know where you live.", CALM, {}, "escalate", "violent-threat"),
    (
        "facebook",
        "Je sais où tu habites, je vais te tuer",
        ABUSIVE,
        {},
        "escalate",
        "violent-threat",
    ),
    ("instagram", "honestly I just want to die", CALM, {}, "escalate", "self-harm"),
    ("instagram", "j'ai envie de mourir", CALM, {}, "escalate", "self-harm"),
    ("web", "that ending made me want to die laughing", CALM, {}, "approve", None),
    ("x", "kys loser", INSULTING, {}, "remove", "tell-to-die"),
    ("web", "Va te pendre", INSULTING, {}, "remove", "tell-to-die"),
    ("linkedin", "FREE CRYPTO for the first 100, dm me to claim", CALM, {}, "remove", "scam"),
    ("web", "Crypto gratuite ! WhatsApp +33 6 12 34 56 78", CALM, {}, "remove", "scam"),
    (
        "web",
        "Bravo la SNCF, encore en retard 🙄",
        {"toxicity": 0.92, "irony": 0.9},
        {},
        "review",
        "explicit-abuse",
    ),
    (
        "web",
        "What a genius move, breaking the app again",
        {"toxicity": 0.92, "irony": 0.8},
        {},
        "review",
        "explicit-abuse",
    ),
    ("web", "you clown", {"toxicity": 0.93}, {}, "review", "explicit-abuse"),  # band: 0.93 ~ 0.9
    ("web", "t'es nul", {"toxicity": 0.97, "confidence": 0.3}, {}, "review", "explicit-abuse"),
    (
        "web",
        "and you are wrong, again",
        {"toxicity": 0.45},
        {"parent_action": "remove"},
        "review",
        "pile-on",
    ),
    (
        "web",
        "encore toi, t'es lourd",
        {"toxicity": 0.45},
        {"author_prior_removals": 4},
        "review",
        "repeat-offender",
    ),
    (
        "web",
        "great deals at https://spam.example",
        CALM,
        {"author_account_age_days": 0},
        "review",
        "fresh-account-link",
    ),
    (
        "web",
        "great deals at https://shop.example",
        CALM,
        {"author_account_age_days": 400},
        "approve",
        None,
    ),
    ("web", "Tu racontes n'importe quoi, abruti", {"toxicity": 0.2}, {}, "review", "insult-missed"),
    ("web", "He called me an idiot in front of everyone", {"toxicity": 0.2}, {}, "approve", None),
    (
        "web",
        "Il m'a traité de connard devant tout le monde",
        {"toxicity": 0.2},
        {},
        "approve",
        None,
    ),
    # x.yaml: banter tolerated, new accounts replying with insults reviewed first
    ("x", "fuck yeah what a game", SWEARY, {}, "approve", None),
    ("x", "putain le match de fou", SWEARY, {}, "approve", None),
    ("x", "you absolute idiot", INSULTING, {}, "review", "moderate-toxicity"),
    (
        "x",
        "t'es vraiment con",
        SWEARY,
        {"reply_depth": 1, "author_account_age_days": 2},
        "review",
        "fresh-account-harassment",
    ),
    (
        "x",
        "oh sure, best airline ever, bunch of clowns",
        {"toxicity": 0.96, "irony": 0.5},
        {},
        "review",
        "explicit-abuse",
    ),
    # tiktok.yaml: banter tolerated, minors protected
    ("tiktok", "ptdr t'es con", SWEARY, {}, "approve", None),
    ("tiktok", "how old are you? add me on snap", CALM, {}, "review", "contact-minor"),
    ("tiktok", "T'as quel âge ? Envoie des photos", CALM, {}, "review", "contact-minor"),
    ("tiktok", "follow back pls", CALM, {}, "remove", "follow-spam"),
    # instagram.yaml: appearance insults reviewed first, promo spam removed
    ("instagram", "you're ugly lol", INSULTING, {}, "review", "appearance-insult"),
    ("instagram", "t'es moche", INSULTING, {}, "review", "appearance-insult"),
    (
        "instagram",
        "honestly not ugly at all, you're so ugly... said no one",
        CALM,
        {},
        "approve",
        None,
    ),
    ("instagram", "Link in my bio 🔥", CALM, {}, "remove", "promo-spam"),
    ("instagram", "Lien dans ma bio !", CALM, {}, "remove", "promo-spam"),
    # facebook.yaml: heated threads tagged, hostile deep replies reviewed
    (
        "facebook",
        "Vous êtes ridicules",
        {"toxicity": 0.42, "negative": 0.7},
        {"reply_depth": 3},
        "review",
        "deep-hostile-reply",
    ),
    (
        "facebook",
        "This is ridiculous",
        {"toxicity": 0.42, "negative": 0.7},
        {"reply_depth": 0},
        "approve",
        None,
    ),
    # youtube.yaml: wider band, self-promotion removed, reviews at low priority
    ("youtube", "sub4sub anyone?", CALM, {}, "remove", "self-promotion"),
    ("youtube", "Abonnez-vous à ma chaîne !", CALM, {}, "remove", "self-promotion"),
    ("youtube", "what a moron", {"toxicity": 0.96}, {}, "review", "explicit-abuse"),  # 0.08 band
    # linkedin.yaml: lower review threshold, income spam removed
    ("linkedin", "This is bullshit", {"toxicity": 0.4}, {}, "review", "moderate-toxicity"),
    ("linkedin", "C'est des conneries", {"toxicity": 0.4}, {}, "review", "moderate-toxicity"),
    ("linkedin", "Earn per day from home, passive income!", CALM, {}, "remove", "income-spam"),
    ("linkedin", "Revenu passif garanti, travail à domicile", CALM, {}, "remove", "income-spam"),
]


@pytest.mark.parametrize(("platform", "text", "score", "extra", "action", "rule"), EXAMPLES)
def test_it_behaves_as_the_shipped_comments_say(
    platform: str,
    text: str,
    score: dict[str, Any],
    extra: dict[str, Any],
    action: str,
    rule: str | None,
) -> None:
    """Each example gets the action, and the deciding rule, the files document."""
    language = "fr" if any(c in text for c in "éèàçù") else "en"
    verdict = evaluate(
        SHIPPED, facts(text, platform=platform, language=language, **extra), scores(**score)
    )
    assert (verdict.action, verdict.decided_by) == (action, rule), verdict.reasons


def test_it_tags_heated_facebook_threads_without_deciding() -> None:
    """heated-thread only tags: the comment stays up unless another rule acts."""
    verdict = evaluate(
        SHIPPED,
        facts("N'importe quoi ce gouvernement", platform="facebook", reply_depth=4),
        scores(negative=0.7, positive=0.1),
    )
    assert verdict.action == "approve"
    assert "heated-thread" in verdict.tags


def test_it_reviews_youtube_comments_at_low_priority() -> None:
    """YouTube's moderate-toxicity rule queues reviews at low priority (quota)."""
    verdict = evaluate(SHIPPED, facts("t'es lourd", platform="youtube"), scores(toxicity=0.6))
    assert (verdict.action, verdict.priority) == ("review", "low")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_it_keeps_the_irony_gate_on_every_platform(platform: str) -> None:
    """No platform auto-removes a sarcastic, merely moderately toxic comment."""
    ironic = scores(toxicity=0.92, irony=0.85, negative=0.6)
    verdict = evaluate(
        SHIPPED, facts("oh great, thanks a lot, geniuses", platform=platform), ironic
    )
    assert verdict.action == "review"
    assert "irony gate" in verdict.reasons[-1]
