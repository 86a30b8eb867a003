"""The hand-written brand-page comments that `bench/evaluate.py` reports: well-formed and
balanced, since a macro-averaged figure over them assumes it."""

from collections import Counter
from pathlib import Path

import pytest

from moderation.scorers.datasets import read_tsv

BRAND = Path(__file__).resolve().parents[2] / "bench" / "data" / "brand_sentiment"


@pytest.mark.parametrize("file", ["en", "fr", "holdout/en", "holdout/fr", "third/en", "third/fr"])
def test_each_language_has_twenty_comments_per_sentiment(file: str) -> None:
    lang = file.rsplit("/", 1)[-1]
    rows = read_tsv(BRAND / f"{file}.tsv")
    assert Counter(label for _, label, _ in rows) == {0: 20, 1: 20, 2: 20}
    assert {row_lang for _, _, row_lang in rows} == {lang}
    texts = [text for text, _, _ in rows]
    assert len(set(texts)) == len(texts)
    assert all(text.strip() == text and text for text in texts)


def test_the_held_out_set_shares_no_comment_with_the_first() -> None:
    first = {text for lang in ("en", "fr") for text, _, _ in read_tsv(BRAND / f"{lang}.tsv")}
    held_out = [
        text for lang in ("en", "fr") for text, _, _ in read_tsv(BRAND / "holdout" / f"{lang}.tsv")
    ]
    assert not first & set(held_out)


def test_the_independent_set_shares_no_comment_with_the_others() -> None:
    others = {
        text
        for folder in (BRAND, BRAND / "holdout")
        for lang in ("en", "fr")
        for text, _, _ in read_tsv(folder / f"{lang}.tsv")
    }
    third = [
        text for lang in ("en", "fr") for text, _, _ in read_tsv(BRAND / "third" / f"{lang}.tsv")
    ]
    assert not others & set(third)
