"""Read a count export (`timestamp,value[,negative]`) into a Series."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from typing import TextIO

from alerts.backtest import series_from_rows
from alerts.detector import Series

# Epoch seconds of 0001-01-01 and 9999-12-31T23:59:59 UTC: times an alert can be printed at.
_EARLIEST, _LATEST = -62_135_596_800.0, 253_402_300_799.0


class CsvError(ValueError):
    """The file is not a usable count export; the message says which line."""


def parse_time(text: str) -> float:
    """ISO 8601 timestamp or epoch seconds; naive times are taken as UTC."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp()
    if not _EARLIEST <= seconds <= _LATEST:  # also refuses nan and inf
        raise ValueError(f"{text!r} is out of range")
    return seconds


def _field(row: dict[str, str | None], name: str) -> str:
    value = row.get(name)
    if value is None:
        raise CsvError(f"{name}: missing")
    return value


def _count(row: dict[str, str | None], name: str) -> float:
    raw = _field(row, name)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise CsvError(f"{name}: expected a count (a finite number >= 0), got {raw!r}")
    return value


def _time(row: dict[str, str | None]) -> float:
    raw = _field(row, "timestamp")
    try:
        return parse_time(raw)
    except (ValueError, OverflowError):
        raise CsvError(f"timestamp: expected ISO 8601 or epoch seconds, got {raw!r}") from None


def read_series(f: TextIO) -> Series:
    """The counts of a CSV export; errors name the line (blank lines count, as in an editor)."""
    reader = csv.DictReader(f)
    times: list[float] = []
    values: list[float] = []
    negatives: list[float] = []
    try:
        fields = set(reader.fieldnames or ())
    except csv.Error as exc:
        raise CsvError(f"line 1: {exc}") from None
    if not {"timestamp", "value"} <= fields:
        raise CsvError("expected a header with columns timestamp,value (and optionally negative)")
    has_negative = "negative" in fields
    try:
        for row in reader:
            times.append(_time(row))
            values.append(_count(row, "value"))
            if has_negative:
                negatives.append(_count(row, "negative"))
                if negatives[-1] > values[-1]:
                    raise CsvError(f"negative {row['negative']} is more than value {row['value']}")
    except (CsvError, csv.Error) as exc:  # csv.Error: e.g. a field over the module's size limit
        # The underlying reader's count: DictReader's lags behind when a row fails to parse.
        raise CsvError(f"line {reader.reader.line_num}: {exc}") from None
    try:
        return series_from_rows(times, values, negatives if has_negative else None)
    except ValueError as exc:
        raise CsvError(str(exc)) from None
