"""What the models read: cleaned text with social-media noise folded away.

Training and scoring both go through `model_text`, so the heads see at run time exactly the
kind of text they were trained on.
"""

from __future__ import annotations

import re

from moderation.scoring import clean_text

MAX_MODEL_CHARS = 2_000  # the encoder reads the first 2,000 characters (documented truncation)

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w{1,30}")
_ELONGATED = re.compile(r"(\w)\1{2,}")  # "connnnard" -> "connard", "sooo" -> "soo"
_LEET_WORD = re.compile(r"(?<![\w$])[\w$]*[0-9$][a-z][\w$]*", re.IGNORECASE)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"})
_SPACES = re.compile(r"\s+")


def unleet(word: str) -> str:
    """Map digits used as letters back to letters ("1d10t" -> "idiot"); plain numbers are kept."""
    return word.translate(_LEET)


def model_text(text: str) -> str:
    """Clean `text` for the encoder: URLs and mentions as in the training data, no elongation."""
    text = clean_text(text)[:MAX_MODEL_CHARS]
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    text = _ELONGATED.sub(r"\1\1", text)
    text = _LEET_WORD.sub(lambda m: unleet(m.group(0)), text)
    return _SPACES.sub(" ", text).strip()
