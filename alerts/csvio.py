"""Read a count export (`timestamp,value[,negative]`) into a Series."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import TextIO

from alerts.backtest import series_from_rows
from alerts.detector import Series


class CsvError(ValueError):
    """The file is not a usable count export; the message says which line."""


def parse_time(text: str) -> float:
    """ISO 8601 timestamp or epoch seconds; naive times are taken as UTC."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def read_series(f: TextIO) -> Series:
    reader = csv.DictReader(f)
    fields = set(reader.fieldnames or ())
    if not {"timestamp", "value"} <= fields:
        raise CsvError("expected a header with columns timestamp,value (and optionally negative)")
    has_negative = "negative" in fields
    times, values, negatives = [], [], []
    for line, row in enumerate(reader, start=2):
        try:
            times.append(parse_time(row["timestamp"]))
            values.append(float(row["value"]))
            if has_negative:
                negatives.append(float(row["negative"]))
        except (TypeError, ValueError) as exc:
            raise CsvError(f"line {line}: {exc}") from None
    try:
        return series_from_rows(times, values, negatives if has_negative else None)
    except ValueError as exc:
        raise CsvError(str(exc)) from None
