from moderation.scores import Scores, Span


def test_it_round_trips_hate_and_spans_through_dicts() -> None:
    """to_dict/from_dict keep the added hate score and explanation spans."""
    scores = Scores(
        0.8, 0.1, 0.7, 0.1, "fr", 0.9, "v", hate=0.2, spans=(Span("toxicity", 0, 3, "con", 0.4),)
    )
    assert Scores.from_dict(scores.to_dict()) == scores


def test_it_reads_dicts_stored_before_hate_and_spans_existed() -> None:
    """An old decision's scores load with no hate score and no spans."""
    old = {"toxicity": 0.1, "irony": 0.0, "negative": 0.2, "positive": 0.3, "language": "en",
           "confidence": 0.8, "model_version": "lexicon-1"}  # fmt: skip
    scores = Scores.from_dict(old)
    assert (scores.hate, scores.spans) == (None, ())
