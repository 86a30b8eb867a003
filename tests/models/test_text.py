from moderation.scorers.text import MAX_MODEL_CHARS, model_text


def test_it_folds_elongated_words() -> None:
    """Letters repeated three times or more are cut to two, as in 'connnnard'."""
    assert model_text("connnnnard") == "connard"


def test_it_reads_leetspeak_words() -> None:
    """Digits used as letters inside a word are read as letters."""
    assert model_text("you are an 1d10t") == "you are an idiot"


def test_it_keeps_plain_numbers_and_trailing_digits() -> None:
    """Phone numbers and words like covid19 are not rewritten."""
    assert model_text("covid19 0612345678") == "covid19 0612345678"


def test_it_normalises_mentions_and_urls_like_the_training_data() -> None:
    """Mentions become @user and links become http."""
    assert model_text("@bob see https://x.example/a") == "@user see http"


def test_it_truncates_long_text() -> None:
    """The encoder never reads more than MAX_MODEL_CHARS characters."""
    assert len(model_text("a " * 10_000)) <= MAX_MODEL_CHARS
