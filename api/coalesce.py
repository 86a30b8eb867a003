"""Gather the new comment ids of one web process's requests into scoring tasks of up to 100.

Platforms mostly push one comment per webhook. One task per comment makes the workers score
one text at a time, several times slower than in batches (docs/RELIABILITY.md, Load). Ids are
committed before the 202; the coalescer sends them within VIGIE_ENQUEUE_WAIT seconds, or at
once when a task's worth is waiting. If the process dies in between, beat's sweep re-enqueues
those comments after VIGIE_RESCUE_AFTER, as it does when the broker is down.

Ids whose task could not be sent (the broker down, or skipped by its circuit breaker after a
failure) are held and sent again every `retry_s`, from a timer thread rather than a request, so
a Redis back after a few seconds scores them within about a second instead of waiting for the
sweep. The sweep stays the net: past `max_held` ids, or after `give_up_s` (VIGIE_RESCUE_AFTER,
when the sweep re-enqueues them anyway) the held ids are dropped from memory.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

Send = Callable[[list[int]], bool]  # True once the task is sent


class Coalescer:
    """Buffers ids; sends full chunks at once and the rest `wait_s` after the first arrived."""

    def __init__(
        self,
        send: Send,
        chunk: int,
        wait_s: float,
        retry_s: float = 1.0,
        max_held: int = 10_000,
        give_up_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.send, self.chunk, self.wait_s = send, chunk, wait_s
        self.retry_s, self.max_held, self.give_up_s, self.clock = (
            retry_s,
            max_held,
            give_up_s,
            clock,
        )
        self.lock = threading.Lock()
        self.waiting: list[int] = []
        self.timer: threading.Timer | None = None
        self.held: list[int] = []  # not sent: the broker failed or was skipped
        # When each held id was first refused: each is given up on its own time, since the
        # sweep re-enqueues a comment VIGIE_RESCUE_AFTER after it was stored, not after the
        # oldest held one was.
        self.refused_at: dict[int, float] = {}
        self.retry_timer: threading.Timer | None = None
        self.closed = False
        atexit.register(self.flush_at_exit)

    def add(self, ids: list[int]) -> None:
        if self.wait_s <= 0:
            self._send_all(ids)
            return
        full: list[int] = []
        with self.lock:
            self.waiting.extend(ids)
            cut = len(self.waiting) - len(self.waiting) % self.chunk
            full, self.waiting = self.waiting[:cut], self.waiting[cut:]
            if self.waiting and self.timer is None:
                self.timer = threading.Timer(self.wait_s, self.flush)
                self.timer.daemon = True
                self.timer.start()
        self._send_all(full)

    def flush(self) -> None:
        """Send whatever waits now."""
        with self.lock:
            ids, self.waiting = self.waiting, []
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
        self._send_all(ids)

    def flush_at_exit(self) -> None:
        """Send whatever waits, once: nothing is held for a retry (the process is exiting, and
        from Python 3.12 an atexit handler cannot start the retry timer's thread)."""
        with self.lock:
            self.closed = True
        self.flush()

    def retry(self) -> None:
        """Send the held ids again (the retry timer's job); those past `give_up_s`, drop."""
        with self.lock:
            ids, self.held = self.held, []
            since, self.refused_at = self.refused_at, {}
            if self.retry_timer is not None:
                self.retry_timer.cancel()  # when called before it fires
                self.retry_timer = None
        now = self.clock()
        kept = [i for i in ids if now - since[i] <= self.give_up_s]
        if len(kept) < len(ids):
            log.info(
                "comments held too long for the broker; beat's sweep will enqueue them",
                extra={"comments": len(ids) - len(kept)},
            )
        self._send_all(kept, since)

    def close(self) -> None:
        """Stop the timers; what waits or is held is left to beat's sweep."""
        with self.lock:
            self.closed = True
            for timer in (self.timer, self.retry_timer):
                if timer is not None:
                    timer.cancel()
            self.timer = self.retry_timer = None
            self.waiting, self.held, self.refused_at = [], [], {}

    def _send_all(self, ids: list[int], since: Mapping[int, float] | None = None) -> None:
        unsent: list[int] = []
        for start in range(0, len(ids), self.chunk):
            part = ids[start : start + self.chunk]
            # After one failure the broker is skipped for a while: hold the rest untried.
            if unsent or not self.send(part):
                unsent.extend(part)
        if unsent:
            self._hold(unsent, since)

    def _hold(self, ids: list[int], since: Mapping[int, float] | None) -> None:
        """Keep `ids` for the retry timer; `since`: when they were first refused (absent: now)."""
        now = self.clock()
        with self.lock:
            if self.closed:
                return
            room = max(0, self.max_held - len(self.held))
            self.held.extend(ids[:room])
            for one in ids[:room]:
                self.refused_at[one] = since.get(one, now) if since else now
            if self.held and self.retry_timer is None:
                self.retry_timer = threading.Timer(self.retry_s, self.retry)
                self.retry_timer.daemon = True
                self.retry_timer.start()
        if len(ids) > room:
            log.info(
                "too many comments held for the broker; beat's sweep will enqueue the rest",
                extra={"comments": len(ids) - room},
            )
