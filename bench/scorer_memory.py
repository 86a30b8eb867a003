"""Does a worker's scorer stop growing? `python bench/scorer_memory.py [EVAL_PATH] [--n 300000]`.

One process scores a long stream of distinct comments with the default stack, in batches of 32
as the workers do, and prints its resident memory (VmRSS, from /proc) every `--every`
comments, with the sizes of the scorer's own caches (token rows, word pieces, texts).

Texts: the eval folder's TSV texts when EVAL_PATH is given (real tweets: a long tail of new
words), else the synthetic comments of `bench/comments.py`; each pass over them appends a
pass number and a made-up word, so every text and many words are new to the process, which
is the worst case for caches bounded by count.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.comments import comments
from moderation.scorers.default import DefaultScorer


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def texts_from(path: Path | None) -> list[str]:
    if path is None:
        return comments(2_000, seed=3)
    found: list[str] = []
    for tsv in sorted(path.glob("*/*.tsv")):
        with tsv.open(encoding="utf-8", newline="") as f:
            found.extend(
                r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval", nargs="?", type=Path, help="folder of dataset folders (TSV)")
    parser.add_argument("--n", type=int, default=300_000, help="comments to score")
    parser.add_argument("--every", type=int, default=20_000, help="print every N comments")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="explain toxic comments as workers do (~10x slower on tweets; keeps nothing more)",
    )
    args = parser.parse_args()
    base = texts_from(args.eval)
    scorer = DefaultScorer(explain=args.explain)
    print(f"{len(base)} base texts; n={args.n}, batch {args.batch}; RSS at start {rss_mb():.0f} MB")
    print("| comments | RSS MB | comments/s | token rows used | words cached | texts cached |")
    print("|---|---|---|---|---|---|")
    done, started, last = 0, time.perf_counter(), time.perf_counter()
    while done < args.n:
        batch = []
        for i in range(done, min(done + args.batch, args.n)):
            lap, k = divmod(i, len(base))
            batch.append(base[k] if lap == 0 else f"{base[k]} {lap} zq{lap}x{k % 97}")
        scorer.score_batch(batch)
        done += len(batch)
        if done % args.every < args.batch or done == args.n:
            now = time.perf_counter()
            fast = scorer.encoder._use  # FastUSE: its per-process caches
            print(
                f"| {done:,} | {rss_mb():.0f} | {args.every / (now - last):.0f} "
                f"| {fast._used} | {len(fast._words)} | {len(scorer._cache)} |",
                flush=True,
            )
            last = now
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
