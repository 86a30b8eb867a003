"""Hashed word n-grams: a cheap lexical channel the heads learn next to the embedding.

Word unigrams and bigrams of `model_text`, lower-cased, hashed (CRC-32) into N_BUCKETS columns,
each row scaled to unit length. The heads keep one weight per bucket (plain arrays, no
vocabulary to ship) and fuse this channel's logits with the embedding's on the dev split.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence

import numpy as np

N_BUCKETS = 1 << 18
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]", re.UNICODE)  # words, and each symbol or emoji alone


def buckets(text: str) -> np.ndarray:
    """Sorted unique bucket ids of the unigrams and bigrams of a model-ready text."""
    words = _TOKEN.findall(text.lower())
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    ids = {zlib.crc32(g.encode("utf-8")) % N_BUCKETS for g in grams}
    return np.fromiter(sorted(ids), dtype=np.int64, count=len(ids))


def ngram_logits(rows: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """(n, outputs) logits, without bias: the unit-scaled sum of each row's bucket weights."""
    out = np.zeros((len(rows), weights.shape[1]), dtype=np.float32)
    for i, ids in enumerate(rows):
        if len(ids):
            out[i] = weights[ids].sum(axis=0) / np.sqrt(len(ids))
    return out


def sparse_matrix(rows: Sequence[np.ndarray]):  # type: ignore[no-untyped-def]
    """The same rows as a SciPy CSR matrix (training only)."""
    from scipy.sparse import csr_matrix

    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    data = np.concatenate([np.full(len(r), 1 / np.sqrt(max(len(r), 1))) for r in rows])
    return csr_matrix((data, indices, indptr), shape=(len(rows), N_BUCKETS))
