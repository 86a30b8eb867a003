"""Train the heads: `vigie models train --data PATH` (needs the `train` extra: scikit-learn).

Embeds every dataset once (cached under `var/models-cache/`), fits a few small candidates per
head on the fit split, keeps the best on the dev split, calibrates it on dev, tunes its decision
threshold on dev, and writes all heads to one `.npz`. Test splits are never read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from moderation.scorers import metrics
from moderation.scorers.datasets import TASKS, Part, Task, load_part
from moderation.scorers.encoder import DIM, ENCODER_NAME, Encoder
from moderation.scorers.features import FEATURE_VERSION, cached_featurize
from moderation.scorers.heads import Head, HeadSet
from moderation.scorers.lexical import FEATURES
from moderation.scorers.ngrams import buckets, sparse_matrix
from moderation.scorers.text import model_text
from moderation.scoring import LexiconScorer

CLASSES = {
    "irony": ("not_ironic", "ironic"),
    "toxicity": ("not_toxic", "toxic"),
    "hate": ("not_hate", "hate"),
    "sentiment": ("negative", "neutral", "positive"),
}
# (kind, strength): logistic regression with C, one hidden layer MLP with L2 alpha, or the
# average of ENSEMBLE such MLPs (different seeds), stored as one wider MLP.
CANDIDATES = (("logistic", 0.03), ("mlp", 3.0), ("mlp-ensemble", 3.0))
ENSEMBLE = 5
NGRAM_C = (1.0, 4.0)  # inverse L2 strength of the n-gram channel


@dataclass(frozen=True)
class Split:
    x: np.ndarray
    y: np.ndarray
    ngrams: tuple[np.ndarray, ...] = ()


def load_split(
    root: Path, parts: tuple[Part, ...], cache: Path, encoder: Encoder, lexicon: LexiconScorer
) -> Split:
    xs, ys, grams = [], [], []
    for part in parts:
        rows = load_part(root, part)
        xs.append(cached_featurize(cache, part.name, encoder, lexicon, rows.texts, rows.languages))
        ys.append(np.asarray(rows.labels))
        grams.extend(buckets(model_text(t)) for t in rows.texts)
    return Split(np.concatenate(xs), np.concatenate(ys), tuple(grams))


def score_fn(metric: str) -> Callable[[np.ndarray, np.ndarray], float]:
    return {
        "f1_pos": metrics.f1,
        "macro_f1": metrics.macro_f1,
        "macro_recall": metrics.macro_recall,
    }[metric]


def fit_candidate(kind: str, strength: float, x: np.ndarray, y: np.ndarray, balanced: bool):
    """Fit one scikit-learn model on standardised features; return (weights, biases)."""
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(
            C=strength, max_iter=2000, class_weight="balanced" if balanced else None
        )
        model.fit(x, y)
        return (model.coef_.T.copy(),), (model.intercept_.copy(),)
    if kind == "mlp-ensemble":
        # the mean of K MLPs' logits is one MLP: hidden layers side by side, output weights / K
        members = [_fit_mlp(strength, x, y, balanced, seed) for seed in range(ENSEMBLE)]
        w0 = np.concatenate([m[0][0] for m in members], axis=1)
        b0 = np.concatenate([m[1][0] for m in members])
        w1 = np.concatenate([m[0][1] for m in members], axis=0) / ENSEMBLE
        b1 = np.mean([m[1][1] for m in members], axis=0)
        return (w0, w1), (b0, b1)
    return _fit_mlp(strength, x, y, balanced, 0)


def _fit_mlp(strength: float, x: np.ndarray, y: np.ndarray, balanced: bool, seed: int):
    """One hidden layer MLP (256 units) on standardised features; (weights, biases)."""
    from sklearn.neural_network import MLPClassifier

    if balanced:  # MLPClassifier has no class weights: resample to balance the classes
        rng = np.random.default_rng(seed)
        counts = np.bincount(y)
        idx = np.concatenate(
            [rng.choice(np.flatnonzero(y == c), counts.max(), replace=True) for c in np.unique(y)]
        )
        x, y = x[idx], y[idx]
    model = MLPClassifier(
        hidden_layer_sizes=(256,),
        alpha=strength,
        early_stopping=True,
        validation_fraction=0.1,
        max_iter=200,
        random_state=seed,
    )
    model.fit(x, y)
    return tuple(w.copy() for w in model.coefs_), tuple(b.copy() for b in model.intercepts_)


def fit_fusion(head: Head, strength: float, fit: Split, dev: Split, balanced: bool) -> Head:
    """`head` plus an n-gram channel fitted on `fit`, fused with it on `dev` (the calibration)."""
    from sklearn.linear_model import LogisticRegression

    weight = "balanced" if balanced else None
    model = LogisticRegression(C=strength, max_iter=3000, class_weight=weight)
    model.fit(sparse_matrix(fit.ngrams), fit.y)
    head = _replace(
        head,
        ngram_weights=model.coef_.T.astype(np.float32),
        ngram_bias=model.intercept_.astype(np.float32),
    )
    fuse = LogisticRegression(C=100.0, max_iter=2000, class_weight=weight)
    fuse.fit(head.channels(dev.x, dev.ngrams), dev.y)
    return _replace(head, fuse_weights=fuse.coef_.T.copy(), fuse_bias=fuse.intercept_.copy())


def calibrate(head: Head, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Platt scaling (binary) or temperature scaling (multi-class) fitted on dev."""
    z = head.logits(x)
    if head.binary:
        from sklearn.linear_model import LogisticRegression

        platt = LogisticRegression(C=1e4, max_iter=1000).fit(z, y)
        return float(platt.coef_[0, 0]), platt.intercept_.astype(np.float32)
    best, best_t = np.inf, 1.0
    for t in np.linspace(0.2, 3.0, 57):
        p = _softmax(z * t)
        nll = -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))
        if nll < best:
            best, best_t = nll, float(t)
    return best_t, np.zeros(z.shape[1], dtype=np.float32)


def tune_threshold(probs: np.ndarray, y: np.ndarray, metric: str) -> tuple[float, float]:
    """The dev-optimal decision threshold for a binary head, and the dev score there."""
    score = score_fn(metric)
    grid = np.linspace(0.05, 0.95, 91)
    values = [score(y, (probs >= t).astype(int)) for t in grid]
    best = int(np.argmax(values))
    return float(grid[best]), float(values[best])


def dev_score(head: Head, dev: Split, metric: str) -> tuple[float, float]:
    """(score, threshold) of a calibrated head on dev."""
    probs = head.probabilities(dev.x, dev.ngrams)
    if head.binary:
        threshold, value = tune_threshold(probs, dev.y, metric)
        return value, threshold
    return score_fn(metric)(dev.y, probs.argmax(axis=1)), 0.5


def train_task(task: Task, fit: Split, dev: Split, log: Callable[[str], None]) -> Head:
    """Fit every candidate with and without lexical features; keep the best on dev."""
    balanced = len(CLASSES[task.head]) != 2
    results: list[dict[str, Any]] = []
    best: Head | None = None
    best_value = -1.0
    for uses_lexical in (False, True):
        cols = slice(None) if uses_lexical else slice(0, DIM)
        x_fit, x_dev = fit.x[:, cols], dev.x[:, cols]
        mean, scale = x_fit.mean(axis=0), x_fit.std(axis=0) + 1e-6
        for kind, strength in CANDIDATES:
            weights, biases = fit_candidate(kind, strength, (x_fit - mean) / scale, fit.y, balanced)
            head = Head(task.head, CLASSES[task.head], weights, biases, mean, scale, uses_lexical)
            cal_scale, cal_bias = calibrate(head, x_dev, dev.y)
            head = _replace(head, cal_scale=cal_scale, cal_bias=cal_bias)
            value, threshold = dev_score(head, Split(x_dev, dev.y), task.metric)
            head = _replace(head, threshold=threshold)
            row = {"kind": kind, "strength": strength, "lexical": uses_lexical, "dev": value}
            results.append(row)
            log(
                f"  {task.head:10} {kind:8} {strength:<5} lexical={uses_lexical!s:5} dev {task.metric}={100 * value:.1f}"
            )
            if value > best_value:
                best, best_value = head, value
    assert best is not None
    dense_value = best_value
    cols = slice(None) if best.uses_lexical else slice(0, DIM)
    dev_cols = Split(dev.x[:, cols], dev.y, dev.ngrams)
    for strength in NGRAM_C:
        fused = fit_fusion(best, strength, Split(fit.x, fit.y, fit.ngrams), dev_cols, balanced)
        value, threshold = dev_score(fused, dev_cols, task.metric)
        results.append({"kind": "fused n-grams", "strength": strength, "dev": value})
        log(f"  {task.head:10} + n-grams C={strength:<4} dev {task.metric}={100 * value:.1f}")
        if value > best_value:
            best, best_value = _replace(fused, threshold=threshold), value
    probs = best.probabilities(dev_cols.x, dev.ngrams)
    info = {
        "dense_only_dev": round(100 * dense_value, 2),
        "metric": task.metric,
        "dev": round(100 * best_value, 2),
        "dev_ece": round(metrics.ece(dev.y, probs), 4),
        "candidates": results,
        "fit": [p.name for p in task.fit],
        "tuned_on": [p.name for p in task.dev],
        "reported_on": [p.name for p in task.test],
        "n_fit": len(fit.y),
    }
    return _replace(best, info=info)


def shift_prior(head: Head, dev_rate: float, prior: float) -> Head:
    """Move a binary head's probabilities from the dev set's positive rate to `prior`.

    Bayes' rule on the logit: add log-odds(prior) - log-odds(dev_rate). The decision threshold
    moves with it, so benchmark decisions are unchanged.
    """
    shift = float(np.log(prior / (1 - prior)) - np.log(dev_rate / (1 - dev_rate)))
    t = head.threshold
    threshold = float(1 / (1 + np.exp(-(np.log(t / (1 - t)) + shift))))
    info = {**head.info, "prior": prior, "dev_rate": round(dev_rate, 4), "logit_shift": shift}
    if head.fused:
        assert head.fuse_bias is not None
        return _replace(head, fuse_bias=head.fuse_bias + shift, threshold=threshold, info=info)
    return _replace(head, cal_bias=head.cal_bias + shift, threshold=threshold, info=info)


def train_all(
    root: Path, cache: Path, log: Callable[[str], None], heads: tuple[str, ...] = tuple(TASKS)
) -> HeadSet:
    """Train the requested heads from the datasets under `root`."""
    encoder, lexicon = Encoder(threads=2), LexiconScorer()
    trained = {}
    for name in heads:
        task = TASKS[name]
        log(f"{name}: embedding {', '.join(p.name for p in task.fit + task.dev)}")
        fit = load_split(root, task.fit, cache, encoder, lexicon)
        dev = load_split(root, task.dev, cache, encoder, lexicon)
        trained[name] = train_task(task, fit, dev, log)
        if task.prior is not None:
            trained[name] = shift_prior(trained[name], float(dev.y.mean()), task.prior)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    meta = {
        "encoder": ENCODER_NAME,
        "feature_version": FEATURE_VERSION,
        "lexical_features": list(FEATURES),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return HeadSet(version=f"use3-heads-{stamp}", heads=trained, meta=meta)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _replace(head: Head, **changes: Any) -> Head:
    from dataclasses import replace

    return replace(head, **changes)


def fit_evidence(root: Path, scorer: Any, log: Callable[[str], None]) -> dict[str, Any]:
    """Fit the toxicity noisy-OR weights of explicit evidence on the toxicity dev parts.

    `scorer` is a DefaultScorer; its heads are read as they are (defused insults masked), the
    weights minimise log-loss on dev, then the toxicity decision threshold is tuned again on dev
    on the combined probability. Test parts are never read.
    """
    from moderation.scorers import evidence

    scorer.__dict__["evidence_weights"] = {}
    task = TASKS["toxicity"]
    parts, languages = [], []
    for part in task.dev:
        rows = load_part(root, part)
        languages.append(rows.languages[0])
        probs, _, found = scorer.read(list(rows.texts), list(rows.languages))
        parts.append(
            (
                part.name,
                probs["toxicity"],
                np.array([e.targeted for e in found], dtype=np.float32),
                np.array([e.swear for e in found], dtype=np.float32),
                np.asarray(rows.labels),
            )
        )
    p, t, s, y = (np.concatenate([x[k] for x in parts]) for k in range(1, 5))
    langs = np.concatenate([[lang] * len(x[4]) for lang, x in zip(languages, parts, strict=True)])
    fitted: dict[str, list[float]] = {"all": list(evidence.fit_weights(p, t, s, y))}
    for lang in dict.fromkeys(languages):
        rows = langs == lang
        fitted[lang] = list(evidence.fit_weights(p[rows], t[rows], s[rows], y[rows]))
    for name, _pp, tt, ss, yy in parts:
        log(
            f"  {name}: n={len(yy)}, targeted {int(tt.sum())} (toxic {yy[tt > 0].mean() if tt.sum() else 0:.2f}), "
            f"strong swear {int(ss.sum())} (toxic {yy[ss > 0].mean() if ss.sum() else 0:.2f})"
        )
    weights = np.array([fitted.get(lang, fitted["all"]) for lang in langs])
    combined = evidence.combine(p, t, s, weights)
    before_t, before = tune_threshold(p, y, task.metric)
    threshold, after = tune_threshold(combined, y, task.metric)
    log(
        f"toxicity evidence weights {fitted}: dev {task.metric} {100 * before:.1f} -> {100 * after:.1f}, "
        f"ECE {metrics.ece(y, p):.3f} -> {metrics.ece(y, combined):.3f}, threshold {before_t:.2f} -> {threshold:.2f}"
    )
    del scorer.__dict__["evidence_weights"]
    return {"weights": fitted, "threshold": threshold, "dev": round(100 * after, 2)}
