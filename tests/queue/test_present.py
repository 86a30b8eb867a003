"""What the moderator reads: scores in words, why an item is uncertain, highlighted words."""

from __future__ import annotations

from moderation.review.present import highlight, level, score_lines, uncertainty


def test_it_puts_scores_in_words_and_numbers() -> None:
    """Each score gets a phrase and a rounded number."""
    lines = score_lines({"toxicity": 0.553, "irony": 0.9, "confidence": 0.1})
    assert lines == [
        {"name": "toxicity", "value": 0.55, "words": "moderately toxic"},
        {"name": "irony", "value": 0.9, "words": "very ironic"},
        {"name": "confidence", "value": 0.1, "words": "not sure"},
    ]
    assert [level(v) for v in (0.9, 0.7, 0.5, 0.3, 0.1)] == [
        "very",
        "likely",
        "moderately",
        "slightly",
        "not",
    ]


def test_it_explains_why_the_machine_hesitated() -> None:
    """Irony plus moderate toxicity with low confidence reads as such."""
    text = uncertainty({"irony": 0.8, "toxicity": 0.45, "confidence": 0.35})
    assert text == "ironic + moderately toxic, low confidence (0.35)"
    assert uncertainty({"toxicity": 0.05, "confidence": 0.9}) == "no strong signal"


def test_it_marks_the_phrases_a_scorer_reported() -> None:
    """Reported phrases are marked case-insensitively; the rest of the text is kept."""
    parts = highlight("Bravo, encore une PANNE, merci", ["bravo", "panne"])
    assert parts == [
        ("Bravo", True),
        (", encore une ", False),
        ("PANNE", True),
        (", merci", False),
    ]
    assert highlight("nothing reported", None) == [("nothing reported", False)]
