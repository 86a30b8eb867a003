"""Word-list evidence: defused insults, explicit abuse, identity readings, solved complaints."""

from __future__ import annotations

import numpy as np

from moderation.scorers import evidence
from moderation.scorers.default import DefaultScorer


def test_negated_reported_and_quoted_insults_are_defused() -> None:
    for text in (
        "You're not an idiot, you just made a mistake.",
        "Tu n'es pas nul, tu as juste besoin d'aide.",
        'He called me an "idiot" and I reported him.',
        "Il m'a traité de « connard » devant tout le monde.",
        "Elle m'a traitée d'idiote, j'ai signalé le message.",  # "de" elided into the insult
    ):
        defused, direct = evidence.insults(text)
        assert defused and not direct, text


def test_plain_insults_are_direct_and_folded() -> None:
    for text in (
        "you idiot",
        "espèce de c0nnnnard",
        "T'es vraiment qu'un connard.",
        "Quelle bande d'idiots",  # an elided "de" with no reporting verb stays direct
    ):
        defused, direct = evidence.insults(text)
        assert direct and not defused, text
    assert evidence.fold("Connnnnard") == evidence.fold("c0nard") == "conard"


def test_masking_leaves_the_defused_words_out() -> None:
    text = "You're not an idiot, you just made a mistake."
    defused, _ = evidence.insults(text)
    assert "idiot" not in evidence.masked(text, defused)
    assert "not" not in evidence.masked(text, defused)


def test_explicit_evidence(scorer: DefaultScorer) -> None:
    def find(text: str) -> evidence.Evidence:
        return evidence.find(text, scorer.lexicon._abuse.moderate(text).matches)

    assert find("Espèce de connard").targeted
    assert find("🖕🖕").emoji and not find("❤️").emoji
    assert find("Les musulmans sont des rats").dehumanising
    quoted = find("Il m'a traité de « connard »")
    assert not quoted.swear and not quoted.targeted


def test_noisy_or_and_its_fit() -> None:
    p = np.array([0.2, 0.2, 0.2], dtype=np.float32)
    out = evidence.combine(p, np.array([0, 1, 0]), np.array([0, 0, 1]), (0.5, 0.25))
    np.testing.assert_allclose(out, [0.2, 0.6, 0.4], atol=1e-6)
    # evidence that always means toxic gets a large weight; evidence that means nothing, none
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    t = (y == 1) & (rng.random(400) < 0.3)
    s = rng.random(400) < 0.3
    base = np.full(400, y[~t].mean())  # a head calibrated on the comments without evidence
    wt, ws = evidence.fit_weights(base, t.astype(float), s.astype(float), y)
    assert wt >= 0.8 and ws <= 0.1


def test_identity_variants_name_no_group() -> None:
    variants = evidence.identity_variants("I'm a black woman and a software engineer.")
    assert len(variants) == 3 and all("black" not in v for v in variants)
    assert evidence.identity_variants("Je suis musulmane.")[0] == "Je suis sportive."
    assert evidence.identity_variants("the weather is nice") == []


def test_solved_complaints_are_found() -> None:
    assert evidence.resolved_spans("Merci, problème réglé 🙏")
    assert evidence.resolved_spans("they fixed my problem, thanks")
    assert not evidence.resolved_spans("encore un problème, rien ne marche")
