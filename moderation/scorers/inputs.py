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
    if text is not None and not isinstance(text, str):
        raise InputError(f"{where}: 'text' is {type(text).__name__}, expected a string")
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
            if isinstance(value, str):
                yield Record(value)
            elif isinstance(value, dict):
                yield _from_mapping(value, f"line {n}")
            else:
                raise InputError(
                    f"line {n}: a JSON {type(value).__name__}, expected an object with a 'text'"
                    " field or a string"
                )
    elif fmt in ("tsv", "csv"):
        if fmt == "tsv":
            reader = csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.DictReader(stream)
        try:
            if reader.fieldnames is None:
                raise InputError(
                    f"empty {fmt.upper()}: expected a header line with a 'text' column"
                )
            if "text" not in reader.fieldnames:
                raise InputError(f"{fmt.upper()} header has no 'text' column: {reader.fieldnames}")
            for row in reader:
                yield _from_mapping(dict(row), f"line {reader.line_num}")
        except csv.Error as exc:  # a field past the size limit: an unclosed quote, say
            # line_num counts the lines of the records read whole: the bad one starts next
            raise InputError(f"line {reader.line_num + 1}: {exc}") from None
    else:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def open_records(path: str, fmt: str | None = None) -> tuple[list[Record], str]:
    """Every record of `path` ('-' for stdin) and the format used."""
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        raw: bytes | str = stdin.read() if stdin is not None else sys.stdin.read()
        name = "-"
    else:
        raw = Path(path).read_bytes()
        name = path
    data = _decode(raw)
    first = data.split("\n", 1)[0]
    fmt = fmt or guess_format(name, first)
    import io

    return list(read_records(io.StringIO(data, newline=""), fmt)), fmt


def _decode(raw: bytes | str) -> str:
    """UTF-8 text (a byte order mark dropped); bytes that are not UTF-8 are refused by line."""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"line {line}: bytes that are not UTF-8 (re-save the file as UTF-8)"
        ) from None


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
