"""The optional transformers stack, with tiny random models built here (no download)."""

from pathlib import Path

import numpy as np
import pytest

# `make test` installs the transformers extra: a missing torch is a failure, not a skip.
import torch
import transformers

from moderation.scorers import build_scorer
from moderation.scorers.hf import (
    ModelLoadError,
    ModelSpec,
    TransformersScorer,
    load_detoxify,
    load_sequence_classifier,
    parse_int8,
    parse_specs,
    predict,
)
from moderation.scoring import LexiconScorer

WORDS = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "you",
    "are",
    "an",
    "idiot",
    "hello",
    "merci",
    "con",
    "!",
]
TEXTS = ["you are an idiot !", "hello", "merci merci con", "you are", "con idiot hello !", "!"]
DETOXIFY_CLASSES = ["toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"]


def _tiny(architecture: str, num_labels: int, folder: Path, **config_extra):  # type: ignore[no-untyped-def]
    """A tiny random model of `architecture`, its config and tokenizer saved in `folder`."""
    torch.manual_seed(0)
    common = {"vocab_size": len(WORDS), "hidden_size": 16, "num_hidden_layers": 1,
              "num_attention_heads": 2, "intermediate_size": 32, "num_labels": num_labels}  # fmt: skip
    if architecture == "bert":
        config = transformers.BertConfig(**common, **config_extra)
    else:
        config = transformers.XLMRobertaConfig(
            **common, max_position_embeddings=40, pad_token_id=0, **config_extra
        )
    model = transformers.AutoModelForSequenceClassification.from_config(config).eval()
    tokenizer = transformers.BertTokenizer(vocab={w: i for i, w in enumerate(WORDS)})
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return model, tokenizer


@pytest.mark.parametrize("architecture", ["bert", "xlm-roberta"])
def test_it_loads_a_detoxify_checkpoint_offline(tmp_path: Path, architecture: str) -> None:
    """A Detoxify-format checkpoint loads with weights_only=True and keeps its class names."""
    model, tokenizer = _tiny(architecture, len(DETOXIFY_CLASSES), tmp_path / "config")
    checkpoint = tmp_path / "model.ckpt"
    torch.save(
        {
            "config": {"dataset": {"args": {"classes": DETOXIFY_CLASSES}}},
            "state_dict": model.state_dict(),
        },
        checkpoint,
    )
    loaded = load_detoxify(checkpoint, tmp_path / "config")
    texts = ["you are an idiot !", "hello", "merci"]
    with torch.inference_mode():
        expected = torch.sigmoid(
            model(**tokenizer(texts, padding=True, return_tensors="pt")).logits
        ).numpy()
    assert loaded.labels == tuple(DETOXIFY_CLASSES)
    np.testing.assert_allclose(predict(loaded, texts), expected, atol=1e-5)


def test_it_keeps_input_order_across_length_sorted_batches(tmp_path: Path) -> None:
    """Batching by length (dynamic padding) returns each text's own probabilities."""
    _tiny("bert", 3, tmp_path, id2label={0: "negative", 1: "neutral", 2: "positive"})
    loaded = load_sequence_classifier(tmp_path)
    texts = ["you are an idiot idiot idiot !", "hello", "you are", "merci merci", "con"]
    one_by_one = np.concatenate([predict(loaded, [t]) for t in texts])
    np.testing.assert_allclose(predict(loaded, texts, batch=2), one_by_one, atol=1e-5)
    assert loaded.labels == ("negative", "neutral", "positive") and not loaded.multi_label


def test_it_refuses_a_checkpoint_that_needs_unpickling_code(tmp_path: Path) -> None:
    """Checkpoints holding arbitrary objects are rejected, never executed (weights_only=True)."""
    _tiny("bert", 2, tmp_path / "config")
    checkpoint = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "payload": Path("x")}, checkpoint)
    with pytest.raises(ModelLoadError, match="not a plain-weights checkpoint"):
        load_detoxify(checkpoint, tmp_path / "config")


def test_it_names_the_missing_file(tmp_path: Path) -> None:
    """A missing checkpoint or config is a clear error naming the path."""
    with pytest.raises(ModelLoadError, match=r"missing Detoxify checkpoint: .*nope\.ckpt"):
        load_detoxify(tmp_path / "nope.ckpt", tmp_path)
    with pytest.raises(ModelLoadError, match="missing model config"):
        load_sequence_classifier(tmp_path / "empty")


def test_it_maps_model_labels_onto_scores(tmp_path: Path) -> None:
    """The transformers scorer fills toxicity and sentiment from the models' own labels."""
    model, _ = _tiny("bert", len(DETOXIFY_CLASSES), tmp_path / "tox")
    torch.save(
        {
            "config": {"dataset": {"args": {"classes": DETOXIFY_CLASSES}}},
            "state_dict": model.state_dict(),
        },
        tmp_path / "tox.ckpt",
    )
    _tiny(
        "xlm-roberta", 3, tmp_path / "sent", id2label={0: "negative", 1: "neutral", 2: "positive"}
    )
    specs = parse_specs(
        f"toxicity=detoxify:{tmp_path / 'tox.ckpt'}:{tmp_path / 'tox'},sentiment=hf:{tmp_path / 'sent'}"
    )
    scorer = TransformersScorer(specs, LexiconScorer())
    [scores] = scorer.score_batch(["you are an idiot !"])
    tox = predict(scorer.model("toxicity"), ["you are an idiot !"])[0, 0]
    sent = predict(scorer.model("sentiment"), ["you are an idiot !"])[0]
    assert scores.toxicity == round(float(tox), 4)
    assert (scores.negative, scores.positive) == (
        round(float(sent[0]), 4),
        round(float(sent[2]), 4),
    )


def test_it_parses_model_specs_strictly() -> None:
    """Specs name a known score and kind; a Detoxify spec needs its config folder."""
    assert parse_specs("irony=hf:/m/irony") == {"irony": ModelSpec("hf", Path("/m/irony"))}
    with pytest.raises(ValueError, match="CHECKPOINT:CONFIG_DIR"):
        parse_specs("toxicity=detoxify:/m/x.ckpt")
    with pytest.raises(ValueError, match="bad transformers model spec"):
        parse_specs("spam=hf:/m")


def _linear_counts(model: torch.nn.Module) -> tuple[int, int]:
    """(float nn.Linear modules, dynamically quantized int8 Linear modules) in `model`."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    modules = list(model.modules())
    return (
        sum(isinstance(m, torch.nn.Linear) for m in modules),
        sum(isinstance(m, DynamicLinear) and m.weight().dtype == torch.qint8 for m in modules),
    )


def _assert_near(actual: np.ndarray, expected: np.ndarray, share: float = 0.15) -> None:
    """`actual` within `share` of how far `expected` moves between texts (≥ 0.25 for a label).

    The tiny models have 16 hidden units, so per-tensor int8 is coarse on them (max |Δp| is
    about a tenth of the spread); a quantization that lost the input, the weights' scale or a
    layer moves the probabilities by about the spread itself.
    """
    spread = np.ptp(expected, axis=0).max()
    assert spread >= 0.25, f"the tiny model hardly depends on its input (spread {spread:.3f})"
    assert np.abs(actual - expected).max() <= share * spread


def _detoxify_checkpoint(architecture: str, folder: Path) -> Path:
    """A Detoxify-format checkpoint of a tiny model whose outputs move with the input."""
    # initializer_range 0.4: at the default 0.02 a tiny model answers the same for every text
    model, _ = _tiny(architecture, len(DETOXIFY_CLASSES), folder / "config", initializer_range=0.4)
    checkpoint = folder / "model.ckpt"
    torch.save(
        {
            "config": {"dataset": {"args": {"classes": DETOXIFY_CLASSES}}},
            "state_dict": model.state_dict(),
        },
        checkpoint,
    )
    return checkpoint


@pytest.mark.parametrize("architecture", ["bert", "xlm-roberta"])
def test_int8_quantizes_every_linear_layer_and_stays_close(
    tmp_path: Path, architecture: str
) -> None:
    """int8 replaces each Linear by an int8 one; probabilities stay near float32's."""
    checkpoint = _detoxify_checkpoint(architecture, tmp_path)
    fp32 = load_detoxify(checkpoint, tmp_path / "config")
    int8 = load_detoxify(checkpoint, tmp_path / "config", int8=True)
    n_linear, _ = _linear_counts(fp32.model)
    assert n_linear >= 6  # attention q/k/v/out, feed-forward, classifier
    assert _linear_counts(int8.model) == (0, n_linear)
    assert int8.labels == fp32.labels == tuple(DETOXIFY_CLASSES) and int8.multi_label
    _assert_near(predict(int8, TEXTS), predict(fp32, TEXTS))


def test_int8_sequence_classifier_keeps_order_and_labels(tmp_path: Path) -> None:
    """An int8 HF classifier keeps its labels and each text's own row across sorted batches."""
    _tiny(
        "xlm-roberta",
        3,
        tmp_path,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        initializer_range=0.4,
    )
    fp32 = load_sequence_classifier(tmp_path)
    int8 = load_sequence_classifier(tmp_path, int8=True)
    assert _linear_counts(int8.model)[0] == 0
    assert int8.labels == ("negative", "neutral", "positive") and not int8.multi_label
    batched = predict(int8, TEXTS, batch=2)
    one_by_one = np.concatenate([predict(int8, [t]) for t in TEXTS])
    # activations are quantized per batch, so a text's neighbours move it a little
    _assert_near(batched, one_by_one, share=0.2)
    np.testing.assert_allclose(batched.sum(axis=1), 1.0, atol=1e-5)
    _assert_near(batched, predict(fp32, TEXTS))


def test_the_scorer_loads_the_int8_models_it_is_told_to(tmp_path: Path) -> None:
    """VIGIE_TRANSFORMERS_INT8 picks models by score; the version tells int8 from float32."""
    checkpoint = _detoxify_checkpoint("bert", tmp_path)
    _tiny(
        "xlm-roberta", 3, tmp_path / "sent", id2label={0: "negative", 1: "neutral", 2: "positive"}
    )
    raw = f"toxicity=detoxify:{checkpoint}:{tmp_path / 'config'},sentiment=hf:{tmp_path / 'sent'}"
    fp32 = TransformersScorer(parse_specs(raw), LexiconScorer())
    int8 = TransformersScorer(parse_specs(raw, "toxicity"), LexiconScorer())
    assert _linear_counts(int8.model("toxicity").model)[0] == 0
    assert _linear_counts(int8.model("sentiment").model)[1] == 0
    assert int8.version != fp32.version
    a, b = fp32.score_batch(TEXTS), int8.score_batch(TEXTS)
    _assert_near(np.array([s.toxicity for s in b]), np.array([s.toxicity for s in a]))
    assert [(s.negative, s.positive) for s in a] == [(s.negative, s.positive) for s in b]
    assert all(s.model_version.startswith(int8.version) for s in b)


def test_it_parses_the_int8_choice_strictly() -> None:
    """true/false or scores that have a model; anything else is an error saying what is wanted."""
    specs = parse_specs("toxicity=hf:/m/t,irony=hf:/m/i")
    assert parse_int8("", specs) == parse_int8("off", specs) == frozenset()
    assert parse_int8("TRUE", specs) == parse_int8("1", specs) == {"toxicity", "irony"}
    assert parse_int8(" irony ", specs) == {"irony"}
    assert parse_specs("toxicity=hf:/m/t,irony=hf:/m/i", "irony")["irony"].int8
    built = build_scorer(
        "transformers", False, "toxicity=hf:/m/t,irony=hf:/m/i", transformers_int8="toxicity"
    )
    assert {k: v.int8 for k, v in built.specs.items()} == {"toxicity": True, "irony": False}  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="true/false or scores among"):
        parse_int8("maybe", specs)
    with pytest.raises(ValueError, match="'sentiment' has no model"):
        parse_int8("toxicity,sentiment", specs)
