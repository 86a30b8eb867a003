"""HateCheck-style functional checks in English and French, written for Vigie.

Each case states what a moderator expects of one comment. `run_checks` scores them all and
says which pass; `bench/functional.py` prints the table in docs/MODELS.md and the tests assert
the ones the default stack gets right, so a regression shows up.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.scores import Scores
from moderation.scoring import Scorer

THRESHOLD = 0.5


@dataclass(frozen=True)
class Case:
    """One comment and what should be true of its scores."""

    functionality: str
    language: str
    text: str
    expect: str  # "not_toxic", "toxic", "not_positive", "ironic", "negative"


CASES = (
    # Identity terms in neutral sentences must not score toxic.
    Case("identity, neutral", "fr", "Je suis musulmane et fière de mon quartier.", "not_toxic"),
    Case("identity, neutral", "fr", "Mon frère est gay et il se marie en juin.", "not_toxic"),
    Case("identity, neutral", "fr", "Les immigrés ont reconstruit cette ville.", "not_toxic"),
    Case("identity, neutral", "en", "As a gay man I loved this episode.", "not_toxic"),
    Case("identity, neutral", "en", "I'm a black woman and a software engineer.", "not_toxic"),
    Case("identity, neutral", "en", "My neighbours are Muslim and they are lovely.", "not_toxic"),
    # Names alone must not score toxic.
    Case("names alone", "en", "Mohammed", "not_toxic"),
    Case("names alone", "fr", "Jean-Baptiste Dupont", "not_toxic"),
    Case("names alone", "en", "@Aisha_K", "not_toxic"),
    # Direct insults must score toxic (the positive control).
    Case("direct insult", "en", "You are a disgusting idiot.", "toxic"),
    Case("direct insult", "fr", "T'es vraiment qu'un connard.", "toxic"),
    Case("direct insult", "fr", "Ferme ta gueule, sale con.", "toxic"),
    Case("identity attack", "en", "Muslims are vermin and should be thrown out.", "toxic"),
    Case("identity attack", "fr", "Les musulmans sont des rats, dehors.", "toxic"),
    # Quoted or reported insults (counter-speech) should not.
    Case("quoted insult", "en", 'He called me an "idiot" and I reported him.', "not_toxic"),
    Case(
        "quoted insult",
        "fr",
        "Il m'a traité de « connard » devant tout le monde, c'est inacceptable.",
        "not_toxic",
    ),
    # Negation.
    Case("negation", "en", "You're not an idiot, you just made a mistake.", "not_toxic"),
    Case("negation", "fr", "Tu n'es pas nul, tu as juste besoin d'aide.", "not_toxic"),
    # Obfuscation: leetspeak and elongation still toxic.
    Case("leetspeak", "en", "you are an 1d10t", "toxic"),
    Case("leetspeak", "fr", "espèce de c0nn4rd", "toxic"),
    Case("elongation", "fr", "connnnnard", "toxic"),
    Case("elongation", "en", "you stuuuupid idiooot", "toxic"),
    # Emoji-only abuse.
    Case("emoji abuse", "en", "🖕🖕🖕", "toxic"),
    Case("emoji, friendly", "en", "❤️❤️😍", "not_toxic"),
    # Ironic praise is not positive.
    Case("ironic praise", "fr", "bravo, encore une panne, merci pour rien 👏", "not_positive"),
    Case("ironic praise", "en", "Great, the app crashed again. Thanks a lot 👏", "not_positive"),
    Case("ironic praise", "en", "Oh wonderful, another two-hour delay. Love it.", "not_positive"),
    Case(
        "ironic praise",
        "fr",
        "Génial, trois heures de retard, vraiment top la SNCF 🙄",
        "not_positive",
    ),
    # Sincere praise stays positive (control for the irony checks).
    Case("sincere praise", "en", "Thank you, the support team fixed it in minutes!", "positive"),
    Case("sincere praise", "fr", "Merci beaucoup, service rapide et très sympa !", "positive"),
    # Written after the fixes for cases 0-29, and not tuned on (a check of how they generalise).
    Case("identity, neutral", "fr", "Je suis une femme noire et ingénieure.", "not_toxic"),
    Case("identity, neutral", "en", "Jewish families celebrated Hanukkah downtown.", "not_toxic"),
    Case("negation", "en", "I never said you were stupid.", "not_toxic"),
    Case("negation", "fr", "Vous n'êtes pas des incapables, c'est le logiciel.", "not_toxic"),
    Case("quoted insult", "fr", "Elle m'a traitée d'idiote, j'ai signalé le message.", "not_toxic"),
    Case("direct insult", "fr", "Bande d'abrutis, vous êtes des incapables.", "toxic"),
    Case("direct insult", "en", "Shut up, you pathetic loser.", "toxic"),
    Case("emoji abuse", "en", "🖕 @support", "toxic"),
    Case("ironic praise", "fr", "Super, encore un bug. Merci beaucoup 👏", "not_positive"),
    Case("sincere praise", "en", "Thanks, the issue was fixed quickly 🙏", "positive"),
    Case("sincere praise", "fr", "Problème résolu en dix minutes, merci à l'équipe !", "positive"),
    # Written on 2026-11-24 (afternoon) when plain English praise was found read as ironic; the
    # incongruity condition of the ironic reading was chosen with them in view (not held out).
    Case("sincere praise", "en", "I love this product", "positive"),
    Case("sincere praise", "en", "Great job team, thanks!", "positive"),
    Case("sincere praise", "en", "Great news, congrats to the whole team", "positive"),
    Case("sincere praise", "en", "So happy with my order, arrived early", "positive"),
    Case("sincere praise", "fr", "Super boulot l'équipe !", "positive"),
    Case("sincere praise", "fr", "Merci pour tout, vous êtes top", "positive"),
    Case("ironic praise", "en", "Wow, great customer service, nobody answers", "not_positive"),
    Case("ironic praise", "en", "Wonderful, the refund takes 90 days", "not_positive"),
    Case("ironic praise", "en", "I just love waiting on hold for an hour", "not_positive"),
    Case("ironic praise", "fr", "Merci de m'avoir facturé deux fois, vraiment top", "not_positive"),
    Case("ironic praise", "fr", "Génial, trois heures d'attente au téléphone", "not_positive"),
    Case("emoji abuse", "en", "🖕🖕🖕", "not_positive"),
    # "Thanks again" is a formula, not praise next to a complaint word (both read negative
    # until 2026-11-24 night); with a real complaint it stays ironic.
    Case(
        "sincere praise", "en", "Thanks again for the quick refund, really appreciated!", "positive"
    ),
    Case("sincere praise", "fr", "Merci encore pour l'accueil, on reviendra !", "positive"),
    Case("ironic praise", "en", "Thanks again, the app crashed again.", "not_positive"),
    Case("ironic praise", "fr", "Merci encore, encore une panne ce matin.", "not_positive"),
)
# Cases from this index on were written after the scorer was changed to pass the others.
HELD_OUT_FROM = 30
# ...and up to this one; the cases after it were in view when the ironic reading was changed.
HELD_OUT_TO = 41


def passes(case: Case, score: Scores) -> bool:
    """Whether `score` meets the case's expectation."""
    if case.expect == "toxic":
        return score.toxicity >= THRESHOLD
    if case.expect == "not_toxic":
        return score.toxicity < THRESHOLD
    if case.expect == "not_positive":
        return score.sentiment != "positive"
    if case.expect == "positive":
        return score.sentiment == "positive"
    raise ValueError(f"unknown expectation {case.expect!r}")


def run_checks(scorer: Scorer) -> list[tuple[Case, Scores, bool]]:
    """Score every case; (case, scores, passed) in CASES order."""
    scores = scorer.score_batch([c.text for c in CASES])
    return [(case, score, passes(case, score)) for case, score in zip(CASES, scores, strict=True)]
