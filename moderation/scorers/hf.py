"""The optional transformers stack (`pip install 'vigie[transformers]'`), loaded offline.

Detoxify 0.5.4 cannot load offline as shipped (it calls `from_pretrained(<hub name>)` and
unpickles with `weights_only=False`). `load_detoxify` reads the checkpoint with
`weights_only=True`, builds the model from a local config folder and loads the state dict.
`load_sequence_classifier` loads a Hugging Face sequence classifier from a local folder.
Missing files fail with `ModelLoadError` naming the file. Either can be loaded in int8
(`quantize_int8`: torch dynamic quantization of the Linear layers), per score with
`VIGIE_TRANSFORMERS_INT8`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from moderation.scores import Scores
from moderation.scoring import Scorer

MAX_TOKENS = 256  # longer comments are truncated to their first 256 tokens
BATCH = 32
SCORES = ("toxicity", "irony", "sentiment")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class ModelLoadError(RuntimeError):
    """A model cannot be loaded; the message names the missing or bad file."""


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A classifier, its tokenizer, its output labels, and whether labels are independent."""

    model: Any
    tokenizer: Any
    labels: tuple[str, ...]
    multi_label: bool


@dataclass(frozen=True)
class ModelSpec:
    """Where one score's model lives: `kind` is 'detoxify' or 'hf'."""

    kind: str
    path: Path
    config_dir: Path | None = None
    int8: bool = False  # Linear layers dynamically quantized to int8 after loading


def parse_specs(raw: str, int8: str = "") -> dict[str, ModelSpec]:
    """Parse 'toxicity=detoxify:CKPT:CONFIG_DIR,irony=hf:DIR,sentiment=hf:DIR'.

    `int8` (VIGIE_TRANSFORMERS_INT8) picks the models loaded in int8: a boolean (all or none)
    or comma-separated scores among those given a model ('toxicity,irony').
    """
    specs = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        score, _, rest = item.partition("=")
        kind, _, where = rest.partition(":")
        if score not in SCORES or kind not in ("detoxify", "hf"):
            raise ValueError(f"bad transformers model spec {item!r}")
        if kind == "detoxify":
            path, _, config = where.partition(":")
            if not config:
                raise ValueError(f"{item!r}: detoxify needs CHECKPOINT:CONFIG_DIR")
            specs[score] = ModelSpec(kind, Path(path), Path(config))
        else:
            specs[score] = ModelSpec(kind, Path(where))
    chosen = parse_int8(int8, specs)
    return {score: replace(spec, int8=score in chosen) for score, spec in specs.items()}


def parse_int8(raw: str, specs: Mapping[str, ModelSpec]) -> frozenset[str]:
    """The scores whose model is loaded in int8; a bad value raises ValueError saying why."""
    value = raw.strip().lower()
    if value in _FALSE:
        return frozenset()
    if value in _TRUE:
        return frozenset(specs)
    chosen = frozenset(filter(None, (part.strip() for part in value.split(","))))
    for score in sorted(chosen):
        if score not in SCORES:
            raise ValueError(
                f"expected true/false or scores among {', '.join(SCORES)}, got {raw!r}"
            )
        if score not in specs:
            raise ValueError(f"{score!r} has no model in VIGIE_TRANSFORMERS_MODELS")
    return chosen


def _require(path: Path, what: str) -> None:
    if not path.exists():
        raise ModelLoadError(f"missing {what}: {path}")


def _num_labels(state: Mapping[str, Any]) -> int:
    for key in ("classifier.out_proj.weight", "classifier.weight"):
        if key in state:
            return int(state[key].shape[0])
    raise ModelLoadError("checkpoint has no classifier weights (classifier.weight)")


def quantize_int8(model: Any) -> Any:
    """`model` with its `nn.Linear` layers replaced by dynamically quantized int8 ones.

    Weights are stored in int8 (per tensor); activations are quantized per call, so matrix
    products run in int8 on the process's torch threads (`torch.set_num_threads` is not
    touched). Embeddings and layer norms stay float32.
    """
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao but works in torch 2.13.
        warnings.filterwarnings("ignore", message=r"torch\.ao\.quantization is deprecated")
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor")
        try:
            return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
        except (RuntimeError, AssertionError) as exc:
            raise ModelLoadError(f"int8 quantization failed: {exc}") from None


def load_detoxify(checkpoint: Path, config_dir: Path, int8: bool = False) -> LoadedModel:
    """A Detoxify checkpoint (.ckpt) with its architecture's config and tokenizer folder."""
    _require(checkpoint, "Detoxify checkpoint")
    _require(config_dir / "config.json", "model config")
    import pickle

    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    try:
        data = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as exc:
        raise ModelLoadError(f"{checkpoint}: not a plain-weights checkpoint ({exc})") from None
    state = data.get("state_dict", data)
    n_labels = _num_labels(state)
    config = AutoConfig.from_pretrained(config_dir, local_files_only=True, num_labels=n_labels)
    model = AutoModelForSequenceClassification.from_config(config)
    model.load_state_dict(state, strict=True)
    model.eval()
    if int8:
        model = quantize_int8(model)
    classes = data.get("config", {}).get("dataset", {}).get("args", {}).get("classes", [])
    labels = tuple(classes) or tuple(config.id2label[i] for i in range(n_labels))
    tokenizer = AutoTokenizer.from_pretrained(config_dir, local_files_only=True)
    return LoadedModel(model, tokenizer, labels, multi_label=True)


def load_sequence_classifier(path: Path, int8: bool = False) -> LoadedModel:
    """A Hugging Face sequence classifier saved with `save_pretrained` in `path`."""
    _require(path / "config.json", "model config")
    if not any((path / name).exists() for name in ("model.safetensors", "pytorch_model.bin")):
        raise ModelLoadError(f"missing model weights: {path / 'model.safetensors'}")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
    model.eval()
    if int8:
        model = quantize_int8(model)
    config = model.config
    labels = tuple(config.id2label[i].lower() for i in range(config.num_labels))
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return LoadedModel(
        model, tokenizer, labels, config.problem_type == "multi_label_classification"
    )


def predict(loaded: LoadedModel, texts: Sequence[str], batch: int = BATCH) -> np.ndarray:
    """(n, labels) probabilities; texts are sorted by length so each batch pads little."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), len(loaded.labels)), dtype=np.float32)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        enc = loaded.tokenizer(
            [texts[i] for i in idx],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        )
        with torch.inference_mode():
            logits = loaded.model(**enc).logits
        probs = torch.sigmoid(logits) if loaded.multi_label else torch.softmax(logits, dim=-1)
        out[idx] = probs.numpy()
    return out


def column(loaded: LoadedModel, probs: np.ndarray, *names: str) -> np.ndarray | None:
    """The probabilities of the first label among `names`, or None if the model lacks them."""
    for name in names:
        if name in loaded.labels:
            return probs[:, loaded.labels.index(name)]
    return None


class TransformersScorer:
    """Transformers models for the scores that have one; the default stack for the rest."""

    def __init__(self, specs: Mapping[str, ModelSpec], fallback: Scorer) -> None:
        self.specs = dict(specs)
        self.fallback = fallback
        self._models: dict[str, LoadedModel] = {}
        # Short enough for the decisions' model_version column (64) with the fallback's version.
        described = ",".join(
            f"{k}={v.kind}:{v.path}" + (":int8" if v.int8 else "") for k, v in sorted(specs.items())
        )
        digest = hashlib.sha1(described.encode(), usedforsecurity=False).hexdigest()[:10]
        self.version = f"transformers-{digest}"

    def model(self, score: str) -> LoadedModel:
        """The model for `score`, loaded on first use."""
        if score not in self._models:
            spec = self.specs[score]
            if spec.kind == "detoxify":
                assert spec.config_dir is not None
                self._models[score] = load_detoxify(spec.path, spec.config_dir, spec.int8)
            else:
                self._models[score] = load_sequence_classifier(spec.path, spec.int8)
        return self._models[score]

    def score_batch(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[Scores]:
        from moderation.scoring import clean_text

        base = self.fallback.score_batch(texts, languages)
        cleaned = [clean_text(t) or " " for t in texts]
        changes: list[dict[str, float]] = [{} for _ in texts]
        for score in self.specs:
            loaded = self.model(score)
            probs = predict(loaded, cleaned)
            if score == "toxicity":
                values = {"toxicity": column(loaded, probs, "toxicity", "toxic")}
            elif score == "irony":
                values = {"irony": column(loaded, probs, "irony", "ironic", "label_1")}
            else:
                values = {
                    "negative": column(loaded, probs, "negative", "label_0"),
                    "positive": column(loaded, probs, "positive", "label_2"),
                }
            for name, value in values.items():
                if value is None:
                    raise ModelLoadError(f"{score} model has no usable label among {loaded.labels}")
                for i in range(len(texts)):
                    changes[i][name] = round(float(value[i]), 4)
        # Empty texts keep the fallback's defined empty result.
        return [
            replace(s, model_version=f"{self.version}|{s.model_version}", **c)
            if cleaned[i].strip()
            else s
            for i, (s, c) in enumerate(zip(base, changes, strict=True))
        ]
