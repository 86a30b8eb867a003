import pytest

from moderation.scorers import evidence
from moderation.scorers.default import DefaultScorer, abusive_reading, ironic_reading
from moderation.scoring import UNDETERMINED

BAD_INPUTS = {
    "empty": "",
    "blank": "   \n\t ",
    "emoji only": "😡😡😡",
    "10,000 characters": "tu es nul " * 1_000,
    "mixed scripts": "Привет you 你好 salut مرحبا",
    "invalid surrogates": "bad \ud800 surrogate \udfff",
    "control characters": "a\x00b\x1bc",
    "unsupported language": "Dit is een zin in het Nederlands over de trein.",
}


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_it_scores_odd_input_without_raising(scorer: DefaultScorer, text: str) -> None:
    """Odd input gets probabilities in [0, 1] and a language, never an exception."""
    [scores] = scorer.score_batch([text])
    values = (scores.toxicity, scores.irony, scores.negative, scores.positive, scores.confidence)
    assert all(0.0 <= v <= 1.0 for v in values)
    assert scores.language


def test_it_gives_empty_text_a_defined_empty_result(scorer: DefaultScorer) -> None:
    """Empty text scores zero everywhere, language 'und', confidence 0."""
    [scores] = scorer.score_batch([" "])
    assert (scores.toxicity, scores.language, scores.confidence) == (0.0, UNDETERMINED, 0.0)


def test_it_marks_unsupported_languages_and_lowers_confidence(scorer: DefaultScorer) -> None:
    """A Dutch comment is marked 'nl', not scored as English, and is less confident."""
    dutch, english = scorer.score_batch(
        [BAD_INPUTS["unsupported language"], "This is a sentence in English about the train."]
    )
    assert dutch.language == "nl" and english.language == "en"
    assert dutch.confidence < english.confidence


def test_it_uses_the_language_hint_when_given(scorer: DefaultScorer) -> None:
    """A platform-provided language wins over identification."""
    [scores] = scorer.score_batch(["ok"], ["fr-FR"])
    assert scores.language == "fr"


def test_it_returns_one_result_per_text_in_order(scorer: DefaultScorer) -> None:
    """Batches keep order and length; an empty batch gives an empty list."""
    texts = ["You are a disgusting idiot.", "", "Merci beaucoup, très sympa !"]
    scores = scorer.score_batch(texts)
    assert len(scores) == 3 and scores[1].language == UNDETERMINED
    assert scores[0].toxicity > scores[2].toxicity
    assert scorer.score_batch([]) == []


def test_it_stamps_the_heads_version(scorer: DefaultScorer) -> None:
    """Every result carries the version of the heads that produced it."""
    [scores] = scorer.score_batch(["hello"])
    assert scores.model_version == scorer.version and scorer.version.startswith("default-")


def test_it_reads_ironic_praise_as_negative() -> None:
    """At full irony, positive sentiment is moved to negative."""
    _, negative, positive = ironic_reading(0.1, 0.1, 0.8, irony=1.0, targeted=False)
    assert (round(negative, 6), positive) == (0.9, 0.0)


def test_ironic_praise_needs_something_to_be_ironic_about() -> None:
    """Without a marker, a complaint word or some negativity, irony does not flip praise."""
    _, negative, positive = ironic_reading(0.0, 0.0, 0.95, irony=0.75, targeted=False, cue=False)
    assert (negative, positive) == (0.0, 0.95)
    _, negative, positive = ironic_reading(0.0, 0.05, 0.9, irony=0.8, targeted=False, cue=False)
    assert round(negative, 6) == round(0.05 + 0.9 * 0.8 * 0.5, 6), "half the flip at half the cue"
    _, negative, positive = ironic_reading(0.0, 0.0, 0.9, irony=0.8, targeted=False, cue=True)
    assert round(positive, 6) == round(0.9 * 0.2, 6)


@pytest.mark.parametrize(
    "text",
    ["I love this product", "Great job team, thanks!", "Great news, congrats to the whole team"],
)
def test_it_reads_plain_praise_as_positive(scorer: DefaultScorer, text: str) -> None:
    """Plain praise stays positive though the irony head finds it ironic-sounding (0.6-0.75)."""
    [scores] = scorer.score_batch([text])
    assert scores.sentiment == "positive", scores


# Written after the incongruity condition was chosen, and passed at the first run (held out).
VIRAL_PRAISE = [
    "Congrats on the launch, it looks fantastic!",
    "Amazing work everyone, so proud of this brand",
    "This is the best update you've shipped all year",
    "Wow, the new feature is exactly what I wanted",
    "Thank you for the quick delivery, love it",
    "Brilliant idea, keep it up!",
    "Your team is awesome, thanks for the help yesterday",
    "Absolutely love the new packaging",
    "Well done, the app is so much faster now",
    "Can't wait to try the new flavour, looks delicious",
    "Great customer support, problem solved in five minutes",
    "Beautiful photos, this place looks magical",
    "Bravo pour ce lancement, c'est magnifique !",
    "Super nouvelle, félicitations à toute l'équipe",
    "Merci beaucoup pour votre aide, très efficace",
    "J'adore vos produits, toujours au top",
    "Quelle belle initiative, bravo !",
    "Livraison rapide et produit parfait, merci",
    "Excellent travail, l'appli est beaucoup plus fluide",
    "Vraiment contente de mon achat, je recommande",
]


def test_a_wave_of_praise_is_not_counted_as_negative(scorer: DefaultScorer) -> None:
    """Alerts count comments whose sentiment is negative: a viral wave of praise must add none
    (the irony head alone used to flip some plain praise to negative)."""
    scores = scorer.score_batch(VIRAL_PRAISE)
    assert [t for t, s in zip(VIRAL_PRAISE, scores, strict=True) if s.sentiment == "negative"] == []


def test_abuse_is_not_positive(scorer: DefaultScorer) -> None:
    """🖕 and targeted insults move positive mass to negative, a swear word alone does not."""
    middle, insult = scorer.score_batch(["🖕🖕🖕", "You are a disgusting idiot, love it"])
    assert middle.sentiment == "negative" and insult.positive < 0.2
    _, positive = abusive_reading(0.9, 0.1, 0.8, evidence.Evidence(False, True, (), False))
    assert positive == 0.8


def test_it_leaves_scores_alone_below_the_irony_floor() -> None:
    """Irony at or under 0.5 changes nothing."""
    assert ironic_reading(0.6, 0.1, 0.8, irony=0.5, targeted=False) == (0.6, 0.1, 0.8)


def test_it_softens_untargeted_ironic_toxicity_but_not_a_targeted_insult() -> None:
    """Irony discounts toxicity only when no targeted abuse was found."""
    softened, _, _ = ironic_reading(0.8, 0.1, 0.1, irony=1.0, targeted=False)
    kept, _, _ = ironic_reading(0.8, 0.1, 0.1, irony=1.0, targeted=True)
    assert softened < 0.8 and kept == 0.8


def test_it_explains_a_toxic_comment_with_its_insult(scorer: DefaultScorer) -> None:
    """The word that made a comment toxic is the strongest toxicity span."""
    [scores] = scorer.score_batch(["Thanks for the update, you absolute idiot."])
    toxicity_spans = [s for s in scores.spans if s.score == "toxicity"]
    assert scores.toxicity >= 0.5
    assert toxicity_spans and "idiot" in toxicity_spans[0].text


def test_it_does_not_explain_comments_no_rule_would_review(scorer: DefaultScorer) -> None:
    """Benign comments carry no spans (explanations cost a batch each)."""
    [scores] = scorer.score_batch(["Merci pour la livraison rapide, tout est parfait."])
    assert scores.toxicity < 0.5 and scores.spans == ()
