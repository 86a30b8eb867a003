"""The scorer interface and Vigie's lexical scorer.

A scorer turns texts into `Scores`. Workers load one scorer per process and call
`score_batch`; everything else only sees `Scores`.

`LexiconScorer` is the light default: language identification (py3langid), explicit abuse
(safetype's EN and FR packs), lexicon sentiment (VADER for English, textblob-fr for French) and
a small set of irony markers. It is deterministic, needs no downloads and is fast; trained heads
replace or complement it where they are installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Protocol

from moderation.scores import Scores

SUPPORTED_LANGUAGES = ("en", "fr")
# Languages the identifier may answer; anything else is "und" (undetermined).
IDENTIFIED_LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl")
UNDETERMINED = "und"
MIN_LANGUAGE_PROB = 0.5
# Prior weights of the identified languages (unlisted: 1). Vigie's users write mostly English
# and French, and a short comment's letters say little ("quel abruti ce mec": Italian 0.55,
# French 0.35 without a prior), so en and fr count 3 times as likely a priori. Chosen on
# training texts (TweetEval irony/offensive train, XLM-T French train): English identified
# right 96.3% -> 97.9% (short comments, <= 6 words, 80.9% -> 90.9%), French 99.3% -> 99.6%;
# weights 4 and 6 gained less than they cost on a hand set of 32 short es/de/it/pt/nl phrases
# (28 right with no prior, 27 with 3 -- the miss becomes "und" --, 25 with 6). Deployments
# whose comments are in other languages set VIGIE_LANGUAGE_WEIGHTS.
DEFAULT_LANGUAGE_WEIGHTS: dict[str, float] = {"en": 3.0, "fr": 3.0}
MAX_SCORED_CHARS = 5_000  # longer texts are scored on their first 5,000 characters

# safetype reports a category and a severity per match; this is how strongly each one
# indicates a toxic comment (an insult aimed at someone weighs more than a swear word).
_SEVERITY_TOXICITY = {
    ("harassment", "high"): 0.95,
    ("harassment", "medium"): 0.85,
    ("harassment", "low"): 0.6,
    ("hate", "high"): 0.97,
    ("hate", "medium"): 0.9,
    ("hate", "low"): 0.7,
    ("sexual", "high"): 0.8,
    ("sexual", "medium"): 0.6,
    ("profanity", "high"): 0.6,
    ("profanity", "medium"): 0.4,
    ("profanity", "low"): 0.25,
}
_BASE_TOXICITY = 0.03

_IRONY_MARKERS = re.compile(
    r"(?:^|\s)/s\b|#(?:sarcasm|sarcasme|irony|ironie|not)\b|🙄|😒|🙃"
    r"|\b(?:yeah right|oh great|oh wonderful|just what i needed|thanks for nothing|"
    r"as if|sure,? because|merci pour rien|quelle surprise|on n'?arr[eê]te pas le progr[eè]s|"
    r"encore bravo|trop bien,? encore|c'?est g[eé]nial,? encore)\b",
    re.IGNORECASE,
)
_PRAISE = re.compile(
    r"\b(?:bravo|great|thanks|thank you|merci|super|génial|genial|wonderful|love|perfect|parfait)\b"
    r"|👏|👍",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"\b(?:again|encore|panne|broken|down|outage|late|retard|bug|crash|nul|worst|pire|rien)\b",
    re.IGNORECASE,
)
# "Thanks again", "merci encore": a sincere formula, not praise next to a complaint. Counting
# them made "The birthday cake was delicious, thanks again!" ironic, so negative (0.69).
_THANKS_AGAIN = re.compile(
    r"\b(?:thanks|thank you|thx|merci)\s+(?:again|encore)\b|\bencore\s+merci\b", re.IGNORECASE
)


def praise_and_complaint(text: str) -> bool:
    """Praise and a complaint word in one comment ("bravo, encore une panne"): a cue for irony."""
    if not _PRAISE.search(text):
        return False
    return _COMPLAINT.search(_THANKS_AGAIN.sub(" ", text)) is not None


class Scorer(Protocol):
    """Anything that scores a batch of texts. `version` is stored on every decision."""

    version: str

    def score_batch(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[Scores]: ...


def clean_text(text: str) -> str:
    """Normalise what scorers see: valid Unicode (NFC), no control characters, bounded length."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if not text.isprintable():  # printable text has no category C character (the usual case)
        text = "".join(
            ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text
        )
    return text[:MAX_SCORED_CHARS]


class LexiconScorer:
    """Lexicon and word-list scorer for English and French."""

    version = "lexicon-1"

    def __init__(self, language_weights: Mapping[str, float] | None = None) -> None:
        weights = DEFAULT_LANGUAGE_WEIGHTS if language_weights is None else language_weights
        unknown = sorted(set(weights) - set(IDENTIFIED_LANGUAGES))
        if unknown or any(w <= 0 for w in weights.values()):
            raise ValueError(
                f"language weights: languages must be among {', '.join(IDENTIFIED_LANGUAGES)} "
                f"with positive weights, got {dict(weights)!r}"
            )
        self.language_weights = dict(weights)
        self._prior = [weights.get(lang, 1.0) for lang in IDENTIFIED_LANGUAGES]

    @cached_property
    def _identifier(self):  # type: ignore[no-untyped-def]
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(list(IDENTIFIED_LANGUAGES))
        # set_languages keeps the 142-language model (28 MB of float16) to restrict it again
        # later; nothing here does, so each process lets it go.
        identifier._full_model = None
        return identifier

    @cached_property
    def _abuse(self):  # type: ignore[no-untyped-def]
        import safetype

        return safetype.create_moderation_engine(languages=list(SUPPORTED_LANGUAGES))

    @cached_property
    def _vader(self):  # type: ignore[no-untyped-def]
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        return SentimentIntensityAnalyzer()

    @cached_property
    def _french(self) -> Callable[[str], tuple[float, float]]:
        return french_sentiment()

    def language(self, text: str, hint: str | None = None) -> tuple[str, float]:
        """Return (language, probability); 'und' when the identifier is unsure."""
        if hint:
            return hint.lower().split("-")[0], 1.0
        if not any(ch.isalpha() for ch in text):
            return UNDETERMINED, 0.0
        ranked = dict(self._identifier.rank(text))
        weighted = [
            ranked.get(lang, 0.0) * w
            for lang, w in zip(IDENTIFIED_LANGUAGES, self._prior, strict=True)
        ]
        total = sum(weighted)
        best = max(range(len(weighted)), key=weighted.__getitem__)
        prob = weighted[best] / total if total > 0 else 0.0
        if prob < MIN_LANGUAGE_PROB:
            return UNDETERMINED, float(prob)
        return IDENTIFIED_LANGUAGES[best], float(prob)

    def toxicity(self, text: str) -> float:
        result = self._abuse.moderate(text)
        scores = [_SEVERITY_TOXICITY.get((m.category, m.severity), 0.3) for m in result.matches]
        return max(scores, default=_BASE_TOXICITY)

    def polarity(self, text: str, language: str) -> float:
        """Sentiment polarity in [-1, 1] from the language's lexicon."""
        if language == "fr":
            polarity, _subjectivity = self._french(text)
            return float(polarity)
        return float(self._vader.polarity_scores(text)["compound"])

    def irony(self, text: str) -> float:
        score = 0.05
        if _IRONY_MARKERS.search(text):
            score += 0.6
        if praise_and_complaint(text):
            score += 0.35
        return min(score, 0.95)

    def score(self, text: str, language_hint: str | None = None) -> Scores:
        text = clean_text(text)
        language, lang_prob = self.language(text, language_hint)
        toxicity = self.toxicity(text)
        irony = self.irony(text)
        polarity = self.polarity(text, language)
        if irony > 0.5 and polarity > 0:
            # Ironic praise ("bravo, encore une panne") is a complaint, not a compliment.
            polarity = -polarity
        strength = min(abs(polarity), 1.0)
        if polarity >= 0.05:
            positive, negative = 0.4 + 0.55 * strength, 0.05 * (1 - strength)
        elif polarity <= -0.05:
            positive, negative = 0.05 * (1 - strength), 0.4 + 0.55 * strength
        else:
            positive, negative = 0.15, 0.15
        negative = max(negative, 0.9 * toxicity if toxicity >= 0.5 else 0.0)
        positive = min(positive, 1.0 - negative)
        known = language in SUPPORTED_LANGUAGES
        confidence = (0.5 + abs(toxicity - 0.5)) * (1.0 if known else 0.5) * max(lang_prob, 0.5)
        return Scores(
            toxicity=round(toxicity, 4),
            irony=round(irony, 4),
            negative=round(negative, 4),
            positive=round(positive, 4),
            language=language,
            confidence=round(min(confidence, 1.0), 4),
            model_version=self.version,
        )

    def score_batch(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[Scores]:
        hints = list(languages) if languages is not None else [None] * len(texts)
        return [self.score(text, hint) for text, hint in zip(texts, hints, strict=True)]


def french_sentiment() -> Callable[[str], tuple[float, float]]:
    """textblob-fr's (polarity, subjectivity), what its `PatternAnalyzer.analyze` returns.

    Its `textblob_fr.fr` module holds the lexicon and needs only the standard library; the
    package's `__init__` imports textblob, and through it NLTK (27 MB more per process, 117 MB
    where scikit-learn is installed, which NLTK then imports too). So the module is loaded
    with the package's folder but without running that `__init__`; a later plain
    `import textblob_fr` still works and reuses the same `fr` module.
    """
    if "textblob_fr" not in sys.modules:
        spec = importlib.util.find_spec("textblob_fr")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("textblob-fr is not installed")
        package = types.ModuleType("textblob_fr")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        sys.modules["textblob_fr"] = package
        try:
            importlib.import_module("textblob_fr.fr")
        finally:
            del sys.modules["textblob_fr"]  # the real package, if imported later, runs its init
    return sys.modules["textblob_fr.fr"].sentiment  # type: ignore[no-any-return]
