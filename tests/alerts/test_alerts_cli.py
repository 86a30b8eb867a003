import json

import numpy as np
from alert_series import rhythm
from click.testing import CliRunner

from vigie.cli import main


def _csv(tmp_path, with_negative: bool):
    values = rhythm(8, 5.0)
    values[7 * 1440 + 600 : 7 * 1440 + 660] += 40
    negatives = values.copy()
    lines = ["timestamp,value" + (",negative" if with_negative else "")]
    for i, v in enumerate(values):
        stamp = np.datetime64("2026-01-05T00:00") + np.timedelta64(i, "m")
        lines.append(f"{stamp},{int(v)}" + (f",{int(negatives[i])}" if with_negative else ""))
    path = tmp_path / "counts.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_it_prints_one_line_per_alert(tmp_path):
    """`vigie alerts detect` prints start time, kind and severity."""
    result = CliRunner().invoke(main, ["alerts", "detect", str(_csv(tmp_path, False))])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["2026-01-12T10:00:00+00:00 spike critical"]


def test_it_prints_json_with_the_figures(tmp_path):
    """--json gives one object per alert with observed and baseline counts."""
    result = CliRunner().invoke(main, ["alerts", "detect", str(_csv(tmp_path, True)), "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["kind"] for r in rows] == ["spike"]
    assert rows[0]["observed"] > 3 * rows[0]["baseline"]


def test_it_rejects_a_file_without_the_columns(tmp_path):
    """A CSV without timestamp,value is refused with a message naming the columns."""
    path = tmp_path / "bad.csv"
    path.write_text("time,count\n1,2\n")
    result = CliRunner().invoke(main, ["alerts", "detect", str(path)])
    assert result.exit_code != 0 and "timestamp,value" in result.output


def _detect(*args):
    """Run `vigie alerts detect`; a refusal must be a message and exit code, not an exception."""
    result = CliRunner().invoke(main, ["alerts", "detect", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_it_refuses_detector_settings_out_of_range(tmp_path):
    """Negative, nan or infinite parameters (and --history-days 0) are usage errors."""
    path = _csv(tmp_path, False)
    for flag, value in [
        ("--history-days", "0"),
        ("--neighbourhood-s", "-1"),
        ("--novelty-days", "inf"),
        ("--min-z", "nan"),
    ]:
        result = _detect(path, flag, value)
        assert result.exit_code == 2 and f"Invalid value for '{flag}'" in result.output, flag


def test_it_refuses_a_file_that_is_not_utf8(tmp_path):
    """Bytes that are not UTF-8 are a message naming the file, not a UnicodeDecodeError."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"timestamp,value\n2026-01-01T00:00:00Z,1\n\xe9t\xe9,2\n")
    result = _detect(path)
    assert result.exit_code == 1
    assert f"{path}: not UTF-8 text" in result.output
