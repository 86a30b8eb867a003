"""Features the heads read: the sentence embedding, then the lexical signals."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from moderation.scorers.encoder import ENCODER_NAME, Encoder
from moderation.scorers.lexical import FEATURES, lexical_features
from moderation.scorers.text import model_text
from moderation.scoring import LexiconScorer, clean_text

FEATURE_VERSION = "3"  # bump when model_text or the lexical features change


def featurize(
    encoder: Encoder,
    lexicon: LexiconScorer,
    texts: Sequence[str],
    languages: Sequence[str],
    found: list | None = None,
) -> np.ndarray:
    """(n, 512 + len(FEATURES)) features: embedding of `model_text`, lexical signals.

    safetype's matches for each text are appended to `found` when it is given.
    """
    emb = encoder.embed([model_text(t) for t in texts])
    lex = lexical_features(lexicon, [clean_text(t) for t in texts], languages, found)
    return np.concatenate([emb, lex], axis=1)


def cached_featurize(
    cache_dir: Path,
    key: str,
    encoder: Encoder,
    lexicon: LexiconScorer,
    texts: Sequence[str],
    languages: Sequence[str],
) -> np.ndarray:
    """`featurize`, stored under `cache_dir` by a hash of the texts so it runs once per dataset."""
    digest = hashlib.sha1(
        "\n".join([ENCODER_NAME, FEATURE_VERSION, str(len(FEATURES)), *texts]).encode(),
        usedforsecurity=False,
    ).hexdigest()[:16]
    path = cache_dir / f"{key.replace('/', '_')}-{digest}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    features = featurize(encoder, lexicon, texts, languages)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features
