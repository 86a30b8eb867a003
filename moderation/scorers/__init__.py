"""Scorers beyond the lexicon: the default offline stack and the optional transformers stack.

`build_scorer(name)` is how a process gets its scorer; the classes are imported lazily so the
light path never imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping

from moderation.scoring import LexiconScorer, Scorer

SCORERS = ("default", "lexicon", "transformers")


def build_scorer(
    name: str = "default",
    explain: bool = True,
    transformers_models: str = "",
    language_weights: Mapping[str, float] | None = None,
    transformers_int8: str = "",
) -> Scorer:
    """The scorer called `name`; its models load on the first batch.

    The transformers scorer takes its models from `transformers_models` (see
    `hf.parse_specs`), loads those chosen by `transformers_int8` in int8, and uses the default
    stack for the scores it has no model for. `language_weights` are the language identifier's
    prior weights (default: en and fr 3).
    """
    if name == "lexicon":
        return LexiconScorer(language_weights)
    if name == "default":
        from moderation.scorers.default import DefaultScorer

        return DefaultScorer(explain=explain, language_weights=language_weights)
    if name == "transformers":
        from moderation.scorers.default import DefaultScorer
        from moderation.scorers.hf import TransformersScorer, parse_specs

        specs = parse_specs(transformers_models, transformers_int8)
        if not specs:
            raise ValueError("the transformers scorer needs VIGIE_TRANSFORMERS_MODELS")
        return TransformersScorer(
            specs, DefaultScorer(explain=False, language_weights=language_weights)
        )
    raise ValueError(f"unknown scorer {name!r}; expected one of {', '.join(SCORERS)}")
