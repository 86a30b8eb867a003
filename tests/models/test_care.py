"""Customer-care cues (`moderation/scorers/care.py`) and how the default stack uses them."""

import pytest

from moderation.scorers import care
from moderation.scorers.default import DefaultScorer


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The package arrived a week late.", "en"),
        ("Charged twice for the same order.", "en"),
        ("Still waiting for my parcel.", "en"),
        ("Third time my order has been cancelled.", "en"),
        ("The repair was supposed to take a week, it's been two months.", "en"),
        ("Nobody can give me an answer.", "en"),
        ("Your helpline hangs up on me.", "en"),
        ("The app keeps crashing.", "en"),
        ("Ça fait dix jours que j'attends.", "fr"),
        ("Facturée deux fois pour la même commande.", "fr"),
        ("Toujours pas reçu mon colis", "fr"),
        ("Il manque la moitié des pièces.", "fr"),
        ("Aucune réponse du service client.", "fr"),
        ("L’appli ne marche plus depuis hier.", "fr"),
    ],
)
def test_a_service_failure_is_a_complaint(text: str, language: str) -> None:
    assert care.complaint_cue(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Refund came through in two days, very impressed.", "en"),
        ("No one will recognise me in this costume!", "en"),
        ("Is there a sugar-free version?", "en"),
        ("Client depuis dix ans, toujours ravi.", "fr"),
        ("Commande reçue en deux jours, bravo.", "fr"),
        ("Quel est le délai de livraison pour la Corse ?", "fr"),
    ],
)
def test_ordinary_comments_are_not_complaints(text: str, language: str) -> None:
    assert not care.complaint_cue(text, language)


def test_cues_are_read_in_english_and_french_only() -> None:
    assert not care.complaint_cue("The package arrived a week late.", "de")
    assert not care.plain_question("What time do you open?", "es")
    assert care.reworded("never disappointed", "it") is None


@pytest.mark.parametrize(
    ("text", "language", "plain"),
    [
        ("What time does the Leeds shop open?", "en", True),
        ("Hi do you deliver to Ireland", "en", False),  # no question mark: not sure enough
        ("Bonjour, quels sont vos horaires ?", "fr", True),
        ("Vous livrez en Belgique ? 🙂", "fr", True),
        ("Why is my order late?", "en", False),
        ("Pourquoi ma commande est bloquée ?", "fr", False),
        ("Is it normal that it's been three weeks?", "en", False),  # a complaint cue
        ("Merci beaucoup.", "fr", False),
    ],
)
def test_plain_questions(text: str, language: str, plain: bool) -> None:
    assert care.plain_question(text, language) is plain


def test_litotes_are_reworded_in_place_keeping_the_rest_of_the_text() -> None:
    assert care.reworded("Customer for ten years and never disappointed.", "en") == (
        "Customer for ten years and always satisfied."
    )
    assert care.reworded("Application simple et efficace, rien à redire.", "fr") == (
        "Application simple et efficace, parfait."
    )
    assert care.reworded("Élégant, JAMAIS DÉÇUE !", "fr") == "Élégant, toujours satisfait !"
    assert care.reworded("Really disappointed this time.", "en") is None


def test_the_shifts_keep_a_distribution() -> None:
    neg, neu, pos = care.shift_to_negative([0.1, 0.6, 0.3], 0.5)
    assert (neg, neu, pos) == pytest.approx((0.55, 0.3, 0.15))
    neg, neu, pos = care.shift_to_neutral([0.6, 0.3, 0.1], 0.5)
    assert (neg, neu, pos) == pytest.approx((0.3, 0.6, 0.1))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Charged twice for the same order, I want my money back.", "en"),
        ("The repair was supposed to take a week, it's been two months.", "en"),
        ("Facturée deux fois pour la même commande, je veux un remboursement.", "fr"),
    ],
)
def test_complaints_with_no_sentiment_word_read_negative(
    scorer: DefaultScorer, text: str, language: str
) -> None:
    score = scorer.score_batch([text], [language])[0]
    assert score.sentiment == "negative", score


@pytest.mark.parametrize(
    "text",
    [
        "Quel est le délai de livraison pour la Corse ?",
        "Y a-t-il une version sans sucre ?",
        "Comment activer la garantie étendue ?",
    ],
)
def test_plain_french_questions_are_not_negative(scorer: DefaultScorer, text: str) -> None:
    score = scorer.score_batch([text], ["fr"])[0]
    assert score.sentiment != "negative", score


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Customer for ten years and never disappointed.", "en"),
        ("Ça fait dix ans que je suis cliente et jamais déçue.", "fr"),
    ],
)
def test_praise_by_litotes_is_not_read_negative(
    scorer: DefaultScorer, text: str, language: str
) -> None:
    score = scorer.score_batch([text], [language])[0]
    assert score.sentiment != "negative" and score.positive > 2 * score.negative, score


def test_a_hostile_question_stays_negative(scorer: DefaultScorer) -> None:
    text = "Why do you keep lying to your customers, you clowns?"
    assert scorer.score_batch([text], ["en"])[0].sentiment == "negative"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Arrived well packed, nothing was broken.", "en"),
        ("Everything there, no parts missing, easy to assemble.", "en"),
        ("No hidden fees, exactly the price shown. Love it.", "en"),
        ("Five years with this provider and never had an outage.", "en"),
        ("Not a rip-off like the others, fair prices.", "en"),
        ("Jamais en retard, livreurs adorables.", "fr"),
        ("Livraison à l'heure, pas une minute de retard.", "fr"),
        ("Colis reçu intact, rien d'abîmé.", "fr"),
        ("Aucune pièce manquante, montage facile.", "fr"),
        ("Jamais en panne depuis que je l'ai.", "fr"),
        ("Aucune coupure depuis l'installation de la fibre.", "fr"),
        ("Pas une arnaque du tout, prix honnêtes.", "fr"),
        ("Rien d'endommagé, emballage soigné.", "fr"),
    ],
)
def test_a_negated_failure_is_not_a_complaint(text: str, language: str) -> None:
    """A failure word under a negation ("nothing was broken", "jamais en retard") is praise."""
    assert not care.complaint_cue(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("No apology, and the parcel was damaged.", "en"),
        ("Nothing works: the app keeps crashing.", "en"),
        ("Never again, the order arrived broken.", "en"),
        ("No outage for years, but this week an outage every day.", "en"),
        ("Je n'ai jamais reçu ma commande.", "fr"),
        ("Pas de chance, colis arrivé cassé.", "fr"),
        ("Aucun souci avant, mais là trois jours de retard.", "fr"),
    ],
)
def test_a_negation_elsewhere_keeps_the_complaint(text: str, language: str) -> None:
    assert care.complaint_cue(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I was wrong about this brand, it's brilliant.", "en"),
        ("The beer was ice cold and the staff lovely.", "en"),
        ("Love the money back guarantee, bought with confidence.", "en"),
        ("No one can beat these prices!", "en"),
        ("They replaced it without asking any questions. Top service.", "en"),
        ("I still can't believe how good this coffee is.", "en"),
        ("Toujours sans souci avec vous, merci.", "fr"),
        ("Toujours aucun problème après deux ans.", "fr"),
        ("Personne ne peut battre ces prix !", "fr"),
        ("Impossible d'avoir mieux pour ce prix.", "fr"),
    ],
)
def test_praise_idioms_are_not_complaints(text: str, language: str) -> None:
    assert not care.complaint_cue(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The order was wrong and the fries were cold.", "en"),
        ("I want my money back.", "en"),
        ("No one can tell me where my parcel is.", "en"),
        ("They closed my account without asking.", "en"),
        ("Still can't log in.", "en"),
        ("Toujours sans nouvelles de ma commande.", "fr"),
        ("Toujours aucune réponse.", "fr"),
        ("Personne ne peut me dire où est mon colis.", "fr"),
        ("Impossible d'avoir quelqu'un au téléphone.", "fr"),
    ],
)
def test_the_idioms_exceptions_keep_the_complaints(text: str, language: str) -> None:
    assert care.complaint_cue(text, language)
