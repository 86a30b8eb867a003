import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.scorers import build_scorer
from moderation.scorers.default import DefaultScorer
from vigie.cli import main
from vigie.runtime import Runtime
from vigie.settings import Settings, SettingsError


def test_it_scores_a_tsv_file_into_one_json_line_per_row(tmp_path: Path) -> None:
    """`vigie score FILE.tsv` writes every score, the language and confidence per row."""
    path = tmp_path / "in.tsv"
    path.write_text(
        "id\ttext\n1\tYou are a disgusting idiot.\n2\tMerci beaucoup !\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["score", str(path), "--scorer", "default"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in rows] == ["1", "2"]
    assert {"toxicity", "irony", "sentiment", "language", "confidence", "hate", "spans"} <= set(
        rows[0]
    )
    assert rows[0]["toxicity"] > rows[1]["toxicity"] and rows[1]["language"] == "fr"


def test_it_scores_plain_lines_from_stdin() -> None:
    """With no file, each stdin line is one comment."""
    result = CliRunner().invoke(main, ["score", "--scorer", "lexicon"], input="hello\nsalut toi\n")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 2


def test_it_fails_clearly_on_a_table_without_text(tmp_path: Path) -> None:
    """A CSV with no text column is a usage error naming the problem, not a traceback."""
    path = tmp_path / "in.csv"
    path.write_text("body\nx\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 1 and "no 'text' column" in result.output


def test_it_chooses_the_scorer_from_vigie_scorer() -> None:
    """VIGIE_SCORER selects the stack; default is the trained default stack."""
    assert Settings.from_env({}).scorer == "default"
    assert Settings.from_env({"VIGIE_SCORER": "lexicon"}).scorer == "lexicon"
    with pytest.raises(SettingsError, match="VIGIE_SCORER"):
        Settings.from_env({"VIGIE_SCORER": "gpt"})


def test_it_builds_the_default_stack_once_per_runtime() -> None:
    """The runtime's scorer is the default stack, built once and reused."""
    runtime = Runtime(Settings.from_env({}))
    assert isinstance(runtime.scorer, DefaultScorer) and runtime.scorer is runtime.scorer


def test_it_rejects_an_unknown_scorer_name() -> None:
    """build_scorer names the scorers it knows."""
    with pytest.raises(ValueError, match="default, lexicon, transformers"):
        build_scorer("gpt")


def test_it_requires_models_for_the_transformers_scorer() -> None:
    """VIGIE_SCORER=transformers without VIGIE_TRANSFORMERS_MODELS is a configuration error."""
    with pytest.raises(SettingsError, match="VIGIE_TRANSFORMERS_MODELS"):
        Settings.from_env({"VIGIE_SCORER": "transformers"})
    with pytest.raises(SettingsError, match="VIGIE_TRANSFORMERS_MODELS"):
        Settings.from_env({"VIGIE_TRANSFORMERS_MODELS": "toxicity=detoxify:/x.ckpt"})


def test_it_names_the_file_and_line_of_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """Latin-1 bytes are refused with the file and line, not scored as replacement characters."""
    path = tmp_path / "export.tsv"
    path.write_bytes("text\nbonjour\ntr\xe8s bien\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["score", str(path), "--scorer", "lexicon"])
    assert result.exit_code == 1
    assert f"{path}: line 3: bytes that are not UTF-8" in result.output
    stdin = CliRunner().invoke(main, ["score", "--scorer", "lexicon"], input=b"ok\n\xff\n")
    assert stdin.exit_code == 1 and "stdin: line 2: bytes that are not UTF-8" in stdin.output


def test_it_reads_a_utf8_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a BOM: the header is still `text`."""
    path = tmp_path / "export.csv"
    path.write_bytes("\ufefftext\nMerci beaucoup !\n".encode())
    result = CliRunner().invoke(main, ["score", str(path), "--scorer", "lexicon"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1


def test_models_commands_name_a_missing_dataset_file(tmp_path: Path) -> None:
    """`vigie models fit-evidence --data` on the wrong folder names the file it expected."""
    result = CliRunner().invoke(main, ["models", "fit-evidence", "--data", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "tweeteval_offensive/val.tsv: missing" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
