"""The copy of alt-profanity-check's SVM the heads read as a lexical signal."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from moderation.scorers.lexical import FEATURES, lexical_features
from moderation.scorers.profanity import PROBES, ProfanityModel, load_profanity
from moderation.scoring import LexiconScorer
from vigie.cli import main


def test_the_numpy_copy_gives_the_packages_own_probabilities() -> None:
    model = load_profanity()
    # Reference values written by the package itself (scikit-learn) when the file was made.
    assert model.meta["probes"] == list(PROBES)
    expected = np.asarray(model.meta["probe_probabilities"])
    np.testing.assert_allclose(model.probabilities(PROBES), expected, atol=1e-9)
    assert "alt-profanity-check" in model.meta["source"]


def test_it_reads_abuse_as_likelier_offensive_than_a_question() -> None:
    p = load_profanity().probabilities(
        ["shut up you stupid bitch", "What time does the store open on Sunday?", ""]
    )
    assert p[0] > 0.9 > 0.2 > p[1]
    assert 0 < p[2] < 0.5  # no known word: the intercepts alone, a defined low value


def test_case_and_repetition_are_read_as_the_package_reads_them() -> None:
    model = load_profanity()
    a, b, c = model.probabilities(["IDIOT", "idiot", "idiot idiot idiot"])
    assert a == b  # lower-cased first
    assert c == pytest.approx(b)  # the TF-IDF row is unit length: repetition changes nothing


def test_it_is_the_last_lexical_feature_in_log_odds() -> None:
    lexicon = LexiconScorer()
    texts = ["you stupid bitch", "merci pour votre aide"]
    rows = lexical_features(lexicon, texts, ["en", "fr"])
    assert rows.shape == (2, len(FEATURES)) and FEATURES[-1] == "profanity"
    p = load_profanity().probabilities(texts)
    np.testing.assert_allclose(rows[:, -1], np.clip(np.log(p / (1 - p)), -10, 10), rtol=1e-5)
    assert rows[0, -1] == 10.0  # p = 1 - 6e-11: clipped
    assert rows[1, -1] < -1  # French words are mostly unknown to it: its intercepts, low


def test_a_missing_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing\.npz"):
        ProfanityModel(tmp_path / "nothing.npz")


def test_import_without_the_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "profanity_check", None)  # import fails as if absent
    result = CliRunner().invoke(main, ["models", "import-profanity", "--out", "/tmp/x.npz"])
    assert result.exit_code == 1
    assert "pip install 'vigie[train]'" in result.output
