"""Stand-ins for what the speed and int8 benches cannot get offline: tokenizers and weights.

`SyntheticTokenizer` is called like a Hugging Face tokenizer (`tok(texts, padding=True,
truncation=True, max_length=..., return_tensors="pt")`) and gives each text 1.4 tokens per
whitespace word + 2 (CLS and SEP), truncated to `max_length` (default 512, the models' limit),
padded to the longest text of the call. The ids are random but fixed by the text (a CRC-32
seed), so every stack and both precisions see the same inputs. Its cost (~10 µs a text) is
much smaller than a real fast tokenizer's; the models' cost does not depend on which ids they
read.

`random_model` builds xlm-roberta-base (Detoxify multilingual: 16 labels) or bert-base-uncased
(Detoxify original: 6 labels) from a config with random weights (seeded).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

ARCHITECTURES = {"xlm-roberta-base": 16, "bert-base": 6}


def token_count(text: str, max_length: int = 512) -> int:
    """The synthetic length of `text` in tokens."""
    return min(int(1.4 * len(text.split())) + 2, max_length)


class SyntheticTokenizer:
    """Random token ids of realistic lengths, padded per call (see the module's docstring)."""

    def __init__(self, vocab_size: int, pad_id: int, model_max_length: int = 512) -> None:
        self.vocab_size, self.pad_id, self.model_max_length = vocab_size, pad_id, model_max_length

    def __call__(
        self,
        texts: Sequence[str],
        padding: bool = True,
        truncation: bool = True,
        max_length: int | None = None,
        return_tensors: str = "pt",
    ) -> dict[str, Any]:
        import torch

        assert padding and truncation and return_tensors == "pt"
        limit = min(max_length or self.model_max_length, self.model_max_length)
        lengths = [token_count(t, limit) for t in texts]
        width = max(lengths)
        ids = np.full((len(texts), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for i, (text, n) in enumerate(zip(texts, lengths, strict=True)):
            rng = np.random.default_rng(zlib.crc32(text.encode()))
            ids[i, :n] = rng.integers(5, self.vocab_size, n)
            mask[i, :n] = 1
        return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}


def random_model(architecture: str, seed: int = 0) -> tuple[Any, SyntheticTokenizer]:
    """A random-weight `architecture` (see ARCHITECTURES) in eval mode, and its tokenizer."""
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

    torch.manual_seed(seed)
    labels = ARCHITECTURES[architecture]
    if architecture == "xlm-roberta-base":
        config = XLMRobertaConfig(
            vocab_size=250002, max_position_embeddings=514, type_vocab_size=1, num_labels=labels
        )
        return XLMRobertaForSequenceClassification(config).eval(), SyntheticTokenizer(250002, 1)
    config = BertConfig(vocab_size=30522, num_labels=labels)
    return BertForSequenceClassification(config).eval(), SyntheticTokenizer(30522, 0)
