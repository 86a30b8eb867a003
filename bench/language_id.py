"""Language identification of short texts, per language and prior: `python bench/language_id.py EVAL`.

Two kinds of short texts (2-8 words):
- social media: the EVAL folder's English (TweetEval offensive train) and French (ToxiFrench,
  XLM-T French train) comments of at most 6 words;
- interface strings in en, fr, it, es, de, pt, nl: the translations of this machine's gettext
  catalogs (`/usr/share/locale/<lang>/LC_MESSAGES/*.mo`, read with the standard library), format
  codes removed. They are not comments, but they are short, real sentences in every language the
  identifier answers, which is what a prior for short comments trades between.

For each `--weights` setting (VIGIE_LANGUAGE_WEIGHTS syntax) it prints, per set, the share
identified right, as `und` (unsure: the scorer halves its confidence) and as another language.
"""

from __future__ import annotations

import argparse
import gettext
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from moderation.scorers.datasets import read_tsv  # noqa: E402
from moderation.scoring import LexiconScorer  # noqa: E402
from vigie.settings import SettingsError, _language_weights  # noqa: E402

LOCALE_DIRS = {
    "fr": ["fr"],
    "it": ["it"],
    "es": ["es"],
    "de": ["de"],
    "pt": ["pt", "pt_BR"],
    "nl": ["nl"],
}
_FORMAT = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|\{[^}]*\}|<[^>]*>|[&_]|\\n|\$\w+")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _FORMAT.sub(" ", text)).strip(" :.-")


def _short(text: str, lo: int = 2, hi: int = 8) -> bool:
    letters = text.replace(" ", "")
    return lo <= len(text.split()) <= hi and sum(c.isalpha() for c in letters) >= 0.7 * len(letters)


def interface_strings(locale_root: Path, per_language: int, seed: int) -> dict[str, list[str]]:
    """Short translated interface strings per language, and their English originals."""
    found: dict[str, set[str]] = {lang: set() for lang in ("en", *LOCALE_DIRS)}
    for lang, dirs in LOCALE_DIRS.items():
        for name in dirs:
            for path in sorted((locale_root / name / "LC_MESSAGES").glob("*.mo")):
                try:
                    with path.open("rb") as handle:
                        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
                except (OSError, ValueError, UnicodeDecodeError):
                    continue
                for key, value in catalog.items():
                    if not isinstance(key, str) or not isinstance(value, str):
                        continue
                    original, translated = _clean(key), _clean(value)
                    if translated and translated != original and _short(translated):
                        found[lang].add(translated)
                    if original and _short(original):
                        found["en"].add(original)
    rng = random.Random(seed)
    out = {}
    for lang, texts in found.items():
        ordered = sorted(texts)
        rng.shuffle(ordered)
        out[lang] = ordered[:per_language]
    return out


def social_texts(eval_root: Path, max_words: int = 6) -> dict[str, list[str]]:
    def short(path: Path) -> list[str]:
        return [t for t, _, _ in read_tsv(path) if 1 <= len(t.split()) <= max_words]

    return {
        "en social": short(eval_root / "tweeteval_offensive" / "train.tsv"),
        "fr social": short(eval_root / "toxifrench_fr" / "all.tsv")
        + short(eval_root / "xlmt_sentiment_fr" / "train.tsv"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("eval", type=Path, help="the labelled data folder (../shared/eval)")
    parser.add_argument("--locales", type=Path, default=Path("/usr/share/locale"))
    parser.add_argument("--per-language", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--weights", action="append", help="a VIGIE_LANGUAGE_WEIGHTS value (repeatable)"
    )
    args = parser.parse_args()
    sets = {
        **social_texts(args.eval),
        **interface_strings(args.locales, args.per_language, args.seed),
    }
    print("texts:", ", ".join(f"{name} {len(texts)}" for name, texts in sets.items()))
    for raw in args.weights or ["en=3,fr=3"]:
        try:
            weights = _language_weights({"VIGIE_LANGUAGE_WEIGHTS": raw})
        except SettingsError as exc:
            parser.error(str(exc))
        scorer = LexiconScorer(weights)
        print(f"\nVIGIE_LANGUAGE_WEIGHTS={raw}")
        print("| texts | n | right | und | read as another language |")
        print("|---|---|---|---|---|")
        for name, texts in sets.items():
            if not texts:
                continue
            gold = name.split()[0]
            got = Counter(scorer.language(text)[0] for text in texts)
            n = len(texts)
            other = ", ".join(
                f"{lang} {100 * k / n:.1f}%"
                for lang, k in got.most_common()
                if lang not in (gold, "und") and k / n >= 0.01
            )
            print(
                f"| {name} | {n} | {100 * got[gold] / n:.1f}% | {100 * got['und'] / n:.1f}% "
                f"| {other or '—'} |"
            )


if __name__ == "__main__":
    main()
