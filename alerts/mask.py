"""Mask abusive words in comments quoted in alerts (first and last letter kept)."""

from __future__ import annotations

import re

# A short EN/FR list: enough to keep a Slack channel readable, not a moderation model.
ABUSIVE = (
    "fuck", "fucking", "shit", "bullshit", "bitch", "asshole", "bastard", "cunt", "dick",
    "idiot", "idiots", "moron", "morons", "retard", "slut", "whore", "crap",
    "merde", "putain", "connard", "connards", "connasse", "salope", "encule", "enculé",
    "enculés", "pute", "abruti", "abrutis", "debile", "débile", "con", "cons", "batard", "bâtard",
)  # fmt: skip
_PATTERN = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, ABUSIVE), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def mask(text: str) -> str:
    return _PATTERN.sub(lambda m: _star(m.group(0)), text)


def _star(word: str) -> str:
    return word if len(word) <= 2 else word[0] + "*" * (len(word) - 2) + word[-1]
