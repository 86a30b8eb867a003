"""Explanations a moderator can read: which words or sentences pushed each score.

Occlusion, in the spirit of Perspective's span scores: score the comment again with each word
(or, for long comments, each sentence) left out; a span's weight is how much the score drops
without it. One extra batch per explained comment, so the scorer only explains comments that
may reach a human (see `DefaultScorer.explain_at`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from moderation.scores import Span

MAX_WORDS = 40  # longer comments are explained sentence by sentence
MAX_UNITS = 60  # and at most this many units are tried
MIN_WEIGHT = 0.05  # smaller effects are noise, not an explanation
TOP = 5  # spans kept per score
EXPLAINED = ("toxicity", "hate", "irony", "negative", "positive")

_WORD = re.compile(r"\S+")
_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")


def units(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word, or of each sentence when the text is long."""
    words = [m.span() for m in _WORD.finditer(text)]
    if len(words) <= MAX_WORDS:
        return words
    sentences = [m.span() for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    return sentences[:MAX_UNITS]


def explain(
    text: str, score_texts: Callable[[list[str]], dict[str, np.ndarray]]
) -> tuple[Span, ...]:
    """Spans of `text` that moved each score by at least MIN_WEIGHT, strongest first.

    `score_texts` maps texts to one array of probabilities per score name (see EXPLAINED).
    """
    parts = units(text)
    if len(parts) < 2:
        return ()
    variants = [text] + [(text[:s] + " " + text[e:]).strip() for s, e in parts]
    scores = score_texts(variants)
    spans: list[Span] = []
    for name in EXPLAINED:
        if name not in scores:
            continue
        values = scores[name]
        effects = [(float(values[0] - values[k + 1]), parts[k]) for k in range(len(parts))]
        strong = [e for e in effects if abs(e[0]) >= MIN_WEIGHT]
        strong.sort(key=lambda e: -abs(e[0]))
        spans.extend(
            Span(name, s, e, text[s:e], round(weight, 4)) for weight, (s, e) in strong[:TOP]
        )
    return tuple(spans)
