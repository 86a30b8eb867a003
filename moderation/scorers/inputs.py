"""Texts to score from files: TSV or CSV with a `text` column, JSONL, or plain lines."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

FORMATS = ("tsv", "csv", "jsonl", "lines")
_LANGUAGE_COLUMNS = ("lang", "language")


class InputError(ValueError):
    """The input cannot be read as the given format; the message says where."""


@dataclass(frozen=True)
class Record:
    """One text to score, with its optional id and language hint from the input."""

    text: str
    id: str | None = None
    language: str | None = None


def guess_format(name: str, first_line: str) -> str:
    """The format of a file from its suffix, else from its first line."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in ("tsv", "csv", "jsonl"):
        return suffix
    if suffix in ("ndjson", "json"):
        return "jsonl"
    stripped = first_line.lstrip()
    if stripped.startswith("{"):
        return "jsonl"
    if "text" in first_line.rstrip("\r\n").split("\t"):
        return "tsv"
    if "text" in next(csv.reader([first_line]), []):
        return "csv"
    return "lines"


def _from_mapping(row: dict[str, object], where: str) -> Record:
    if "text" not in row:
        raise InputError(f"{where}: no 'text' field")
    text = row["text"]
    language = next((row[c] for c in _LANGUAGE_COLUMNS if row.get(c)), None)
    return Record(
        text="" if text is None else str(text),
        id=None if row.get("id") in (None, "") else str(row["id"]),
        language=None if language is None else str(language),
    )


def read_records(stream: TextIO, fmt: str) -> Iterator[Record]:
    """Records from an open text stream in format `fmt` (one of FORMATS)."""
    if fmt == "lines":
        for line in stream:
            yield Record(line.rstrip("\r\n"))
    elif fmt == "jsonl":
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"line {n}: not JSON ({exc.msg})") from None
            yield Record(value) if isinstance(value, str) else _from_mapping(value, f"line {n}")
    elif fmt in ("tsv", "csv"):
        if fmt == "tsv":
            reader = csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.DictReader(stream)
        if reader.fieldnames is None or "text" not in reader.fieldnames:
            raise InputError(f"{fmt.upper()} header has no 'text' column: {reader.fieldnames}")
        for n, row in enumerate(reader, 2):
            yield _from_mapping(dict(row), f"line {n}")
    else:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def open_records(path: str, fmt: str | None = None) -> tuple[list[Record], str]:
    """Every record of `path` ('-' for stdin) and the format used."""
    if path == "-":
        data = sys.stdin.read()
        name = "-"
    else:
        data = Path(path).read_text(encoding="utf-8", errors="replace")
        name = path
    first = data.split("\n", 1)[0]
    fmt = fmt or guess_format(name, first)
    import io

    return list(read_records(io.StringIO(data, newline=""), fmt)), fmt


def batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Consecutive lists of at most `size` records."""
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
