"""Scores: what the scorers say about one comment, as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Span:
    """A part of the comment and how much it moved one score (positive: pushed it up)."""

    score: str
    start: int
    end: int
    text: str
    weight: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        return cls(
            score=str(data["score"]),
            start=int(data["start"]),
            end=int(data["end"]),
            text=str(data["text"]),
            weight=float(data["weight"]),
        )


@dataclass(frozen=True)
class Scores:
    """Probabilities for one comment. `confidence` is how sure the scorer is overall (0..1)."""

    toxicity: float
    irony: float
    negative: float
    positive: float
    language: str
    confidence: float
    model_version: str
    # Added by the trained scorers; older decisions and the lexicon scorer leave them empty.
    hate: float | None = None  # identity-based hate (TweetEval hate), when a head scores it
    spans: tuple[Span, ...] = ()  # explanations, for the comments that were explained

    @property
    def neutral(self) -> float:
        return max(0.0, 1.0 - self.negative - self.positive)

    @property
    def sentiment(self) -> str:
        probs = (self.negative, self.neutral, self.positive)
        return SENTIMENTS[max(range(3), key=probs.__getitem__)]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sentiment"] = self.sentiment
        data["neutral"] = round(self.neutral, 6)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scores:
        return cls(
            toxicity=float(data["toxicity"]),
            irony=float(data["irony"]),
            negative=float(data["negative"]),
            positive=float(data["positive"]),
            language=str(data["language"]),
            confidence=float(data["confidence"]),
            model_version=str(data["model_version"]),
            hate=None if data.get("hate") is None else float(data["hate"]),
            spans=tuple(Span.from_dict(span) for span in data.get("spans") or ()),
        )
