"""Scores: what the scorers say about one comment, as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

SENTIMENTS = ("negative", "neutral", "positive")


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
        )
