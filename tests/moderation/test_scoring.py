"""The lexical scorer: real signals for EN and FR, defined results for odd input."""

import subprocess
import sys

import pytest

from moderation.scoring import LexiconScorer, praise_and_complaint

scorer = LexiconScorer()


@pytest.mark.parametrize(
    "text", ["You are an idiot.", "Espèce de connard.", "Va te faire foutre", "sale pute"]
)
def test_it_scores_explicit_abuse_as_toxic(text: str) -> None:
    """Insults in English and French score above 0.8 toxicity and read as negative."""
    scores = scorer.score(text)
    assert scores.toxicity > 0.8
    assert scores.sentiment == "negative"


@pytest.mark.parametrize(
    ("text", "language"),
    [("Love the new collection, gorgeous colours!", "en"), ("J'adore, superbe travail !", "fr")],
)
def test_it_scores_praise_as_positive_and_benign(text: str, language: str) -> None:
    """Plain praise is positive, non-toxic, in the right language."""
    scores = scorer.score(text)
    assert (scores.sentiment, scores.language) == ("positive", language)
    assert scores.toxicity < 0.1


def test_it_reads_ironic_praise_as_negative() -> None:
    """'Bravo, encore une panne' is ironic, and irony flips the praise to a complaint."""
    scores = scorer.score("Bravo, encore une panne, merci pour rien 👏")
    assert scores.irony > 0.5
    assert scores.sentiment == "negative"


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("The birthday cake was delicious, thanks again!", False),
        ("Merci encore pour l'accueil, on reviendra !", False),
        ("Encore merci à toute l'équipe", False),
        ("Thanks again, the app crashed again.", True),  # a real "again" is still a complaint
        ("Merci encore, encore une panne ce matin.", True),
        ("Bravo, encore une panne", True),
        ("Great, it's down", True),
    ],
)
def test_thanks_again_is_not_praise_next_to_a_complaint(text: str, cue: bool) -> None:
    """ "Thanks again" is a formula: it once made sincere thanks ironic, so negative."""
    assert praise_and_complaint(text) is cue


@pytest.mark.parametrize(
    "text", ["", "   ", "👏👏👏", "x" * 10_000, "\ud800 broken", "\x00\x01", "Привет мир"]
)
def test_it_never_raises_on_odd_input(text: str) -> None:
    """Empty, emoji-only, very long, surrogate, control and other-script text all get scores."""
    scores = scorer.score(text)
    assert 0.0 <= scores.toxicity <= 1.0
    assert 0.0 <= scores.confidence <= 1.0


def test_it_marks_unidentified_languages() -> None:
    """Text with no letters, or in a language it does not know, is not scored as English."""
    assert scorer.score("👏👏👏").language == "und"
    assert scorer.score("Привет, как дела у тебя сегодня?").language != "en"


def test_it_favours_english_and_french_for_short_comments() -> None:
    """A short French insult is French, not Italian; other languages stay themselves."""
    assert scorer.language("quel abruti ce mec")[0] == "fr"
    assert LexiconScorer({}).language("quel abruti ce mec")[0] == "it"  # no prior
    assert scorer.language("grazie mille amico")[0] == "it"
    assert scorer.language("danke schön")[0] == "de"
    spanish = LexiconScorer({"es": 3.0})
    assert spanish.language("hola amigo como estas")[0] == "es"
    with pytest.raises(ValueError, match="language weights"):
        LexiconScorer({"xx": 2.0})


def test_it_trusts_a_language_given_with_the_comment() -> None:
    """A language sent by the platform is used as is."""
    assert scorer.score_batch(["ok"], ["fr-CA"])[0].language == "fr"


FRENCH = (
    "Ce film est vraiment très bon !",
    "c'est nul, je suis déçu",
    "Service client pas terrible du tout.",
    "Merci pour votre réponse rapide",
    "",
)


def test_french_polarity_is_textblob_frs_own() -> None:
    """The lexicon loaded without textblob's __init__ reads as its PatternAnalyzer does."""
    lexicon = LexiconScorer()
    ours = [lexicon.polarity(t, "fr") for t in FRENCH]
    from textblob_fr import PatternAnalyzer  # the real package still imports afterwards

    analyzer = PatternAnalyzer()
    assert ours == [float(analyzer.analyze(t)[0]) for t in FRENCH]
    assert ours[0] > 0 > ours[1]


def test_french_polarity_does_not_import_nltk() -> None:
    """NLTK (27 MB per worker, 117 MB with scikit-learn installed) is not needed for French."""
    code = (
        "import sys\n"
        "from moderation.scoring import LexiconScorer\n"
        "assert LexiconScorer().polarity('très bon', 'fr') > 0\n"
        "print(sorted(m for m in ('nltk', 'textblob') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stderr
