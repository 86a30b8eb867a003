"""Fast lexical signals fed to the heads next to the sentence embedding.

Word lists (safetype abuse packs), sentiment lexicons (VADER, textblob-fr) and irony markers
from `LexiconScorer`, a few surface cues, and an English offensive-language SVM trained on
other data (`profanity`). Each is one column of a small feature matrix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from moderation.scorers.profanity import load_profanity
from moderation.scoring import (
    _IRONY_MARKERS,
    _SEVERITY_TOXICITY,
    LexiconScorer,
    praise_and_complaint,
)

FEATURES = (
    "abuse",  # strongest safetype match, mapped to a toxicity-like score
    "abuse_targeted",  # harassment or hate match (an attack, not just a swear word)
    "polarity",  # lexicon sentiment polarity in [-1, 1] for the text's language
    "irony_marker",  # explicit irony markers (/s, 🙄, "merci pour rien")
    "praise_complaint",  # praise and complaint words together
    "exclamations",
    "questions",
    "upper_ratio",
    "emoji_ratio",
    "second_person",  # "you", "tu", "vous": aimed at someone
    "profanity",  # log-odds of alt-profanity-check's English SVM (see `profanity`), ±10
)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf]")
_SECOND_PERSON = re.compile(r"\b(?:you|your|u|ur|tu|toi|t'|vous|ta|ton|tes)\b", re.IGNORECASE)
_TARGETED = {"harassment", "hate"}
_LEXICON_LANGUAGES = ("en", "fr")  # VADER and textblob-fr: other languages get no polarity


def lexical_row(
    lexicon: LexiconScorer, text: str, language: str, found: list | None = None
) -> list[float]:
    """The FEATURES of one cleaned text but the last (`profanity`, computed per batch).

    safetype's matches are appended to `found` if given.
    """
    matches = lexicon._abuse.moderate(text).matches if text else []
    if found is not None:
        found.append(matches)
    letters = [ch for ch in text if ch.isalpha()]
    n = max(len(text), 1)
    return [
        max((_SEVERITY_TOXICITY.get((m.category, m.severity), 0.3) for m in matches), default=0.03),
        float(any(m.category in _TARGETED for m in matches)),
        lexicon.polarity(text, language) if text and language in _LEXICON_LANGUAGES else 0.0,
        float(bool(_IRONY_MARKERS.search(text))),
        float(praise_and_complaint(text)),
        min(text.count("!"), 5) / 5,
        min(text.count("?"), 5) / 5,
        sum(ch.isupper() for ch in letters) / max(len(letters), 1),
        min(len(_EMOJI.findall(text)) / n * 10, 1.0),
        float(bool(_SECOND_PERSON.search(text))),
    ]


def lexical_features(
    lexicon: LexiconScorer,
    texts: Sequence[str],
    languages: Sequence[str],
    found: list | None = None,
) -> np.ndarray:
    """The FEATURES of each text, as a float32 matrix (safetype's matches into `found`)."""
    rows = [lexical_row(lexicon, t, lang, found) for t, lang in zip(texts, languages, strict=True)]
    p = np.clip(load_profanity().probabilities(texts), 1e-9, 1 - 1e-9)
    profanity = np.clip(np.log(p / (1 - p)), -10.0, 10.0)
    out = np.empty((len(texts), len(FEATURES)), dtype=np.float32)
    out[:, :-1] = np.asarray(rows, dtype=np.float32).reshape(len(texts), len(FEATURES) - 1)
    out[:, -1] = profanity
    return out
