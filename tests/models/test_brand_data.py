"""The hand-written brand-page comments that `bench/evaluate.py` reports: well-formed and
balanced, since a macro-averaged figure over them assumes it."""

from collections import Counter
from pathlib import Path

import pytest

from moderation.scorers.datasets import read_tsv

BRAND = Path(__file__).resolve().parents[2] / "bench" / "data" / "brand_sentiment"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_language_has_twenty_comments_per_sentiment(lang: str) -> None:
    rows = read_tsv(BRAND / f"{lang}.tsv")
    assert Counter(label for _, label, _ in rows) == {0: 20, 1: 20, 2: 20}
    assert {row_lang for _, _, row_lang in rows} == {lang}
    texts = [text for text, _, _ in rows]
    assert len(set(texts)) == len(texts)
    assert all(text.strip() == text and text for text in texts)
