"""Hot reload: pick up edited rule files without restarting, never replacing good rules by bad.

The caller passes the time (`now`, in monotonic seconds) so that this module stays clock-free
and testable: the folder is looked at no more than once per `interval`, and only reloaded when
a file was added, removed or changed (the files are small: their content is compared, which
unlike modification times cannot miss two quick edits). Write files atomically (write a
temporary file, then rename it) so that a half-written file is never read.

With a `store` (`rules.store.RulesStore`), each new valid version is saved to the database, and
a process whose files are broken when it starts uses the newest saved version instead of
having no rules (`fallback` then names it; `error` still says what is wrong with the files).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from rules.engine import SHIPPED_DIR, rulebook_from_sources
from rules.model import RuleBook, RulesError

if TYPE_CHECKING:
    from rules.store import RulesStore

log = logging.getLogger(__name__)

Sources = dict[str, bytes]


class RulebookReloader:
    """The current rule book of a folder, and the error of the last failed reload (if any)."""

    def __init__(
        self, directory: Path | None, interval: float = 2.0, store: RulesStore | None = None
    ) -> None:
        self.directory = directory or SHIPPED_DIR
        self.interval = interval
        self.store = store
        self.error: str | None = None
        # "VERSION stored at TIME": the rules in use came from the database, not the files.
        self.fallback: str | None = None
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
                if self._book is None and self.store is not None:
                    self._from_store()
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
            if self.store is not None:
                self.store.save(book.version, sources)
        self._book, self.error, self.fallback = book, None, None

    def _from_store(self) -> None:
        """No file set was valid yet: use the newest version a process stored, if any."""
        assert self.store is not None
        found = self.store.latest()
        if found is None:
            return
        version, sources, stored_at = found
        try:
            book = rulebook_from_sources(sources, self.directory)
        except RulesError as exc:  # stored by a version of Vigie that read rules differently
            log.error("the stored rules version %s is not valid either: %s", version, exc)
            return
        self._book = book
        self.fallback = f"{version} stored at {stored_at.isoformat(timespec='seconds')}"
        log.error(
            "rule files rejected at start; using the last good version %s from the database"
            " until they are fixed: %s",
            self.fallback,
            self.error,
        )

    def _reject(self, exc: RulesError) -> None:
        if str(exc) != self.error:
            kept = self._book.version if self._book else "none"
            log.error("rule files rejected, keeping version %s: %s", kept, exc)
        self.error = str(exc)
