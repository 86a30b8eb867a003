"""Hot reload: pick up edited rule files without restarting, never replacing good rules by bad.

The caller passes the time (`now`, in monotonic seconds) so that this module stays clock-free
and testable: the folder is looked at no more than once per `interval`, and only reloaded when
a file was added, removed or changed (the files are small: their content is compared, which
unlike modification times cannot miss two quick edits). Write files atomically (write a
temporary file, then rename it) so that a half-written file is never read.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from rules.engine import SHIPPED_DIR, rulebook_from_sources
from rules.model import RuleBook, RulesError

log = logging.getLogger(__name__)

Sources = dict[str, bytes]


class RulebookReloader:
    """The current rule book of a folder, and the error of the last failed reload (if any)."""

    def __init__(self, directory: Path | None, interval: float = 2.0) -> None:
        self.directory = directory or SHIPPED_DIR
        self.interval = interval
        self.error: str | None = None
        self._book: RuleBook | None = None
        self._sources: Sources | None = None
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    def get(self, now: float) -> RuleBook:
        """The rule book to use now; raises RulesError only if no file set was ever valid."""
        with self._lock:
            due = self._checked_at is None or now - self._checked_at >= self.interval
            if due:
                self._checked_at = now
                self._refresh()
            if self._book is None:
                raise RulesError(self.error or f"{self.directory}: no rules loaded")
            return self._book

    def _refresh(self) -> None:
        try:
            sources = {p.stem: p.read_bytes() for p in sorted(self.directory.glob("*.yaml"))}
        except OSError as exc:
            self._reject(RulesError(f"{self.directory}: cannot read rule files: {exc}"))
            return
        if sources == self._sources and self._book is not None:
            return
        self._sources = sources
        try:
            book = rulebook_from_sources(sources, self.directory)
        except RulesError as exc:
            self._reject(exc)
            return
        if self._book is None or book.version != self._book.version:
            log.info("rules loaded", extra={"rules_version": book.version})
        self._book, self.error = book, None

    def _reject(self, exc: RulesError) -> None:
        if str(exc) != self.error:
            kept = self._book.version if self._book else "none"
            log.error("rule files rejected, keeping version %s: %s", kept, exc)
        self.error = str(exc)
