"""Text normalisation and word patterns: obfuscated EN and FR words are caught, others not."""

from __future__ import annotations

import time

import pytest

from rules.regexes import PatternSet, RegexError, compile_safe
from rules.text import normalise, words_regex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IDIOT", "idiot"),
        ("Imbécile", "imbecile"),
        ("ＩＤＩＯＴ", "idiot"),
        ("1d10t", "idiot"),
        ("@ss", "ass"),
        ("sh!t", "shit"),
        ("I.D.I.O.T", "idiot"),
        ("c o n n a r d", "connard"),
        ("s-t-u-p-i-d", "stupid"),
        ("stuuuuupid", "stuupid"),
        ("zero\u200bwidth", "zerowidth"),
        ("іdiot", "idiot"),  # Cyrillic і
        ("Cœur", "coeur"),
        ("idiot!", "idiot!"),
        ("2024 was 5 stars", "2024 was 5 stars"),
        ("à bientôt", "a bientot"),
    ],
)
def test_it_normalises_case_accents_lookalikes_leet_spacing_and_stretching(
    text: str, expected: str
) -> None:
    """normalise() folds the common obfuscations and leaves plain text readable."""
    assert normalise(text) == expected


INSULTS = words_regex(["idiot", "connard", "ass", "fuck", "bande de cons", "crétin*"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("you idiot", "idiot"),
        ("You 1D10T!!", "idiot"),
        ("what an i d i o t", "idiot"),
        ("idiooooot", "idioot"),
        ("Quel CONNNNARD", "connard"),
        ("f*ck off", "f*ck"),
        ("f**k off", "f**k"),
        ("bande-de-cons", "bande-de-cons"),
        ("Bande   de   CONS", "bande   de   cons"),
        ("les crétins", "cretins"),
        ("kick his @ss", "ass"),
    ],
)
def test_it_finds_obfuscated_words(text: str, found: str) -> None:
    """Word and phrase patterns match the folded variants; group 1 is what matched."""
    match = INSULTS.search(normalise(text))
    assert match is not None
    assert match.group(1) == found


@pytest.mark.parametrize(
    "text", ["as you wish", "idiotic", "class act", "passé", "conard", "*** stars", "fuchsia"]
)
def test_it_does_not_match_inside_or_across_other_words(text: str) -> None:
    """Whole words only, and a doubled letter is not optional ("as" is not "ass")."""
    assert INSULTS.search(normalise(text)) is None


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [(r"(a+)+$", False), (r"(a|aa)+$", False), (r"(\w+\s?)*$", True), (r"(.*a){20}b", False)],
)
def test_it_runs_catastrophic_patterns_in_linear_time(pattern: str, matches: bool) -> None:
    """Patterns that make backtracking engines hang for years answer in milliseconds."""
    compiled = compile_safe(pattern)
    started = time.perf_counter()
    found = compiled.search("a" * 50_000 + "!")
    assert time.perf_counter() - started < 2.0
    assert (found is not None) is matches


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?<=a)b", r"(?!a)b", "x" * 3000])
def test_it_refuses_patterns_re2_cannot_bound(pattern: str) -> None:
    """Backreferences, lookaround and huge patterns are refused at check time."""
    with pytest.raises(RegexError):
        compile_safe(pattern)


def test_it_matches_a_pattern_set_like_separate_searches() -> None:
    """One set scan answers exactly like one search per pattern."""
    sources = [r"free\s+crypto", r"\bkys\b", r"(?:^|[^\pL])(idiot)(?:$|[^\pL])", r"\d{5,}"]
    patterns = PatternSet(sources)
    for text in ["free   crypto now", "kys", "an idiot 12345", "nothing here", ""]:
        expected = {i for i, s in enumerate(sources) if compile_safe(s).search(text)}
        assert patterns.matches(text) == expected
