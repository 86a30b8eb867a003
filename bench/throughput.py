"""Scoring speed and memory, side by side: `python bench/throughput.py [--n 1000]`.

Each stack runs in its own process (so peak RSS is its own), limited to 2 threads, on the same
~1,000 synthetic mixed EN/FR comments, at batch 1 and batch 32. The default stack is also timed
as workers run it on a 2-core host: `--processes` (2) processes at once, one BLAS thread each,
their rates summed (peak RSS is per process). The Detoxify-sized models are
xlm-roberta-base (Detoxify multilingual) and bert-base-uncased (Detoxify original) built from a
config with random weights (speed does not depend on the weights; needs vigie[transformers]).
No tokenizer files are available offline, so their inputs are random token ids with a length of
1.4 tokens per whitespace word + 2, padded per batch (dynamic padding).

The transformers stack against Detoxify's own `predict` (xlm-roberta-base, random weights,
`bench/synthetic_tokenizer.py` in place of the tokenizer, fixed ids per text):
- `detoxify-own`: what `Detoxify.predict(texts)` does with each call: tokenize the call's texts
  in input order padded to the longest (truncation at 512), one float32 forward pass, sigmoid.
  Timed in calls of 1 and of 32 texts (Detoxify's batch 32).
- `hf-predict-fp32`, `hf-predict-int8`: Vigie's `moderation.scorers.hf.predict` (sort the call's
  texts by length, batches of 32 padded per batch, truncation at 256), float32 or int8
  (`quantize_int8`). Timed in calls of 1, 32 and 100 texts (a worker's task holds up to 100
  comments gathered by VIGIE_ENQUEUE_WAIT) and in one call of all N (`vigie score`, an API batch).
  Sorting only helps within a call, so calls of 32 show the int8 gain alone.
- `transformers-int8`: the whole `TransformersScorer.score_batch` with that int8 model as its
  toxicity model: the default stack for the other scores, text cleaning, label mapping.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run from anywhere: the project root first, so `bench.*` and the project's packages import
# (and no script in bench/ can shadow a standard-library module).
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.comments import comments  # noqa: E402

STACKS = (
    "default",
    "default-nocache",
    "default-2threads",
    "default+explain",
    "lexicon",
    "xlm-roberta-base",
    "bert-base",
    "detoxify-own",
    "hf-predict-fp32",
    "hf-predict-int8",
    "transformers-int8",
)
THREADS = 2
HF_STACKS = ("hf-predict-fp32", "hf-predict-int8", "transformers-int8")
# 16 labels as in the bench's xlm-roberta-base; only "toxicity" is read by the scorer
DETOXIFY_MULTILINGUAL = ("toxicity", *(f"label_{i}" for i in range(1, 16)))


def _set_threads(n: int) -> None:
    global THREADS
    THREADS = n


def _limit_threads() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(THREADS)


def _scorer_fn(stack: str):  # type: ignore[no-untyped-def]
    if stack.startswith("default") or stack == "lexicon":
        from moderation.scorers import build_scorer

        name = "lexicon" if stack == "lexicon" else "default"
        scorer = build_scorer(name, explain=stack.endswith("+explain"))
        if stack == "default-nocache":  # every comment embedded, even a repeated one
            scorer.text_cache = 0  # type: ignore[attr-defined]
        if stack == "default-2threads":  # the encoder's BLAS on both threads (default: one)
            scorer.threads = THREADS  # type: ignore[attr-defined]

        def score(texts: list[str]):  # type: ignore[no-untyped-def]
            return scorer.score_batch(texts)

        # each timed phase starts with an empty text cache (the token-id cache stays warm)
        score.reset = lambda: getattr(scorer, "_cache", {}).clear()  # type: ignore[attr-defined]
        return score
    if stack == "detoxify-own" or stack in HF_STACKS:
        return _transformers_fn(stack)
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

    torch.set_num_threads(THREADS)
    if stack == "xlm-roberta-base":
        config = XLMRobertaConfig(
            vocab_size=250002, max_position_embeddings=514, type_vocab_size=1, num_labels=16
        )
        model = XLMRobertaForSequenceClassification(config).eval()
    else:
        config = BertConfig(vocab_size=30522, num_labels=6)
        model = BertForSequenceClassification(config).eval()
    generator = torch.Generator().manual_seed(0)

    def run(texts: list[str]):  # type: ignore[no-untyped-def]
        lengths = [min(int(1.4 * len(t.split())) + 2, 512) for t in texts]
        width = max(lengths)
        ids = torch.randint(5, 30000, (len(texts), width), generator=generator)
        mask = torch.zeros((len(texts), width), dtype=torch.long)
        for i, n in enumerate(lengths):
            mask[i, :n] = 1
        with torch.inference_mode():
            return torch.sigmoid(model(input_ids=ids, attention_mask=mask).logits)

    return run


def _transformers_fn(stack: str):  # type: ignore[no-untyped-def]
    import torch

    from bench.synthetic_tokenizer import random_model
    from moderation.scorers import hf

    torch.set_num_threads(THREADS)
    model, tokenizer = random_model("xlm-roberta-base")
    if stack == "detoxify-own":  # detoxify 0.5.x Detoxify.predict, on one call's texts

        def predict(texts: list[str]):  # type: ignore[no-untyped-def]
            inputs = tokenizer(texts, return_tensors="pt", truncation=True, padding=True)
            with torch.no_grad():
                out = model(**inputs)[0]
            return torch.sigmoid(out).cpu().detach().numpy()

        return predict
    if stack.endswith("int8"):
        model = hf.quantize_int8(model)
    loaded = hf.LoadedModel(model, tokenizer, DETOXIFY_MULTILINGUAL, multi_label=True)
    if stack.startswith("hf-predict"):
        return lambda texts: hf.predict(loaded, texts)
    from moderation.scorers import build_scorer

    scorer = build_scorer("transformers", transformers_models="toxicity=hf:/not/read")
    scorer._models["toxicity"] = loaded  # type: ignore[attr-defined]

    def score(texts: list[str]):  # type: ignore[no-untyped-def]
        return scorer.score_batch(texts)

    score.reset = lambda: scorer.fallback._cache.clear()  # type: ignore[attr-defined]
    return score


def load_texts(n: int, tsv: Path | None) -> list[str]:
    """`n` synthetic comments, or the first `n` texts of a TSV with a `text` column."""
    if tsv is None:
        return comments(n)
    lines = tsv.read_text(encoding="utf-8").splitlines()
    col = lines[0].split("\t").index("text")
    return [line.split("\t")[col] for line in lines[1 : n + 1]]


def measure(stack: str, n: int, tsv: Path | None = None) -> dict:
    """Comments/s at batch 1 and batch 32, and peak RSS, for one stack in this process."""
    _limit_threads()
    texts = load_texts(n, tsv)
    run = _scorer_fn(stack)
    run(["warm-up", "échauffement"])  # load models (as a worker does on start)
    result = {"stack": stack}
    # calls of 1, 32 (and for Vigie's transformers stack 100 and all N texts at once)
    for batch in (1, 32, 100, len(texts)) if stack in HF_STACKS else (1, 32):
        getattr(run, "reset", lambda: None)()
        todo = texts[: max(n // 5, 64)] if batch == 1 else texts
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(todo), batch):
            run(todo[i : i + batch])
        key = "all" if batch == len(texts) else f"batch{batch}"
        result[key] = len(todo) / (time.perf_counter() - started)
        # CPU seconds of this process (all its threads): less sensitive to a loaded machine
        result[f"{key}_cpu"] = len(todo) / max(time.process_time() - cpu, 1e-9)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000)
    parser.add_argument("--only", choices=STACKS, help="measure one stack here (internal)")
    parser.add_argument("--stacks", default=",".join(STACKS))
    parser.add_argument("--tsv", type=Path, help="score the first N texts of this TSV instead")
    parser.add_argument(
        "--threads", type=int, default=THREADS, help="threads per stack (BLAS and torch)"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="also time the default stack in N processes"
    )
    args = parser.parse_args()
    _set_threads(args.threads)
    if args.only:
        print(json.dumps(measure(args.only, args.n, args.tsv)))
        return
    rows = []
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if args.processes > 1:  # as workers run: N processes at once, one BLAS thread each
        for stack in ("default", "default-nocache"):
            procs = [
                subprocess.Popen(
                    [sys.executable, __file__, "--only", stack, "--n", str(args.n)]
                    + ["--threads", str(args.threads)]
                    + (["--tsv", str(args.tsv)] if args.tsv else []),
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(args.processes)
            ]
            parts = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
            rows.append(
                {
                    "stack": f"{stack} × {args.processes} processes (sum)",
                    **{k: sum(p[k] for p in parts) for k in ("batch1", "batch32", "batch32_cpu")},
                    "rss_mb": max(p["rss_mb"] for p in parts),
                }
            )
    for stack in args.stacks.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--only", stack, "--n", str(args.n)]
            + ["--threads", str(args.threads)]
            + (["--tsv", str(args.tsv)] if args.tsv else []),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
            print(f"{stack}: skipped ({reason})", file=sys.stderr)
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = next((r for r in rows if r["stack"] == "xlm-roberta-base"), None)
    texts = load_texts(args.n, args.tsv)
    print(
        f"{args.n} {'comments of ' + args.tsv.name if args.tsv else 'synthetic EN/FR comments'} ({len(set(texts))} distinct), {THREADS} threads "
        f"(batch 1 on the first {max(args.n // 5, 64)}); load average before/after: "
        f"{load_before} / {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    print(
        "| stack | comments/s batch 1 | comments/s batch 32 | × xlm-r batch 32 "
        "| comments per CPU-second batch 32 | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['batch32'] / base['batch32']:.1f}" if base else "-"
        print(
            f"| {r['stack']} | {r['batch1']:.0f} | {r['batch32']:.0f} | {ratio} "
            f"| {r['batch32_cpu']:.0f} | {r['rss_mb']:.0f} |"
        )
    own = next((r for r in rows if r["stack"] == "detoxify-own"), None)
    hf_rows = [r for r in rows if r["stack"] in HF_STACKS]
    if own and hf_rows:
        print(
            f"\nThe transformers stack against Detoxify's own predict at batch 32 "
            f"({own['batch32']:.1f} comments/s, {own['batch32_cpu']:.1f} per CPU-second); "
            "comments/s (× detoxify-own batch 32):\n"
        )
        print(
            "| stack | calls of 32 | calls of 100 | one call of all | "
            "per CPU-second, one call of all | peak RSS MB |"
        )
        print("|---|---|---|---|---|---|")
        for r in hf_rows:
            cells = [
                f"{r[k]:.1f} ({r[k] / own['batch32']:.2f}×)" for k in ("batch32", "batch100", "all")
            ]
            print(
                f"| {r['stack']} | {' | '.join(cells)} | {r['all_cpu']:.1f} "
                f"({r['all_cpu'] / own['batch32_cpu']:.2f}×) | {r['rss_mb']:.0f} |"
            )


if __name__ == "__main__":
    main()
