"""User-written regular expressions, run in linear time.

Rule writers' patterns run on attacker-written text, so a pattern such as `(a+)+$` must not be
able to stall a worker. Patterns are compiled with RE2 (google-re2), whose automaton runs in
time linear in the text for every pattern: there is no catastrophic backtracking to detect,
and no timeout (which would make decisions depend on machine load). The price is that RE2
refuses backreferences and lookaround; `vigie rules check` reports that as an error on the
line of the pattern.
"""

from __future__ import annotations

from typing import Any

import re2

# A pattern needing more than this much automaton memory is refused at check time.
MAX_PATTERN_MEMORY = 8 << 20
MAX_PATTERN_CHARS = 2_000


class RegexError(ValueError):
    """A pattern that RE2 cannot run (or runs too large)."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PATTERN_MEMORY
    return options


def compile_safe(pattern: str, max_chars: int = MAX_PATTERN_CHARS) -> Any:
    """Compile `pattern` with RE2; raise RegexError saying why it is refused."""
    if len(pattern) > max_chars:
        raise RegexError(f"longer than {max_chars} characters")
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        problem = exc.args[0] if exc.args else exc
        if isinstance(problem, bytes):
            problem = problem.decode("utf-8", "replace")
        hint = ""
        if "(?=" in pattern or "(?!" in pattern or "(?<" in pattern or "\\1" in pattern:
            hint = " (lookaround and backreferences can backtrack catastrophically: refused)"
        raise RegexError(f"does not compile under RE2: {problem}{hint}") from None
    return compiled


class PatternSet:
    """Many RE2 patterns matched in one pass over a text: which of them occur anywhere.

    One scan per comment replaces one search per text condition; RE2 sets run in linear time
    too. RE2 reports no match when a set's automaton runs out of memory, so the budget is far
    above what rule patterns over texts of at most 5,000 characters need (the tests compare a
    set's answers with one search per pattern).
    """

    def __init__(self, patterns: list[str]) -> None:
        options = _options()
        options.max_mem = 64 * MAX_PATTERN_MEMORY
        self._set = re2.Set.SearchSet(options)
        for pattern in patterns:
            self._set.Add(pattern)
        self._set.Compile()
        self.size = len(patterns)

    def matches(self, text: str) -> frozenset[int]:
        """Indexes of the patterns found in `text`."""
        if not self.size:
            return frozenset()
        return frozenset(self._set.Match(text) or ())  # None when nothing matched
