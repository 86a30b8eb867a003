"""Small trained heads over the sentence embedding, stored as plain arrays in one `.npz`.

A head is a standardisation, zero or more ReLU layers and a linear output, then a calibration
(`softmax(cal_scale * logits + cal_bias)`, fitted on a validation split). A fused head also has
a hashed n-gram channel (see `ngrams`): its logits and the embedding's are combined by a small
linear layer fitted on the validation split, which is then the calibration. Binary heads have
one output logit and use a sigmoid. No pickles: `np.load(..., allow_pickle=False)`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moderation.scorers.ngrams import ngram_logits

HEADS_FILE = Path(__file__).with_name("heads.npz")
_FUSION = ("ngram_weights", "ngram_bias", "fuse_weights", "fuse_bias")


@dataclass(frozen=True, eq=False)
class Head:
    """One trained head. `threshold` is the decision threshold tuned on validation (binary)."""

    name: str
    classes: tuple[str, ...]
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    mean: np.ndarray
    scale: np.ndarray
    uses_lexical: bool
    cal_scale: float = 1.0
    cal_bias: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.float32))
    threshold: float = 0.5
    info: dict[str, Any] = field(default_factory=dict)
    ngram_weights: np.ndarray | None = None  # (N_BUCKETS, outputs)
    ngram_bias: np.ndarray | None = None
    fuse_weights: np.ndarray | None = None  # (2 * outputs, outputs)
    fuse_bias: np.ndarray | None = None

    @property
    def fused(self) -> bool:
        return self.fuse_weights is not None

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Uncalibrated output logits for standardised-on-the-fly features."""
        x = (features - self.mean) / self.scale
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            x = np.maximum(x @ w + b, 0.0)
        return x @ self.weights[-1] + self.biases[-1]

    def channels(self, features: np.ndarray, ngram_rows: Sequence[np.ndarray]) -> np.ndarray:
        """Embedding logits and n-gram logits side by side (the fusion layer's input)."""
        assert self.ngram_weights is not None and self.ngram_bias is not None
        ngram = ngram_logits(ngram_rows, self.ngram_weights) + self.ngram_bias
        return np.concatenate([self.logits(features), ngram], axis=1)

    def calibrated_logits(
        self, features: np.ndarray, ngram_rows: Sequence[np.ndarray] | None = None
    ) -> np.ndarray:
        if self.fused:
            if ngram_rows is None:
                raise ValueError(f"head {self.name} needs the n-gram rows of the texts")
            assert self.fuse_bias is not None
            return self.channels(features, ngram_rows) @ self.fuse_weights + self.fuse_bias
        return self.cal_scale * self.logits(features) + self.cal_bias

    def probabilities(
        self, features: np.ndarray, ngram_rows: Sequence[np.ndarray] | None = None
    ) -> np.ndarray:
        """Calibrated probabilities: (n,) of the positive class if binary, else (n, k)."""
        z = self.calibrated_logits(features, ngram_rows)
        if self.binary:
            return 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -30, 30)))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True, eq=False)
class HeadSet:
    """Every head of one trained version, with the metadata written at training time."""

    version: str
    heads: dict[str, Head]
    meta: dict[str, Any]


def save_heads(path: Path, heads: HeadSet) -> None:
    """Write `heads` as arrays plus one JSON metadata string."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"version": heads.version, **heads.meta, "heads": {}}
    for name, head in heads.heads.items():
        for i, (w, b) in enumerate(zip(head.weights, head.biases, strict=True)):
            arrays[f"{name}.w{i}"] = w.astype(np.float32)
            arrays[f"{name}.b{i}"] = b.astype(np.float32)
        arrays[f"{name}.mean"] = head.mean.astype(np.float32)
        arrays[f"{name}.scale"] = head.scale.astype(np.float32)
        arrays[f"{name}.cal_bias"] = np.asarray(head.cal_bias, dtype=np.float32)
        for part in _FUSION:
            value = getattr(head, part)
            if value is not None:
                arrays[f"{name}.{part}"] = np.asarray(value, dtype=np.float32)
        meta["heads"][name] = {
            "classes": list(head.classes),
            "layers": len(head.weights),
            "uses_lexical": head.uses_lexical,
            "cal_scale": head.cal_scale,
            "threshold": head.threshold,
            "info": head.info,
        }
    arrays["meta"] = np.asarray(json.dumps(meta, sort_keys=True))
    np.savez_compressed(path, **arrays)


def load_heads(path: Path = HEADS_FILE) -> HeadSet:
    """Read heads written by `save_heads`."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        heads = {}
        for name, spec in meta.pop("heads").items():
            n = spec["layers"]
            heads[name] = Head(
                name=name,
                classes=tuple(spec["classes"]),
                weights=tuple(data[f"{name}.w{i}"] for i in range(n)),
                biases=tuple(data[f"{name}.b{i}"] for i in range(n)),
                mean=data[f"{name}.mean"],
                scale=data[f"{name}.scale"],
                uses_lexical=spec["uses_lexical"],
                cal_scale=float(spec["cal_scale"]),
                cal_bias=data[f"{name}.cal_bias"],
                threshold=float(spec["threshold"]),
                info=spec["info"],
                **{p: data[f"{name}.{p}"] for p in _FUSION if f"{name}.{p}" in data},
            )
    return HeadSet(version=meta.pop("version"), heads=heads, meta=meta)


class HeadBank:
    """Every head of a `HeadSet` evaluated together, with the same results as head by head.

    Each head's standardisation is folded into its first layer, the first layers of all heads
    are one matrix product (heads that read only the embedding get zero rows for the lexical
    columns), and the n-gram weights of all heads are one (N_BUCKETS, outputs) table gathered
    once per batch. Heads of another shape (no hidden layer, or no n-gram channel) run alone.
    """

    def __init__(self, heads: HeadSet, n_features: int) -> None:
        self.heads = heads
        self.fast = [n for n, h in heads.heads.items() if len(h.weights) == 2 and h.fused]
        self.slow = [n for n in heads.heads if n not in self.fast]
        first_w, first_b, self._hidden, self._outputs = [], [], [], []
        ngram = []
        for name in self.fast:
            h = heads.heads[name]
            w0 = h.weights[0] / h.scale[:, None]
            b0 = h.biases[0] - (h.mean / h.scale) @ h.weights[0]
            full = np.zeros((n_features, w0.shape[1]), dtype=np.float32)
            full[: w0.shape[0]] = w0
            first_w.append(full)
            first_b.append(b0.astype(np.float32))
            self._hidden.append(w0.shape[1])
            self._outputs.append(h.weights[1].shape[1])
            assert h.ngram_weights is not None
            ngram.append(h.ngram_weights)
        if self.fast:
            self._w0 = np.ascontiguousarray(np.concatenate(first_w, axis=1), dtype=np.float32)
            self._b0 = np.concatenate(first_b)
            self._ngram = np.ascontiguousarray(np.concatenate(ngram, axis=1), dtype=np.float32)

    def probabilities(
        self, features: np.ndarray, ngram_rows: Sequence[np.ndarray]
    ) -> dict[str, np.ndarray]:
        """Calibrated probabilities of every head, as `Head.probabilities` gives them."""
        out: dict[str, np.ndarray] = {}
        if self.fast and len(features):
            hidden = features.astype(np.float32, copy=False) @ self._w0
            hidden += self._b0
            np.maximum(hidden, 0.0, out=hidden)
            lens = np.fromiter(map(len, ngram_rows), dtype=np.int64, count=len(ngram_rows))
            grams = np.zeros((len(ngram_rows), self._ngram.shape[1]), dtype=np.float32)
            if lens.sum():
                flat = np.concatenate(ngram_rows)
                starts = np.zeros(len(lens), dtype=np.int64)
                np.cumsum(lens[:-1], out=starts[1:])
                full = lens > 0
                sums = np.add.reduceat(self._ngram[flat], starts[full], axis=0)
                grams[full] = sums / np.sqrt(lens[full])[:, None]
            h0 = o0 = 0
            for name, width, outputs in zip(self.fast, self._hidden, self._outputs, strict=True):
                head = self.heads.heads[name]
                dense = hidden[:, h0 : h0 + width] @ head.weights[1] + head.biases[1]
                ngram = grams[:, o0 : o0 + outputs] + head.ngram_bias
                assert head.fuse_weights is not None and head.fuse_bias is not None
                z = np.concatenate([dense, ngram], axis=1) @ head.fuse_weights + head.fuse_bias
                out[name] = _squash(z, head.binary)
                h0 += width
                o0 += outputs
        for name in self.slow:
            head = self.heads.heads[name]
            cols = features[:, : head.mean.shape[0]]  # heads read a prefix of the features
            out[name] = head.probabilities(cols, ngram_rows if head.fused else None)
        if not len(features):
            for name in self.fast:
                k = len(self.heads.heads[name].classes)
                out[name] = np.zeros((0,) if k == 2 else (0, k), dtype=np.float32)
        return out


def _squash(z: np.ndarray, binary: bool) -> np.ndarray:
    if binary:
        return 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -30, 30)))
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
