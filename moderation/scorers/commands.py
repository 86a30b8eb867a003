"""`vigie score FILE` and `vigie models ...`: the analysts' and maintainers' commands."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from moderation.scorers.datasets import DatasetError
from moderation.scorers.inputs import FORMATS, InputError, Record, batched, open_records
from moderation.scoring import Scorer

BATCH = 64
PROGRESS_FROM = 500  # rows; shorter inputs get no progress bar


def score_records(scorer: Scorer, records: list[Record], progress: bool) -> Iterator[dict]:
    """One output dict per record, in order: its id (if any) then every score."""
    bar = click.progressbar(length=len(records), label="scoring", file=sys.stderr)
    with bar if progress else contextlib.nullcontext():
        for batch in batched(records, BATCH):
            scores = scorer.score_batch([r.text for r in batch], [r.language for r in batch])
            for record, score in zip(batch, scores, strict=True):
                row = {"id": record.id} if record.id is not None else {}
                row.update(score.to_dict())
                yield row
            if progress:
                bar.update(len(batch))


@click.command("score")
@click.argument("path", default="-")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the name.")
@click.option(
    "--scorer",
    "name",
    type=click.Choice(("default", "lexicon", "transformers")),
    help="Default: VIGIE_SCORER.",
)
@click.option("--explain/--no-explain", default=True, show_default=True)
def score(path: str, fmt: str | None, name: str | None, explain: bool) -> None:
    """Score texts from PATH (TSV or CSV with a 'text' column, JSONL, lines; '-' is stdin).

    Writes one JSON line per input with every score, the language and the confidence.
    """
    from moderation.scorers import build_scorer
    from vigie.cli import load_settings

    try:
        records, _fmt = open_records(path, fmt)
    except InputError as exc:
        raise click.ClickException(f"{'stdin' if path == '-' else path}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror or exc}") from None
    settings = load_settings()
    try:
        scorer = build_scorer(
            name or settings.scorer,
            explain,
            settings.transformers_models,
            settings.language_weights,
            settings.transformers_int8,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for row in score_records(scorer, records, progress=len(records) >= PROGRESS_FROM):
        click.echo(json.dumps(row, ensure_ascii=False))


@click.group()
def models() -> None:
    """The default stack's trained heads."""


@models.command("train")
@click.option("--data", "data", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--cache", default="var/models-cache", show_default=True, type=click.Path())
@click.option("--out", default=None, type=click.Path(), help="Default: the packaged heads.npz.")
@click.option("--head", "heads", multiple=True, help="Train only these heads (repeatable).")
def models_train(data: str, cache: str, out: str | None, heads: tuple[str, ...]) -> None:
    """Train the heads from the labelled TSV datasets under --data (needs vigie[train])."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "training needs scikit-learn: pip install 'vigie[train]'"
        ) from None
    from moderation.scorers.datasets import TASKS
    from moderation.scorers.heads import HEADS_FILE, HeadSet, load_heads, save_heads
    from moderation.scorers.training import train_all

    unknown = set(heads) - set(TASKS)
    if unknown:
        raise click.ClickException(f"unknown heads {sorted(unknown)}; known: {list(TASKS)}")
    target = Path(out) if out else HEADS_FILE
    try:
        trained = train_all(Path(data), Path(cache), click.echo, heads or tuple(TASKS))
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    if heads and target.exists():  # keep the heads that were not retrained
        previous = load_heads(target)
        trained = HeadSet(trained.version, {**previous.heads, **trained.heads}, trained.meta)
    save_heads(target, trained)
    for name, head in trained.heads.items():
        info = head.info
        click.echo(
            f"{name:10} dev {info['metric']}={info['dev']:.1f} ECE={info['dev_ece']:.3f} "
            f"lexical={head.uses_lexical} layers={len(head.weights)}"
        )
    click.echo(f"wrote {target} ({target.stat().st_size // 1024} KiB)")


@models.command("fit-evidence")
@click.option("--data", "data", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", default=None, type=click.Path(), help="Default: the packaged heads.npz.")
def models_fit_evidence(data: str, out: str | None) -> None:
    """Fit the explicit-abuse weights of toxicity on the dev splits and store them in the heads.

    Run after `vigie models train`; rewrites the heads file with the weights and the toxicity
    threshold tuned again on dev.
    """
    from dataclasses import replace

    from moderation.scorers.default import DefaultScorer
    from moderation.scorers.heads import HEADS_FILE, HeadSet, save_heads
    from moderation.scorers.training import fit_evidence

    target = Path(out) if out else HEADS_FILE
    scorer = DefaultScorer(heads_path=HEADS_FILE if out is None else Path(out), explain=False)
    try:
        result = fit_evidence(Path(data), scorer, click.echo)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    heads = scorer.heads
    toxicity = heads.heads["toxicity"]
    info = {**toxicity.info, "evidence_dev": result["dev"]}
    updated = {
        **heads.heads,
        "toxicity": replace(toxicity, threshold=result["threshold"], info=info),
    }
    meta = {**heads.meta, "evidence": {"weights": result["weights"]}}
    save_heads(target, HeadSet(heads.version, updated, meta))
    click.echo(f"wrote {target}")


@models.command("import-profanity")
@click.option(
    "--data",
    "data",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="Also check the copy on every text of the datasets' TSV files here.",
)
@click.option("--out", default=None, type=click.Path(), help="Default: the packaged file.")
def models_import_profanity(data: str | None, out: str | None) -> None:
    """Copy alt-profanity-check's SVM into profanity.npz (needs vigie[train]).

    The copy is checked against the package's own probabilities before it is written.
    """
    from moderation.scorers.profanity import PROFANITY_FILE, export_from_package

    try:
        import profanity_check  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "this needs alt-profanity-check: pip install 'vigie[train]'"
        ) from None
    texts: list[str] = []
    if data:
        for tsv in sorted(Path(data).glob("*/*.tsv")):
            records, _fmt = open_records(str(tsv), "tsv")
            texts.extend(r.text for r in records)
    target = Path(out) if out else PROFANITY_FILE
    try:
        meta = export_from_package(target, texts)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"wrote {target} from {meta['source']}: {meta['checked_texts']} texts checked, "
        f"largest difference {meta['max_difference']:.1e}"
    )


@models.command("info")
def models_info() -> None:
    """Print the packaged heads' version, training data and dev metrics."""
    from moderation.scorers.heads import load_heads

    heads = load_heads()
    click.echo(json.dumps({"version": heads.version, **heads.meta}, indent=2))
    for name, head in heads.heads.items():
        info = {k: v for k, v in head.info.items() if k != "candidates"}
        click.echo(f"{name}: {json.dumps(info)}")
