"""Load shedding: refuse new comments while the backlog is too long, before storing anything.

When more than VIGIE_MAX_BACKLOG comments wait for a decision, the webhooks answer
503 `overloaded` with Retry-After instead of accepting more: senders retry later (platforms
do), the backlog stays bounded, and so does the time from a comment to its decision, which is
what keeps crisis alerts on time in a storm. Nothing already accepted is touched.
The Meta webhook does not shed (Meta unsubscribes a webhook that keeps failing): its comments
are stored and join the backlog.
"""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import runtime
from api.errors import ApiError
from moderation.models import Comment, CommentStatus

RETRY_AFTER_S = 5


class Backlog:
    """Undecided comments, counted at most every `ttl_s` per process (bounded, cheap query)."""

    def __init__(self, sessions: sessionmaker[Session], limit: int, ttl_s: float = 1.0) -> None:
        self.sessions, self.limit, self.ttl_s = sessions, limit, ttl_s
        self.lock = threading.Lock()
        self.counted_at = float("-inf")
        self.count = 0

    def current(self, now: float) -> int:
        """Undecided comments, up to limit + 1 (past the limit, how far does not matter)."""
        with self.lock:
            if now - self.counted_at >= self.ttl_s:
                pending = (
                    select(Comment.id)
                    .where(Comment.status == CommentStatus.PENDING)
                    .limit(self.limit + 1)
                    .subquery()
                )
                with self.sessions() as session:
                    self.count = int(session.scalar(select(func.count()).select_from(pending)) or 0)
                self.counted_at = now
            return self.count

    def check(self) -> None:
        """Raise 503 overloaded when the backlog is over the limit."""
        if self.limit and self.current(time.monotonic()) > self.limit:
            raise ApiError(
                503,
                "overloaded",
                f"more than {self.limit} comments are waiting for a decision; retry later",
                retry_after=RETRY_AFTER_S,
            )


def shed_if_overloaded() -> None:
    """The webhooks' check, with one Backlog per app (so per web process)."""
    gauge = current_app.extensions.get("vigie_backlog")
    if gauge is None:
        rt = runtime()
        gauge = current_app.extensions.setdefault(
            "vigie_backlog", Backlog(rt.sessions, rt.settings.max_backlog)
        )
    gauge.check()
