from pathlib import Path

import numpy as np

from moderation.scorers.heads import Head, HeadSet, load_heads, save_heads


def _head(rng: np.random.Generator, classes: tuple[str, ...]) -> Head:
    out = 1 if len(classes) == 2 else len(classes)
    return Head(
        name="h",
        classes=classes,
        weights=(
            rng.normal(size=(6, 4)).astype(np.float32),
            rng.normal(size=(4, out)).astype(np.float32),
        ),
        biases=(rng.normal(size=4).astype(np.float32), rng.normal(size=out).astype(np.float32)),
        mean=rng.normal(size=6).astype(np.float32),
        scale=np.ones(6, dtype=np.float32),
        uses_lexical=True,
        cal_scale=0.7,
        cal_bias=np.zeros(out, dtype=np.float32),
        threshold=0.4,
        info={"dev": 70.0},
    )


def test_it_saves_and_loads_heads_without_pickles(tmp_path: Path) -> None:
    """Heads written to .npz load back (allow_pickle=False) and predict the same."""
    rng = np.random.default_rng(0)
    heads = HeadSet(
        "v1", {"a": _head(rng, ("no", "yes")), "b": _head(rng, ("n", "o", "p"))}, {"k": 1}
    )
    path = tmp_path / "heads.npz"
    save_heads(path, heads)
    loaded = load_heads(path)
    x = rng.normal(size=(5, 6)).astype(np.float32)
    assert (loaded.version, loaded.meta, loaded.heads["a"].threshold) == ("v1", {"k": 1}, 0.4)
    for name in ("a", "b"):
        np.testing.assert_allclose(
            loaded.heads[name].probabilities(x), heads.heads[name].probabilities(x), rtol=1e-6
        )


def test_it_gives_probabilities_that_sum_to_one() -> None:
    """Multi-class heads return a distribution per row; binary heads a probability in [0, 1]."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 6)).astype(np.float32) * 100
    multi = _head(rng, ("n", "o", "p")).probabilities(x)
    binary = _head(rng, ("no", "yes")).probabilities(x)
    np.testing.assert_allclose(multi.sum(axis=1), 1.0, rtol=1e-5)
    assert binary.shape == (8,) and ((binary >= 0) & (binary <= 1)).all()


def test_it_ships_every_head_in_the_package() -> None:
    """The packaged heads.npz holds the toxicity, hate, irony and sentiment heads."""
    heads = load_heads()
    assert set(heads.heads) == {"toxicity", "hate", "irony", "sentiment"}


def test_it_shifts_irony_to_the_stream_prior_without_changing_decisions() -> None:
    """Moving probabilities to a 15% prior lowers them but keeps every thresholded decision."""
    from moderation.scorers.training import shift_prior

    rng = np.random.default_rng(2)
    head = _head(rng, ("no", "yes"))
    x = rng.normal(size=(200, 6)).astype(np.float32)
    shifted = shift_prior(head, dev_rate=0.5, prior=0.15)
    before, after = head.probabilities(x), shifted.probabilities(x)
    assert (after < before).all()
    assert ((before >= head.threshold) == (after >= shifted.threshold)).all()
