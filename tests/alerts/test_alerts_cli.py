import json

import numpy as np
from alert_series import rhythm
from click.testing import CliRunner

from alerts.backtest import MAX_BUCKETS
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


def test_it_names_the_line_of_a_count_that_is_not_one(tmp_path):
    """nan, inf, negative or missing counts, and nan times, are refused naming the line."""
    cases = {
        "0,1\n60,nan\n": "line 3: value: expected a count (a finite number >= 0), got 'nan'",
        "0,1\n60,inf\n": "line 3: value: expected a count (a finite number >= 0), got 'inf'",
        "0,-5\n60,1\n": "line 2: value: expected a count (a finite number >= 0), got '-5'",
        "0,1\n60\n": "line 3: value: missing",
        "0,1\nnan,1\n": "line 3: timestamp: expected ISO 8601 or epoch seconds, got 'nan'",
        "0,1\nsoon,1\n": "line 3: timestamp: expected ISO 8601 or epoch seconds, got 'soon'",
        "0,1\n\n60,x\n": "line 4: value: expected a count (a finite number >= 0), got 'x'",
        "0,1\n60," + "1" * 200_000 + "\n": "line 3: field larger than field limit (131072)",
    }
    for i, (rows, message) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.csv"
        path.write_text("timestamp,value\n" + rows)
        result = _detect(path)
        assert result.exit_code == 1
        assert result.output == f"Error: {path}: {message}\n", rows


def test_it_refuses_more_negatives_than_comments(tmp_path):
    """`negative` counts some of `value`'s comments: more negatives than comments is refused."""
    path = tmp_path / "neg.csv"
    path.write_text("timestamp,value,negative\n0,1,1\n60,1,5\n")
    result = _detect(path)
    assert result.exit_code == 1
    assert "line 3: negative 5 is more than value 1" in result.output


def test_it_refuses_rows_it_cannot_bucket(tmp_path):
    """Rows under a second apart, or a gap worth more than MAX_BUCKETS, are refused up front."""
    cases = {
        "0,1\n0.5,1\n1,1\n": "rows are less than a second apart",
        f"0,1\n60,1\n120,1\n{60 * MAX_BUCKETS},1\n": f"at most {MAX_BUCKETS:,}",
    }
    for i, (rows, message) in enumerate(cases.items()):
        path = tmp_path / f"gap{i}.csv"
        path.write_text("timestamp,value\n" + rows)
        result = _detect(path)
        assert result.exit_code == 1 and message in result.output, result.output


def test_it_reads_a_spreadsheet_export_with_a_byte_order_mark(tmp_path):
    """Excel's "CSV UTF-8" starts with a BOM and ends lines with CRLF: it is read like any CSV."""
    path = tmp_path / "excel.csv"
    text = _csv(tmp_path, False).read_text().replace("\n", "\r\n")
    path.write_bytes("\ufeff".encode() + text.encode())
    result = _detect(path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["2026-01-12T10:00:00+00:00 spike critical"]
