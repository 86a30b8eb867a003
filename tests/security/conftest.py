"""The review queue's fixtures (users, tokens, items, its app and client) for these tests."""

from tests.queue.conftest import api, db, review_app, review_runtime, review_settings

__all__ = ["api", "db", "review_app", "review_runtime", "review_settings"]
