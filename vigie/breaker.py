"""A small circuit breaker for a dependency on the webhooks' request path (Redis).

A Redis that accepts connections and never answers costs each caller a full socket timeout.
After one such failure the breaker opens: callers skip the dependency for `cooldown_s` and take
their fallback at once (rate limits count in the database, scoring waits for beat's sweep).
Then one call is let through as a trial; its success closes the breaker, its failure keeps it
open for another cooldown. Opening and closing are logged once each, at WARNING; the calls
skipped in between are not logged.

One breaker per process and dependency (vigie/runtime.py), shared by its threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
State = Literal["closed", "open", "half-open"]

COOLDOWN_S = 5.0


class BreakerOpen(Exception):
    """The dependency failed moments ago: skipped without trying."""


class CircuitBreaker:
    """Closed (calls go through), open (calls skipped until the cooldown ends), half-open (one
    trial call in flight, the others skipped)."""

    def __init__(
        self,
        name: str,
        cooldown_s: float = COOLDOWN_S,
        while_open: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.cooldown_s, self.while_open, self.clock = (
            name,
            cooldown_s,
            while_open,
            clock,
        )
        self.lock = threading.Lock()
        self.opened_at: float | None = None  # None: closed
        self.trial = False
        self.openings = 0  # how many times it opened (one per outage, not per failed trial)

    @property
    def state(self) -> State:
        with self.lock:
            if self.opened_at is None:
                return "closed"
            return "half-open" if self.trial else "open"

    def run(self, call: Callable[[], T], failures: tuple[type[BaseException], ...]) -> T:
        """`call()`, unless the breaker is open (BreakerOpen). An exception in `failures` opens
        it and is raised again; a return closes it. Other exceptions change nothing: the
        dependency answered, with an error of the caller's to handle."""
        trial = self._admit()
        try:
            result = call()
        except failures as exc:
            self._failed(exc)
            raise
        except BaseException:
            if trial:
                with self.lock:
                    # Unless a call admitted before the failure answered (closed) or failed
                    # (open anew) meanwhile: that is newer news than this error.
                    if self.trial and self.opened_at is not None:
                        self.trial = False
                        self.opened_at = self.clock() - self.cooldown_s  # the next call tries
            raise
        self._succeeded()
        return result

    def _admit(self) -> bool:
        """True for a trial call, False for a call while closed; BreakerOpen while open."""
        with self.lock:
            if self.opened_at is None:
                return False
            if self.trial or self.clock() - self.opened_at < self.cooldown_s:
                raise BreakerOpen(f"{self.name}: skipped after a failure")
            self.trial = True
            return True

    def _failed(self, exc: BaseException) -> None:
        with self.lock:
            was_closed = self.opened_at is None
            self.opened_at, self.trial = self.clock(), False
            if was_closed:
                self.openings += 1
        if was_closed:
            log.warning(
                "%s failed (%s); skipping it for %g s at a time until it answers%s",
                self.name,
                type(exc).__name__,
                self.cooldown_s,
                f": {self.while_open}" if self.while_open else "",
                extra={"dependency": self.name, "error": type(exc).__name__, "breaker": "open"},
            )

    def _succeeded(self) -> None:
        with self.lock:
            was_open = self.opened_at is not None
            self.opened_at, self.trial = None, False
        if was_open:
            log.warning(
                "%s answers again; no longer skipped",
                self.name,
                extra={"dependency": self.name, "breaker": "closed"},
            )
