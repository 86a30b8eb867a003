"""Pieces of head training that run without the benchmark datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moderation.scorers.datasets import Part
from moderation.scorers.default import DefaultScorer
from moderation.scorers.encoder import DIM
from moderation.scorers.heads import Head
from moderation.scorers.training import Split, load_split, log_loss, part_label, pseudo_labelled


def test_log_loss_is_the_mean_negative_log_likelihood() -> None:
    y = np.array([0, 1, 1])
    probs = np.array([0.2, 0.9, 0.6])  # positive class
    expected = -np.mean(np.log([0.8, 0.9, 0.6]))
    assert log_loss(y, probs) == pytest.approx(expected)


def test_balanced_log_loss_weighs_every_class_equally() -> None:
    y = np.array([0, 0, 0, 1])
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.5, 0.5]])
    plain = -np.mean(np.log([0.9, 0.9, 0.9, 0.5]))
    balanced = -(np.log(0.9) + np.log(0.5)) / 2
    assert log_loss(y, probs) == pytest.approx(plain)
    assert log_loss(y, probs, balanced=True) == pytest.approx(balanced)


def _linear_head(classes: tuple[str, ...]) -> Head:
    """A head whose logit k is the k-th embedding column (no hidden layer, no calibration)."""
    k = len(classes) if len(classes) > 2 else 1
    w = np.zeros((DIM, k), dtype=np.float32)
    w[np.arange(k), np.arange(k)] = 1.0
    return Head(
        "t",
        classes,
        (w,),
        (np.zeros(k, dtype=np.float32),),
        np.zeros(DIM, dtype=np.float32),
        np.ones(DIM, dtype=np.float32),
        uses_lexical=False,
        cal_bias=np.zeros(k, dtype=np.float32),
    )


def test_pseudo_labelled_keeps_the_surest_rows_of_each_class_with_the_heads_labels() -> None:
    head = _linear_head(("negative", "neutral", "positive"))
    x = np.zeros((6, DIM + 3), dtype=np.float32)  # lexical columns are ignored by this head
    # rows 0-1 read negative (row 1 surer), 2 neutral, 3-5 positive (row 5 surest)
    x[[0, 1, 2, 3, 4, 5], [0, 0, 1, 2, 2, 2]] = [1.0, 5.0, 2.0, 1.0, 3.0, 6.0]
    pool = Split(x, np.full(6, -1), tuple(np.array([i], dtype=np.int64) for i in range(6)))
    picked = pseudo_labelled(head, pool, per_class=1)
    np.testing.assert_array_equal(picked.y, [0, 1, 2])
    np.testing.assert_array_equal(picked.x, x[[1, 2, 5]])
    assert [int(g[0]) for g in picked.ngrams] == [1, 2, 5]


def test_pseudo_labelled_binary_head_labels_both_classes() -> None:
    head = _linear_head(("no", "yes"))
    x = np.zeros((4, DIM), dtype=np.float32)
    x[:, 0] = [-3.0, -1.0, 0.5, 4.0]
    pool = Split(x, np.zeros(4, dtype=np.int64), tuple(np.zeros(0, np.int64) for _ in range(4)))
    picked = pseudo_labelled(head, pool, per_class=1)
    np.testing.assert_array_equal(picked.y, [0, 1])
    np.testing.assert_array_equal(picked.x[:, 0], [-3.0, 4.0])


def test_load_split_repeats_a_parts_rows_and_caches_its_features(
    tmp_path: Path, scorer: DefaultScorer
) -> None:
    folder = tmp_path / "data" / "tiny"
    folder.mkdir(parents=True)
    rows = ["text\tlabel\tlang", "you are kind\t0\ten", "you idiot\t1\ten", "merci bien\t0\tfr"]
    (folder / "train.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "val.tsv").write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")
    cache = tmp_path / "cache"
    parts = (Part("tiny", "train", repeat=3), Part("tiny", "val"))
    split = load_split(tmp_path / "data", parts, cache, scorer.encoder, scorer.lexicon)
    np.testing.assert_array_equal(split.y, [0, 1, 0] * 3 + [0])
    assert len(split.x) == len(split.ngrams) == 10
    np.testing.assert_array_equal(split.x[0], split.x[3])  # the same row, repeated
    np.testing.assert_allclose(split.x[9], split.x[0], atol=1e-4)  # same text, other batch
    assert len(list(cache.glob("*.npy"))) == 2  # one cached file per part, not per repeat
    assert part_label(parts[0]) == "tiny/train x3" and part_label(parts[1]) == "tiny/val"


def test_dataset_files_are_checked_with_their_name_and_line(tmp_path: Path) -> None:
    """A missing file, a header without the columns, a label that is not a number."""
    from moderation.scorers.datasets import DatasetError, read_tsv

    with pytest.raises(DatasetError, match=r"nope\.tsv: missing"):
        read_tsv(tmp_path / "nope.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_text("text\tlabel\nhello\t1\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad.tsv:1: the header has no lang column"):
        read_tsv(bad)
    bad.write_text("text\tlabel\tlang\nhello\t1\ten\nbye\tpositive\ten\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad.tsv:3: label 'positive' is not an integer"):
        read_tsv(bad)


def test_only_the_tasks_offered_it_read_the_profanity_signal() -> None:
    from moderation.scorers.datasets import TASKS
    from moderation.scorers.lexical import FEATURES
    from moderation.scorers.training import width

    assert FEATURES[-1] == "profanity"
    assert {n for n, t in TASKS.items() if t.offensive_signal} == {"toxicity", "hate"}
    assert width(TASKS["toxicity"], True) == DIM + len(FEATURES)
    assert width(TASKS["sentiment"], True) == DIM + len(FEATURES) - 1
    assert width(TASKS["toxicity"], False) == width(TASKS["irony"], False) == DIM
