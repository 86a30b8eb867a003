"""HateCheck-style functional checks, as a table: `python bench/functional.py`.

Prints each case of moderation/scorers/functional.py with the default stack's scores and
whether it passes, next to the lexicon scorer's verdict, then the pass rate per functionality.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run from anywhere: the project root first, so `bench.*` and the project's packages import
# (and no script in bench/ can shadow a standard-library module).
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from moderation.scorers import build_scorer  # noqa: E402
from moderation.scorers.functional import run_checks  # noqa: E402


def main() -> None:
    default = run_checks(build_scorer("default", explain=False))
    lexicon = run_checks(build_scorer("lexicon"))
    print(
        "| # | functionality | lang | comment | expected | toxicity | irony | sentiment | default | lexicon |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    by_function: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for i, ((case, s, ok), (_, _, lex_ok)) in enumerate(zip(default, lexicon, strict=True)):
        text = case.text.replace("|", "\\|")
        mark = "pass" if ok else "**FAIL**"
        print(
            f"| {i} | {case.functionality} | {case.language} | {text} | {case.expect} "
            f"| {s.toxicity:.2f} | {s.irony:.2f} | {s.sentiment} | {mark} | {'pass' if lex_ok else 'fail'} |"
        )
        by_function[case.functionality].append((ok, lex_ok))
    print("\n| functionality | cases | default passes | lexicon passes |")
    print("|---|---|---|---|")
    for name, results in by_function.items():
        print(
            f"| {name} | {len(results)} | {sum(r[0] for r in results)} | {sum(r[1] for r in results)} |"
        )
    total = len(default)
    print(f"| **all** | {total} | {sum(r[2] for r in default)} | {sum(r[2] for r in lexicon)} |")
    print("\npassing indices:", tuple(i for i, r in enumerate(default) if r[2]))


if __name__ == "__main__":
    main()
