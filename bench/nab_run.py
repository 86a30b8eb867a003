"""NAB realTweets: run the detector over each series and score it (used by bench/alerts.py)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from alerts.backtest import detect, series_from_rows
from alerts.detector import Params
from alerts.nab import FileScore, normalised, score_file


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.split(".")[0]).replace(tzinfo=UTC).timestamp()


def load(root: Path) -> list[tuple[str, list[float], list[float], list[tuple[int, int]]]]:
    """(name, times, values, windows as row-index pairs) for each realTweets series."""
    windows = json.loads((root / "labels" / "realTweets_windows.json").read_text())
    out = []
    for key in sorted(windows):
        with (root / "data" / Path(key).name).open(newline="") as f:
            rows = list(csv.DictReader(f))
        times = [_ts(r["timestamp"]) for r in rows]
        index = {t: i for i, t in enumerate(times)}
        spans = [(index[_ts(a)], index[_ts(b)]) for a, b in windows[key]]
        out.append((Path(key).stem, times, [float(r["value"]) for r in rows], spans))
    return out


def run(data, params: Params) -> dict[str, tuple[float, list[tuple[str, FileScore]]]]:
    """Normalised score per profile, with each file's score."""
    per_file = []
    for name, times, values, spans in data:
        series = series_from_rows(times, values, None)
        hits = [d.index for d in detect(series, params, kinds=("spike",))]
        per_file.append((name, len(times), spans, hits))
    result = {}
    for profile in ("standard", "low_fp"):
        scores = [(n, score_file(rows, spans, hits, profile)) for n, rows, spans, hits in per_file]
        result[profile] = (normalised([s for _, s in scores]), scores)
    return result
