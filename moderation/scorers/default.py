"""Vigie's default scorer: a frozen multilingual encoder, trained heads and lexical signals.

Offline and CPU-only. Per process: the encoder (~30 MB of numpy weights) and the heads load on
the first batch, then every batch is embedded once and read by the toxicity, hate, irony and
sentiment heads. Irony then changes how the other scores are read (see `ironic_reading`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np

from moderation.scorers import care, evidence
from moderation.scorers.encoder import DIM, Encoder
from moderation.scorers.explain import explain as explain_spans
from moderation.scorers.features import featurize
from moderation.scorers.heads import HEADS_FILE, HeadBank, HeadSet, load_heads
from moderation.scorers.lexical import FEATURES
from moderation.scorers.ngrams import buckets
from moderation.scorers.text import model_text
from moderation.scores import Scores, Span
from moderation.scoring import (
    SUPPORTED_LANGUAGES,
    UNDETERMINED,
    LexiconScorer,
    clean_text,
)

# How much a fully ironic reading moves praise to complaint, and softens toxicity that comes
# with no targeted abuse ("a joke between friends"); irony below IRONY_FLOOR changes nothing.
IRONY_FLOOR = 0.5
IRONY_TOXICITY_DISCOUNT = 0.3
# Ironic praise needs something to be ironic about: an irony marker, praise next to a complaint
# word, or a sentiment head that already sees some negativity (its negative probability; the
# full ironic reading from INCONGRUITY_NEGATIVE up). Without it, the irony head alone flipped
# plain praise ("I love this product", irony 0.73) to negative.
INCONGRUITY_NEGATIVE = 0.1
# Comments a rule may send to a human (toxicity or hate at or above this) are explained.
EXPLAIN_AT = 0.5
UNSUPPORTED_CONFIDENCE = 0.5
# BLAS threads of the encoder. One: on a 2-core host running two worker processes (or any busy
# machine), OpenBLAS threads wait on each other and two made the whole stack 2.5-6× slower than
# one (bench/throughput.py, default vs default-2threads); on an idle machine two are ~1.5× faster.
BLAS_THREADS = 1
# Features of this many recent distinct (text, language) pairs are kept per process: raids and
# copy-pasta repeat the same text, which is then embedded once (~2 KB per entry, ~8 MB at most).
TEXT_CACHE = 4_096
MARKER_IRONY = 0.6
PRAISE_COMPLAINT_IRONY = 0.35  # scores of languages the heads were not trained on are less sure


def ironic_reading(
    toxicity: float,
    negative: float,
    positive: float,
    irony: float,
    targeted: bool,
    cue: bool = True,
) -> tuple[float, float, float]:
    """(toxicity, negative, positive) read in the light of `irony`.

    Ironic praise ("bravo, encore une panne 👏") is a complaint: once irony is the likelier
    reading (above IRONY_FLOOR), the positive mass is read as the expectation over the two
    readings, so a share `irony` of it moves to negative — in full when there is something to be
    ironic about (`cue`: an irony marker or praise next to a complaint word, or a negative
    probability of INCONGRUITY_NEGATIVE or more), in proportion to the negative probability
    below that. Ironic toxicity without a targeted insult is softened a little, in proportion
    to how far irony is above IRONY_FLOOR; a targeted insult stays as toxic as it was.
    """
    strength = min(max((irony - IRONY_FLOOR) / (1 - IRONY_FLOOR), 0.0), 1.0)
    incongruity = 1.0 if cue else min(negative / INCONGRUITY_NEGATIVE, 1.0)
    moved = positive * irony * incongruity if irony > IRONY_FLOOR else 0.0
    if not targeted:
        toxicity *= 1 - IRONY_TOXICITY_DISCOUNT * strength
    return toxicity, negative + moved, positive - moved


def abusive_reading(
    toxicity: float, negative: float, positive: float, found: evidence.Evidence
) -> tuple[float, float]:
    """(negative, positive) of a comment with explicit, direct abuse.

    An insult aimed at someone, a plain insult word or 🖕 is not a positive comment, whatever
    else it says ("🖕🖕🖕" read 0.6 positive: the sentiment head never saw the emoji used so).
    As for irony, a share `toxicity` of the positive mass moves to negative; strong swear words
    alone ("fucking amazing") move nothing.
    """
    if not (found.targeted or found.direct_insult or found.emoji):
        return negative, positive
    moved = positive * toxicity
    return negative + moved, positive - moved


def with_irony_markers(irony: float, marker: bool, praise_complaint: bool) -> float:
    """The irony head's probability, raised by explicit irony markers (noisy-OR).

    TweetEval removed the #sarcasm/#irony hashtags, so the head never learned explicit markers
    ("/s", "🙄", "merci pour rien") nor praise next to a complaint ("bravo, encore une panne");
    the lexicon scorer's weights for them (0.6 and 0.35) are kept as independent evidence.
    """
    miss = (
        (1 - irony) * (1 - MARKER_IRONY * marker) * (1 - PRAISE_COMPLAINT_IRONY * praise_complaint)
    )
    return 1 - miss


def confidence_of(toxicity: float, sentiment: np.ndarray, language_ok: bool) -> float:
    """How sure the scorer is: far from 0.5 on toxicity, a clear sentiment, a known language."""
    tox_margin = abs(toxicity - 0.5) * 2
    top = np.sort(sentiment)[::-1]
    sent_margin = float(top[0] - top[1])
    value = 0.5 + 0.35 * tox_margin + 0.15 * sent_margin
    return value * (1.0 if language_ok else UNSUPPORTED_CONFIDENCE)


class DefaultScorer:
    """USE-multilingual + trained heads + lexical signals, for English and French."""

    def __init__(
        self,
        heads_path: Path = HEADS_FILE,
        threads: int = BLAS_THREADS,
        explain: bool = True,
        explain_at: float = EXPLAIN_AT,
        text_cache: int = TEXT_CACHE,
        language_weights: Mapping[str, float] | None = None,
    ) -> None:
        self.language_weights = language_weights
        self.heads_path = heads_path
        self.threads = threads
        self.explain_comments = explain
        self.explain_at = explain_at
        self.text_cache = text_cache
        self._cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    @cached_property
    def heads(self) -> HeadSet:
        return load_heads(self.heads_path)

    @cached_property
    def bank(self) -> HeadBank:
        return HeadBank(self.heads, DIM + len(FEATURES))

    @cached_property
    def version(self) -> str:  # type: ignore[override]
        return f"default-{self.heads.version}"

    @cached_property
    def encoder(self) -> Encoder:
        return Encoder(threads=self.threads)

    @cached_property
    def lexicon(self) -> LexiconScorer:
        return LexiconScorer(self.language_weights)

    def languages(
        self, texts: Sequence[str], hints: Sequence[str | None]
    ) -> list[tuple[str, float]]:
        return [self.lexicon.language(t, h) for t, h in zip(texts, hints, strict=True)]

    def features(self, texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        """Features of already cleaned texts."""
        return featurize(self.encoder, self.lexicon, texts, languages)

    def cached_features(
        self, texts: Sequence[str], languages: Sequence[str], store: bool = True
    ) -> tuple[np.ndarray, list[np.ndarray], list[evidence.Evidence]]:
        """Features, n-gram rows and word-list evidence of cleaned texts, each text once.

        Repeated texts (within the batch, or among the last `text_cache` distinct ones) reuse
        what was computed for them; the result is the same as computing every text.
        `store=False` reads the cache without adding to it (explanations' variants).
        """
        keys = list(zip(texts, languages, strict=True))
        cache = self._cache
        todo = list(dict.fromkeys(k for k in keys if k not in cache))
        fresh: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, evidence.Evidence]] = {}
        if todo:
            matches: list = []
            computed = featurize(
                self.encoder,
                self.lexicon,
                [t for t, _ in todo],
                [lang for _, lang in todo],
                matches,
            )
            for key, row, found in zip(todo, computed, matches, strict=True):
                fresh[key] = (row, buckets(model_text(key[0])), evidence.find(key[0], found))
        hits = [fresh[k] if k in fresh else cache[k] for k in keys]
        if self.text_cache > 0 and store:
            cache.update(fresh)
            while len(cache) > self.text_cache:
                del cache[next(iter(cache))]
        width = DIM + len(FEATURES)
        feats = np.stack([h[0] for h in hits]) if hits else np.zeros((0, width), np.float32)
        return feats, [h[1] for h in hits], [h[2] for h in hits]

    def read(
        self, texts: Sequence[str], languages: Sequence[str], store: bool = True
    ) -> tuple[dict[str, np.ndarray], np.ndarray, list[evidence.Evidence]]:
        """(probabilities, features, evidence) of cleaned texts, before the ironic reading.

        Toxicity and hate of a comment whose only insults are negated, reported or quoted are
        those of the comment without them (if lower); explicit abuse then raises toxicity by
        the noisy-OR fitted on dev (`evidence_weights`).
        """
        feats, grams, found = self.cached_features(texts, languages, store)
        probs = self.probabilities(feats, grams)
        redo = [i for i, e in enumerate(found) if e.defused and not (e.direct_insult or e.targeted)]
        if redo:
            variants = [evidence.masked(texts[i], found[i].defused) for i in redo]
            v_feats, v_grams, _ = self.cached_features(variants, [languages[i] for i in redo])
            again = self.probabilities(v_feats, v_grams)
            for name in ("toxicity", "hate"):
                probs[name][redo] = np.minimum(probs[name][redo], again[name])
        explicit = [
            e.targeted or e.swear or e.emoji or e.direct_insult or e.dehumanising for e in found
        ]
        self._counterfactual(texts, languages, probs, explicit)
        plain = {i: self._plain_reading(t, languages[i]) for i, t in enumerate(texts)}
        self._reread(plain, languages, probs)
        self._customer_care(texts, plain, languages, probs, feats, explicit)
        table = self.evidence_weights
        weights = np.array(
            [table.get(lang, table.get("all", (0.0, 0.0))) for lang in languages], np.float64
        ).reshape(len(found), 2)
        probs["toxicity"] = evidence.combine(
            probs["toxicity"],
            np.array([e.targeted for e in found], dtype=np.float32),
            np.array([e.swear for e in found], dtype=np.float32),
            weights,
            np.array([e.emoji for e in found], dtype=np.float32),
        )
        return probs, feats, found

    def _counterfactual(
        self,
        texts: Sequence[str],
        languages: Sequence[str],
        probs: dict[str, np.ndarray],
        explicit: Sequence[bool],
    ) -> None:
        """Toxicity of comments naming a group (without explicit abuse): the mean over the
        comment and its readings with other groups named instead (`identity_variants`)."""
        rows, variants, owners = [], [], []
        for i, text in enumerate(texts):
            if explicit[i]:
                continue
            others = evidence.identity_variants(text)
            if others:
                rows.append(i)
                variants.extend(others)
                owners.extend([i] * len(others))
        if not rows:
            return
        langs = [languages[i] for i in owners]
        v_feats, v_grams, _ = self.cached_features(variants, langs)
        again = self.probabilities(v_feats, v_grams)["toxicity"]
        owner = np.asarray(owners)
        for i in rows:
            values = np.concatenate([[probs["toxicity"][i]], again[owner == i]])
            probs["toxicity"][i] = float(values.mean())

    def _plain_reading(self, text: str, language: str) -> str | None:
        """The comment without the complaints it reports as solved and with its litotes
        ("never disappointed") reworded as the praise they stand for, or None if unchanged."""
        out = text
        spans = evidence.resolved_spans(text)
        if spans:
            rest = evidence.masked(text, spans)
            if any(ch.isalpha() for ch in rest):
                out = rest
        plain = care.reworded(out, language)
        if plain is not None:
            out = plain
        return out if out != text else None

    def _reread(
        self,
        plain: Mapping[int, str | None],
        languages: Sequence[str],
        probs: dict[str, np.ndarray],
    ) -> None:
        """Sentiment of comments reporting a problem as solved, read without that complaint,
        and of comments praising by litotes, read as the plain praise (`_plain_reading`)."""
        rows = [i for i, reading in plain.items() if reading is not None]
        variants = [reading for reading in plain.values() if reading is not None]
        if not rows:
            return
        v_feats, v_grams, _ = self.cached_features(variants, [languages[i] for i in rows])
        probs["sentiment"][rows] = self.probabilities(v_feats, v_grams)["sentiment"]

    def _customer_care(
        self,
        texts: Sequence[str],
        plain: Mapping[int, str | None],
        languages: Sequence[str],
        probs: dict[str, np.ndarray],
        feats: np.ndarray,
        explicit: Sequence[bool],
    ) -> None:
        """Complaints with no sentiment word read negative, plain questions neutral (`care`)."""
        polarity = feats[:, DIM + FEATURES.index("polarity")]
        sentiment = probs["sentiment"]
        for i, (text, language) in enumerate(zip(texts, languages, strict=True)):
            if language not in care.CARE_LANGUAGES:
                continue
            reading = plain[i] or text
            if care.complaint_cue(reading, language):
                sentiment[i] = care.shift_to_negative(list(sentiment[i]), care.COMPLAINT_SHARE)
            elif (
                not explicit[i]
                and polarity[i] >= care.QUESTION_POLARITY
                and care.plain_question(reading, language)
            ):
                sentiment[i] = care.shift_to_neutral(list(sentiment[i]), care.QUESTION_SHARE)

    @cached_property
    def evidence_weights(self) -> dict[str, tuple[float, float]]:
        """Noisy-OR weights of (targeted abuse, strong swear word) per language, fitted on dev
        by `vigie models fit-evidence` ("all": every other language)."""
        table = self.heads.meta.get("evidence", {}).get("weights", {})
        return {lang: (float(w[0]), float(w[1])) for lang, w in table.items()}

    def probabilities(
        self, features: np.ndarray, ngram_rows: Sequence[np.ndarray]
    ) -> dict[str, np.ndarray]:
        """Calibrated probabilities of every head, before the ironic reading.

        One BLAS thread: a batch's head products are small (32 rows), and OpenBLAS splitting
        them over two threads made them up to 60× slower on a busy machine (measured).
        """
        limit = self._blas_limit
        if limit is None:
            return self.bank.probabilities(features, ngram_rows)
        with limit(limits=1, user_api="blas"):
            return self.bank.probabilities(features, ngram_rows)

    @cached_property
    def _blas_limit(self):  # type: ignore[no-untyped-def]
        try:
            from threadpoolctl import ThreadpoolController

            return ThreadpoolController().limit
        except Exception:  # threadpoolctl is optional: without it, BLAS keeps its own setting
            return None

    def predict(self, texts: Sequence[str], languages: Sequence[str]) -> dict[str, np.ndarray]:
        """Every score's probabilities for already cleaned texts (before the ironic reading)."""
        return self.read(texts, languages, store=False)[0]

    def score_batch(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[Scores]:
        """Score texts; never raises on odd text (empty, emoji-only, huge, bad Unicode)."""
        cleaned = [clean_text(t if isinstance(t, str) else "") for t in texts]
        hints = list(languages) if languages is not None else [None] * len(texts)
        found = self.languages(cleaned, hints)
        langs = [lang for lang, _ in found]
        if not cleaned:
            return []
        probs, feats, evidences = self.read(cleaned, langs)
        lexical = feats[:, DIM:] > 0.5
        scores = [
            self._scores(i, cleaned[i], found[i], probs, lexical[i], evidences[i])
            for i in range(len(cleaned))
        ]
        if self.explain_comments:
            for i, score in enumerate(scores):
                if self.worth_explaining(score):
                    scores[i] = replace(score, spans=self.explain(cleaned[i], langs[i]))
        return scores

    def worth_explaining(self, score: Scores) -> bool:
        """Whether a rule may send this comment to a human, who will want to know why."""
        return max(score.toxicity, score.hate or 0.0) >= self.explain_at

    def explain(self, text: str, language: str = "en") -> tuple[Span, ...]:
        """Which words (or sentences) of a cleaned text pushed each score, strongest first."""

        def score_texts(variants: list[str]) -> dict[str, np.ndarray]:
            probs = self.predict(variants, [language] * len(variants))
            return {
                "toxicity": probs["toxicity"],
                "hate": probs["hate"],
                "irony": probs["irony"],
                "negative": probs["sentiment"][:, 0],
                "positive": probs["sentiment"][:, 2],
            }

        return explain_spans(text, score_texts)

    def _scores(
        self,
        i: int,
        text: str,
        found: tuple[str, float],
        probs: dict[str, np.ndarray],
        lexical: np.ndarray,
        evidence_found: evidence.Evidence,
    ) -> Scores:
        language, lang_prob = found
        if not text.strip():
            return Scores(0.0, 0.0, 0.0, 0.0, UNDETERMINED, 0.0, self.version, hate=0.0)
        sentiment = probs["sentiment"][i]
        marker = bool(lexical[FEATURES.index("irony_marker")])
        praise_complaint = bool(lexical[FEATURES.index("praise_complaint")])
        irony = with_irony_markers(float(probs["irony"][i]), marker, praise_complaint)
        toxicity, negative, positive = ironic_reading(
            float(probs["toxicity"][i]),
            float(sentiment[0]),
            float(sentiment[2]),
            irony,
            evidence_found.targeted,
            cue=marker or praise_complaint,
        )
        negative, positive = abusive_reading(toxicity, negative, positive, evidence_found)
        language_ok = language in SUPPORTED_LANGUAGES and lang_prob >= 0.5
        confidence = confidence_of(toxicity, sentiment, language_ok)
        return Scores(
            toxicity=round(toxicity, 4),
            irony=round(irony, 4),
            negative=round(negative, 4),
            positive=round(positive, 4),
            language=language,
            confidence=round(confidence, 4),
            model_version=self.version,
            hate=round(float(probs["hate"][i]), 4),
        )
