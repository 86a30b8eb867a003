"""Train the heads: `vigie models train --data PATH` (needs the `train` extra: scikit-learn).

Embeds every dataset once (cached under `var/models-cache/`), fits a few small candidates per
head on the fit split, calibrates each on the dev split, keeps the one with the lowest dev
log-loss, optionally self-trains it on unlabelled texts (kept only if dev log-loss improves),
tunes its decision threshold on dev, and writes all heads to one `.npz`. Test splits are never
read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
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
    """Features, labels and n-gram rows of `parts`, each part's rows `part.repeat` times."""
    xs, ys, grams = [], [], []
    for part in parts:
        rows = load_part(root, part)
        x = cached_featurize(cache, part.name, encoder, lexicon, rows.texts, rows.languages)
        part_grams = [buckets(model_text(t)) for t in rows.texts]
        for _ in range(part.repeat):
            xs.append(x)
            ys.append(np.asarray(rows.labels))
            grams.extend(part_grams)
    return Split(np.concatenate(xs), np.concatenate(ys), tuple(grams))


def part_label(part: Part) -> str:
    return part.name if part.repeat == 1 else f"{part.name} x{part.repeat}"


def log_loss(y: np.ndarray, probs: np.ndarray, balanced: bool = False) -> float:
    """Mean negative log-likelihood of the labels (binary: `probs` of the positive class).

    `balanced`: the mean over classes of each class's mean, the log-loss that goes with a
    macro-averaged metric and balanced training.
    """
    if probs.ndim == 1:
        probs = np.stack([1 - probs, probs], axis=1)
    nll = -np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, 1.0))
    if balanced:
        return float(np.mean([nll[y == c].mean() for c in np.unique(y)]))
    return float(nll.mean())


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


@dataclass(frozen=True)
class Recipe:
    """How a head was fitted: dense model, feature set and n-gram channel (None: none)."""

    kind: str
    strength: float
    uses_lexical: bool
    ngram_c: float | None = None


def width(task: Task, uses_lexical: bool) -> int:
    """How many leading feature columns a head of `task` reads: the embedding, then the
    lexical signals (all but the last, `profanity`, unless the task is offered it)."""
    if not uses_lexical:
        return DIM
    return DIM + len(FEATURES) - (0 if task.offensive_signal else 1)


def fit_recipe(
    task: Task, recipe: Recipe, fit: Split, dev: Split, dense: Head | None = None
) -> tuple[Head, float, float]:
    """Fit `recipe` on `fit`, calibrate and tune it on `dev`: (head, dev metric, dev log-loss).

    `dense` is the recipe's dense head when it was fitted already (only the n-gram channel and
    the fusion are fitted then).
    """
    balanced = len(CLASSES[task.head]) != 2
    cols = slice(0, width(task, recipe.uses_lexical))
    x_fit, x_dev = fit.x[:, cols], dev.x[:, cols]
    if dense is None:
        mean, scale = x_fit.mean(axis=0), x_fit.std(axis=0) + 1e-6
        weights, biases = fit_candidate(
            recipe.kind, recipe.strength, (x_fit - mean) / scale, fit.y, balanced
        )
        head = Head(
            task.head, CLASSES[task.head], weights, biases, mean, scale, recipe.uses_lexical
        )
        cal_scale, cal_bias = calibrate(head, x_dev, dev.y)
        dense = _replace(head, cal_scale=cal_scale, cal_bias=cal_bias)
    head = dense
    dev_cols = Split(x_dev, dev.y, dev.ngrams)
    if recipe.ngram_c is not None:
        head = fit_fusion(
            dense, recipe.ngram_c, Split(fit.x, fit.y, fit.ngrams), dev_cols, balanced
        )
    value, threshold = dev_score(head, dev_cols, task.metric)
    probs = head.probabilities(x_dev, dev.ngrams if head.fused else None)
    return _replace(head, threshold=threshold), value, log_loss(dev.y, probs, balanced)


def pseudo_labelled(head: Head, pool: Split, per_class: int) -> Split:
    """The `per_class` rows of `pool` that `head` is surest of for each class, with its labels."""
    cols = slice(0, head.mean.shape[0])
    probs = head.probabilities(pool.x[:, cols], pool.ngrams if head.fused else None)
    if head.binary:
        probs = np.stack([1 - probs, probs], axis=1)
    labels, sure = probs.argmax(axis=1), probs.max(axis=1)
    keep = []
    for label in range(probs.shape[1]):
        members = np.flatnonzero(labels == label)
        keep.extend(members[np.argsort(-sure[members], kind="stable")[:per_class]])
    idx = np.sort(np.asarray(keep, dtype=np.int64))
    return Split(pool.x[idx], labels[idx], tuple(pool.ngrams[i] for i in idx))


def train_task(
    task: Task, fit: Split, dev: Split, log: Callable[[str], None], pool: Split | None = None
) -> Head:
    """Fit every candidate with and without lexical features; keep the best on dev.

    "Best" is the lowest dev log-loss (a proper score, steadier on ~1,000 dev rows than a
    thresholded F1); the benchmark metric at the dev-tuned threshold is logged and stored. With
    `pool` (unlabelled texts) and `task.self_train`, the chosen recipe is fitted again on the
    fit rows plus the pool rows the chosen head is surest of, and kept if dev log-loss improves.
    """
    results: list[dict[str, Any]] = []
    best: Head | None = None
    best_recipe: Recipe | None = None
    best_value, best_loss = -1.0, np.inf
    chosen: dict[str, Any] = {}

    def consider(recipe: Recipe, head: Head, value: float, loss: float, **extra: Any) -> None:
        nonlocal best, best_recipe, best_value, best_loss, chosen
        row = {**asdict(recipe), **extra, "dev": round(value, 4), "dev_log_loss": round(loss, 4)}
        results.append(row)
        ngram = "-" if recipe.ngram_c is None else recipe.ngram_c
        more = "".join(f" {k}={v}" for k, v in extra.items())
        log(
            f"  {task.head:10} {recipe.kind:12} {recipe.strength:<5} lexical={recipe.uses_lexical!s:5}"
            f" n-grams C={ngram!s:4}{more} dev {task.metric}={100 * value:.1f} log-loss={loss:.4f}"
        )
        if loss < best_loss:
            best, best_recipe, best_value, best_loss, chosen = head, recipe, value, loss, row

    for uses_lexical in (False, True):
        for kind, strength in CANDIDATES:
            recipe = Recipe(kind, strength, uses_lexical)
            consider(recipe, *fit_recipe(task, recipe, fit, dev))
    assert best is not None and best_recipe is not None
    dense, dense_recipe, dense_value = best, best_recipe, best_value
    for strength in NGRAM_C:
        recipe = Recipe(
            dense_recipe.kind, dense_recipe.strength, dense_recipe.uses_lexical, strength
        )
        consider(recipe, *fit_recipe(task, recipe, fit, dev, dense=dense))
    if pool is not None and task.self_train:
        teacher, recipe = best, best_recipe
        for per_class in task.self_train:
            extra = pseudo_labelled(teacher, pool, per_class)
            grown = Split(
                np.concatenate([fit.x, extra.x]),
                np.concatenate([fit.y, extra.y]),
                fit.ngrams + extra.ngrams,
            )
            consider(recipe, *fit_recipe(task, recipe, grown, dev), self_train=per_class)
    assert best is not None and best_recipe is not None
    cols = slice(0, best.mean.shape[0])
    probs = best.probabilities(dev.x[:, cols], dev.ngrams if best.fused else None)
    info = {
        "dense_only_dev": round(100 * dense_value, 2),
        "metric": task.metric,
        "dev": round(100 * best_value, 2),
        "dev_log_loss": round(best_loss, 4),
        "dev_ece": round(metrics.ece(dev.y, probs), 4),
        "selected_by": "dev log-loss",
        "chosen": chosen,
        "candidates": results,
        "fit": [part_label(p) for p in task.fit],
        "tuned_on": [p.name for p in task.dev],
        "reported_on": [p.name for p in task.test],
        "n_fit": len(fit.y),
    }
    if task.unlabelled:
        info["unlabelled"] = [p.name for p in task.unlabelled]
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
        pool = None
        if task.unlabelled:
            log(f"{name}: embedding unlabelled {', '.join(p.name for p in task.unlabelled)}")
            texts = load_split(root, task.unlabelled, cache, encoder, lexicon)
            pool = Split(texts.x, np.zeros(len(texts.y), dtype=np.int64), texts.ngrams)  # no labels
        trained[name] = train_task(task, fit, dev, log, pool)
        if task.prior is not None:
            trained[name] = shift_prior(trained[name], float(dev.y.mean()), task.prior)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")  # two trainings a day differ
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
