"""Toxic raids: many near-identical toxic comments from many authors in a short time.

Pure: the caller passes the recent toxic comments. Texts are normalised (case, accents,
links, mentions, digits, repeated letters, punctuation) and compared as word sets; a raid is a
cluster of at least `min_comments` comments from at least `min_authors` authors whose word
sets overlap by `min_jaccard` or more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RaidParams:
    window_s: int = 600
    min_comments: int = 8
    min_authors: int = 5
    min_jaccard: float = 0.7


@dataclass(frozen=True)
class Toxic:
    """A recent toxic comment, as the raid detector needs it."""

    comment_id: int
    author_id: str
    text: str


@dataclass(frozen=True)
class Raid:
    comment_ids: tuple[int, ...]
    authors: int
    sample: str  # the normalised text of the cluster's first comment


_NOISE = re.compile(r"https?://\S+|[@#]\w+|\d+")
_NON_WORD = re.compile(r"[^\w\s]")
_REPEATS = re.compile(r"(\w)\1{2,}")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _NOISE.sub(" ", text)
    text = _REPEATS.sub(r"\1", _NON_WORD.sub(" ", text))
    return " ".join(text.split())


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def find_raids(comments: Sequence[Toxic], p: RaidParams) -> list[Raid]:
    """Clusters of near-identical toxic comments that meet the raid thresholds."""
    clusters: list[tuple[frozenset[str], list[Toxic]]] = []
    for c in comments:
        words = frozenset(normalise(c.text).split())
        for head, members in clusters:
            if _jaccard(head, words) >= p.min_jaccard:
                members.append(c)
                break
        else:
            clusters.append((words, [c]))
    raids = []
    for _, members in clusters:
        authors = {m.author_id for m in members}
        if len(members) >= p.min_comments and len(authors) >= p.min_authors:
            ids = tuple(m.comment_id for m in members)
            raids.append(Raid(ids, len(authors), normalise(members[0].text)))
    return raids
