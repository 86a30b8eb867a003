"""Gather the new comment ids of one web process's requests into scoring tasks of up to 100.

Platforms mostly push one comment per webhook. One task per comment makes the workers score
one text at a time, several times slower than in batches (docs/RELIABILITY.md, Load). Ids are
committed before the 202; the coalescer sends them within VIGIE_ENQUEUE_WAIT seconds, or at
once when a task's worth is waiting. If the process dies in between, beat's sweep re-enqueues
those comments after VIGIE_RESCUE_AFTER, as it does when the broker is down.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

Send = Callable[[list[int]], None]


class Coalescer:
    """Buffers ids; sends full chunks at once and the rest `wait_s` after the first arrived."""

    def __init__(self, send: Send, chunk: int, wait_s: float) -> None:
        self.send, self.chunk, self.wait_s = send, chunk, wait_s
        self.lock = threading.Lock()
        self.waiting: list[int] = []
        self.timer: threading.Timer | None = None
        atexit.register(self.flush)

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

    def _send_all(self, ids: list[int]) -> None:
        for start in range(0, len(ids), self.chunk):
            self.send(ids[start : start + self.chunk])
