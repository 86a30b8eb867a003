"""An English offensive-language signal learnt outside TweetEval: alt-profanity-check's SVM.

alt-profanity-check (MIT, PyPI) ships a TF-IDF + linear SVM model trained on ~200k
human-labelled English texts (t-davidson's hate-speech-and-offensive-language tweets and
Wikipedia talk-page toxic comments), calibrated by 5-fold Platt scaling. It is external
supervision the heads' ~12k TweetEval rows do not have. Its package loads joblib pickles and
pins scikit-learn, so Vigie does not import it at run time: `vigie models import-profanity`
copies its arrays once (vocabulary, idf, the five SVMs and their calibrations) into
`profanity.npz`, and `ProfanityModel` recomputes the same probability in numpy. The file
also keeps reference probabilities from the package for a few probe texts, which the tests
check the numpy path against.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

PROFANITY_FILE = Path(__file__).with_name("profanity.npz")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
PROBES = (
    "you are an idiot",
    "I love this product, thank you!",
    "what the fuck is wrong with you",
    "shut up you stupid bitch",
    "The store opens at 9am on Sunday.",
    "this is bullshit, refund me",
    "go to hell",
    "je suis très content du service",
    "",
    "idiot idiot idiot idiot",
)


class ProfanityModel:
    """P(offensive) of alt-profanity-check's calibrated SVM, from plain arrays."""

    def __init__(self, path: Path = PROFANITY_FILE) -> None:
        with np.load(path, allow_pickle=False) as data:
            words = [str(w) for w in data["vocabulary"]]
            self.idf = data["idf"].astype(np.float64)
            self.coef = data["coef"].astype(np.float64)  # (folds, vocabulary)
            self.intercept = data["intercept"].astype(np.float64)  # (folds,)
            self.cal_a = data["cal_a"].astype(np.float64)
            self.cal_b = data["cal_b"].astype(np.float64)
            self.meta: dict[str, Any] = json.loads(str(data["meta"]))
        self.index = {w: i for i, w in enumerate(words)}
        # Per word, the five SVMs' weights times its idf: one row per vocabulary entry.
        self._weighted = (self.coef * self.idf).T.copy()  # (vocabulary, folds)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) probabilities, the mean of the five calibrated SVMs as in the package."""
        out = np.empty(len(texts), dtype=np.float64)
        for i, text in enumerate(texts):
            counts = Counter(
                j for j in map(self.index.get, _TOKEN.findall(text.lower())) if j is not None
            )
            decision = self.intercept.copy()
            if counts:
                ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                norm = np.sqrt(np.sum((tf * self.idf[ids]) ** 2))
                decision += (tf / norm) @ self._weighted[ids]
            out[i] = np.mean(1.0 / (1.0 + np.exp(self.cal_a * decision + self.cal_b)))
        return out


@lru_cache(maxsize=1)
def load_profanity(path: Path = PROFANITY_FILE) -> ProfanityModel:
    """The packaged model, loaded once per process."""
    return ProfanityModel(path)


def export_from_package(path: Path, check_texts: Sequence[str] = ()) -> dict[str, Any]:
    """Copy the installed alt-profanity-check model into `path` (needs the `train` extra).

    Refuses to write unless the numpy path reproduces the package's probabilities on the
    probes and on `check_texts` (to 1e-6). Returns the file's metadata.
    """
    from importlib.metadata import version

    from profanity_check import predict_prob
    from profanity_check import profanity_check as package

    vectorizer, model = package.vectorizer, package.model
    expected = dict(
        token_pattern=_TOKEN.pattern, lowercase=True, strip_accents=None, norm="l2",
        sublinear_tf=False, ngram_range=(1, 1), analyzer="word", binary=False,
    )  # fmt: skip
    actual = {k: getattr(vectorizer, k) for k in expected}
    if actual != expected or model.method != "sigmoid":
        raise ValueError(f"alt-profanity-check's model changed shape: {actual}, {model.method}")
    words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    folds = model.calibrated_classifiers_
    probes = list(PROBES)
    meta = {
        "source": f"alt-profanity-check {version('alt-profanity-check')} (MIT)",
        "probes": probes,
        "probe_probabilities": [float(p) for p in predict_prob(probes)],
    }
    arrays = {
        "vocabulary": np.asarray(words, dtype=str),
        "idf": vectorizer.idf_.astype(np.float64),
        "coef": np.vstack([c.estimator.coef_[0] for c in folds]),
        "intercept": np.asarray([c.estimator.intercept_[0] for c in folds]),
        "cal_a": np.asarray([c.calibrators[0].a_ for c in folds]),
        "cal_b": np.asarray([c.calibrators[0].b_ for c in folds]),
        "meta": np.asarray(json.dumps(meta)),
    }
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    ours = ProfanityModel(tmp)
    texts = [*probes, *check_texts]
    gap = float(np.max(np.abs(ours.probabilities(texts) - predict_prob(texts))))
    if gap > 1e-6:
        tmp.unlink()
        raise ValueError(f"numpy path differs from the package by {gap:.2e}; not written")
    tmp.replace(path)
    load_profanity.cache_clear()
    return {**meta, "checked_texts": len(texts), "max_difference": gap}
