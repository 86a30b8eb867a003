"""The labelled TSV datasets heads are trained and benchmarked on, and their fixed splits.

Each dataset folder holds `train.tsv` / `val.tsv` / `test.tsv` (header `text	label	lang`). Where
a benchmark lacks a split, a stable hash of the text assigns rows to one, so training, tuning
and the benchmark always agree on which rows are held out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Rows:
    """Texts with integer labels and their language, from one file (or part of one)."""

    name: str
    texts: tuple[str, ...]
    labels: tuple[int, ...]
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Part:
    """`file` of `dataset`, restricted to rows whose text hash falls in [lo, hi) percent."""

    dataset: str
    file: str
    lo: int = 0
    hi: int = 100
    # Fit rows of this part count `repeat` times (a weight for a small language next to a big
    # one); tuning and test parts keep 1.
    repeat: int = 1

    @property
    def name(self) -> str:
        whole = self.lo == 0 and self.hi == 100
        return f"{self.dataset}/{self.file}" + ("" if whole else f"[{self.lo}:{self.hi}]")


@dataclass(frozen=True)
class Task:
    """What one head learns: parts to fit on, to tune and calibrate on, and to report."""

    head: str
    fit: tuple[Part, ...]
    dev: tuple[Part, ...]
    test: tuple[Part, ...]
    metric: str  # "f1_pos", "macro_f1", "macro_recall", "auc"
    # Share of positives expected in a real comment stream, when the dataset's share is far off
    # (TweetEval irony is half ironic by construction): probabilities are shifted to this prior.
    prior: float | None = None
    # Self-training: texts (labels unused) the trained head labels itself; its most confident
    # `self_train` rows per class are added to the fit rows and the head is fitted again.
    unlabelled: tuple[Part, ...] = ()
    self_train: tuple[int, ...] = ()
    # Whether the head may read the last lexical signal, `profanity` (an English offensive-
    # language SVM trained on other data): offered to the heads whose labels it models.
    offensive_signal: bool = False


TASKS = {
    "irony": Task(
        "irony",
        fit=(Part("tweeteval_irony", "train"),),
        dev=(Part("tweeteval_irony", "val"),),
        test=(Part("tweeteval_irony", "test"),),
        metric="f1_pos",
        prior=0.15,
    ),
    "toxicity": Task(
        "toxicity",
        # Counting the 828 French rows 2, 4 or 8 times lowers dev log-loss (0.4586 at 1; 0.4529,
        # 0.4506, 0.4544) and raises dev French AUC (83.3 -> 86.0 / 86.8), but then neutral
        # French sentences naming a group read toxic ("Je suis une femme noire et ingénieure."
        # 0.51 / 0.58, functional cases 0 and 30): ToxiFrench's group mentions are mostly toxic.
        # Not shipped; see docs/MODELS.md.
        fit=(
            Part("tweeteval_offensive", "train"),
            Part("toxifrench_fr", "all", 0, 60, repeat=1),
        ),
        dev=(Part("tweeteval_offensive", "val"), Part("toxifrench_fr", "all", 60, 80)),
        test=(Part("tweeteval_offensive", "test"), Part("toxifrench_fr", "all", 80, 100)),
        metric="macro_f1",
        offensive_signal=True,
    ),
    "hate": Task(
        "hate",
        fit=(Part("tweeteval_hate", "train"),),
        dev=(Part("tweeteval_hate", "val"),),
        test=(Part("tweeteval_hate", "test"),),
        metric="macro_f1",
        offensive_signal=True,
    ),
    "sentiment": Task(
        # TweetEval sentiment ships no train split and XLM-T French no test split: fit on most
        # of what there is, tune on a hashed slice, and report on the untouched files.
        "sentiment",
        fit=(Part("tweeteval_sentiment", "val", 0, 80), Part("xlmt_sentiment_fr", "train", 0, 85)),
        dev=(
            Part("tweeteval_sentiment", "val", 80, 100),
            Part("xlmt_sentiment_fr", "train", 85, 100),
        ),
        test=(Part("tweeteval_sentiment", "test"), Part("xlmt_sentiment_fr", "val")),
        metric="macro_recall",
        # 1,632 English rows only: self-training on the texts of the other English fit splits
        # (their labels are never read); the pool size per class is chosen on dev.
        unlabelled=(
            Part("tweeteval_offensive", "train"),
            Part("tweeteval_hate", "train"),
            Part("tweeteval_irony", "train"),
        ),
        self_train=(1000, 2000),
    ),
}


def bucket(text: str) -> int:
    """A stable 0..99 bucket for a text (the same on every machine and Python run)."""
    return int(hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8], 16) % 100


class DatasetError(ValueError):
    """A dataset file is missing or malformed; the message names the file (and line)."""


def read_tsv(path: Path) -> list[tuple[str, int, str]]:
    """(text, label, lang) rows of a dataset TSV (no quoting, header `text	label	lang`)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: missing (the layout --data expects: docs/MODELS.md)") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise DatasetError(f"{path}: {exc.strerror or exc}") from None
    header = lines[0].split("\t") if lines else []
    missing = [c for c in ("text", "label", "lang") if c not in header]
    if missing:
        raise DatasetError(f"{path}:1: the header has no {', '.join(missing)} column")
    ti, li, gi = header.index("text"), header.index("label"), header.index("lang")
    rows = []
    for n, line in enumerate(lines[1:], 2):
        cols = line.split("\t")
        if len(cols) == len(header) and cols[ti]:
            try:
                rows.append((cols[ti], int(cols[li]), cols[gi]))
            except ValueError:
                raise DatasetError(
                    f"{path}:{n}: label {cols[li][:20]!r} is not an integer"
                ) from None
    return rows


def load_part(root: Path, part: Part) -> Rows:
    """The rows of `part` under the dataset folder `root`."""
    rows = [r for r in read_tsv(root / part.dataset / f"{part.file}.tsv")]
    rows = [r for r in rows if part.lo <= bucket(r[0]) < part.hi]
    return Rows(
        name=part.name,
        texts=tuple(r[0] for r in rows),
        labels=tuple(r[1] for r in rows),
        languages=tuple(r[2] for r in rows),
    )
