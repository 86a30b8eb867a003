"""The optional transformers stack, with tiny random models built here (no download)."""

from pathlib import Path

import numpy as np
import pytest

# `make test` installs the transformers extra: a missing torch is a failure, not a skip.
import torch
import transformers

from moderation.scorers.hf import (
    ModelLoadError,
    ModelSpec,
    TransformersScorer,
    load_detoxify,
    load_sequence_classifier,
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
