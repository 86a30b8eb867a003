"""How far int8 moves the transformers stack's probabilities from float32.

With your own models (the check to run before setting VIGIE_TRANSFORMERS_INT8):

    python bench/int8_quality.py --models "$VIGIE_TRANSFORMERS_MODELS" --tsv comments.tsv \\
        [--n 2000] [--label label --positive 1]

loads each model twice with Vigie's loaders (float32, then int8), scores the first N texts of the
TSV's `text` column (cleaned as the scorer cleans them) with `hf.predict`, and prints per model:
how often the top label and each label's 0.5 decision agree, max and mean |Δp| (absolute
difference of a probability), the speed of
both, and, with `--label`, the ROC AUC of the score Vigie reads (toxicity, irony, negative) for
rows whose label equals `--positive`.

Without `--models`: random-weight xlm-roberta-base and bert-base with synthetic token ids
(`bench/synthetic_tokenizer.py`) on the speed bench's synthetic comments. Random weights say
nothing about a trained model's quality; this only shows the size of int8's rounding there.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.comments import comments  # noqa: E402
from bench.throughput import load_texts  # noqa: E402

READ = {"toxicity": ("toxicity", "toxic"), "irony": ("irony", "ironic", "label_1")}
READ["sentiment"] = ("negative", "label_0")


def _timed(loaded: Any, texts: list[str]) -> tuple[np.ndarray, float]:
    from moderation.scorers.hf import predict

    started = time.perf_counter()
    probs = predict(loaded, texts)
    return probs, len(texts) / (time.perf_counter() - started)


def compare(name: str, fp32: tuple[np.ndarray, float], int8: tuple[np.ndarray, float]) -> dict:
    """Agreement and differences between the two precisions' probabilities."""
    (p32, speed32), (p8, speed8) = fp32, int8
    delta = np.abs(p8 - p32)
    return {
        "model": name,
        "top label agrees %": 100 * float((p8.argmax(1) == p32.argmax(1)).mean()),
        "0.5 decisions agree %": 100 * float(((p8 >= 0.5) == (p32 >= 0.5)).mean()),
        "max Δp": float(delta.max()),
        "mean Δp": float(delta.mean()),
        "fp32 spread (mean std over texts)": float(p32.std(0).mean()),
        "comments/s fp32": speed32,
        "comments/s int8": speed8,
    }


def random_weights(n: int) -> list[dict]:
    from bench.synthetic_tokenizer import ARCHITECTURES, random_model
    from moderation.scorers.hf import LoadedModel, quantize_int8

    texts = comments(n)
    rows = []
    for architecture, labels in ARCHITECTURES.items():
        model, tokenizer = random_model(architecture)
        fp32 = _timed(LoadedModel(model, tokenizer, tuple(map(str, range(labels))), True), texts)
        model = quantize_int8(model)
        int8 = _timed(LoadedModel(model, tokenizer, tuple(map(str, range(labels))), True), texts)
        rows.append(compare(f"{architecture} (random weights)", fp32, int8))
    return rows


def own_models(models: str, tsv: Path, n: int, label: str | None, positive: str) -> list[dict]:
    from moderation.scorers.hf import column, load_detoxify, load_sequence_classifier, parse_specs
    from moderation.scorers.metrics import roc_auc
    from moderation.scoring import clean_text

    lines = tsv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t") if lines else []
    for needed in filter(None, ("text", label)):
        if needed not in header:
            raise ValueError(f"{tsv}: no {needed!r} column in the header {header}")
    texts = [clean_text(t) or " " for t in load_texts(n, tsv)]
    y = None
    if label:
        col = header.index(label)
        y = np.array([line.split("\t")[col] == positive for line in lines[1 : n + 1]])
    rows = []
    for score, spec in parse_specs(models).items():
        results = []
        for int8 in (False, True):
            if spec.kind == "detoxify":
                assert spec.config_dir is not None
                loaded = load_detoxify(spec.path, spec.config_dir, int8)
            else:
                loaded = load_sequence_classifier(spec.path, int8)
            results.append((loaded, _timed(loaded, texts)))
        row = compare(f"{score}: {spec.path.name}", results[0][1], results[1][1])
        if y is not None:
            for precision, (loaded, (probs, _)) in zip(("fp32", "int8"), results, strict=True):
                read = column(loaded, probs, *READ[score])
                row[f"AUC {precision}"] = 100 * roc_auc(y, read) if read is not None else None
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="VIGIE_TRANSFORMERS_MODELS-style spec")
    parser.add_argument("--tsv", type=Path, help="texts (a `text` column) for --models")
    parser.add_argument("--n", type=int, default=1_000)
    parser.add_argument("--label", help="a label column of the TSV, for ROC AUC")
    parser.add_argument("--positive", default="1", help="the label value that is positive")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.models:
        if args.tsv is None:
            parser.error("--models needs --tsv")
        from moderation.scorers.hf import ModelLoadError

        try:
            rows = own_models(args.models, args.tsv, args.n, args.label, args.positive)
        except (ValueError, ModelLoadError, OSError) as exc:
            sys.exit(f"int8_quality.py: {exc}")
        what = f"the first {min(args.n, len(load_texts(args.n, args.tsv)))} texts of {args.tsv}"
    else:
        rows = random_weights(args.n)
        what = f"{args.n} synthetic comments, synthetic token ids"
    print(f"float32 against int8 on {what}, {torch.get_num_threads()} torch threads\n")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        cells = [
            v if isinstance(v, str) else "-" if v is None else f"{v:.4g}" for v in row.values()
        ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
