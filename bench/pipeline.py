"""Where a worker's time goes: the scoring task's parts, in one process, on PostgreSQL.

    .venv/bin/python bench/pipeline.py [--scorer default] [--n 1000]

Stores --n comments (bench/load.py's) in a fresh database, then runs the worker's
`workers.tasks.score` on chunks of 100 as the Celery task does, timing loading the texts,
scoring them (the models) and deciding (rules, decision rows, outbox, alert counts). Prints
comments/s through the whole task and through the scorer alone: their ratio is how far the
pipeline keeps pace with the models.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import make_comment, pg_database  # noqa: E402
from moderation.ingest import CommentIn, store_comments  # noqa: E402
from vigie.runtime import Runtime  # noqa: E402
from vigie.settings import Settings  # noqa: E402
from workers import tasks  # noqa: E402


def timed(spent: dict[str, float], key: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scorer", default="default", choices=["default", "lexicon"])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with pg_database() as url, tempfile.TemporaryDirectory() as tmp:
        environ = {"DATABASE_URL": url, "VIGIE_SCORER": args.scorer, "VIGIE_DATA_DIR": tmp}
        rt = Runtime(Settings.from_env(environ))
        items = [CommentIn.model_validate(make_comment(f"p-{i}", i)) for i in range(args.n + 100)]
        with rt.sessions.begin() as session:
            ids = store_comments(session, items, "demo", datetime.now(UTC)).new_ids
        tasks.score(rt, ids[:100])  # loads the models
        spent = dict.fromkeys(("load texts", "score (models)", "decide"), 0.0)
        for key, name in (
            ("load texts", "pending_texts"),
            ("score (models)", "score_texts"),
            ("decide", "decide"),
        ):
            setattr(tasks, name, timed(spent, key, getattr(tasks, name)))
        started = time.perf_counter()
        for start in range(100, len(ids), 100):
            tasks.score(rt, ids[start : start + 100])
        total = time.perf_counter() - started
        rt.close()
    n = len(ids) - 100
    shares = ", ".join(f"{k} {v / total:.0%}" for k, v in spent.items())
    print(
        f"{args.scorer}: {n / total:.0f} comments/s through the scoring task, "
        f"{n / spent['score (models)']:.0f}/s through the models alone ({shares}; "
        f"load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
