"""How honest is the NAB parameter choice? Selection on some series, score on the others.

    .venv/bin/python bench/nab_split.py ../shared/eval/nab_realtweets

Runs the detector once per (grid setting, series), then, from those per-series scores:
- in-sample: the best setting on all ten series (an upper bound: it fits the test labels);
- split-half: the best setting on five series (even / odd positions), scored on the other five;
- two-fold: each series scored with the setting chosen on the other half;
- leave-one-series-out: each series scored with the best setting on the nine others (the
  cross-validated estimate of "pick the best grid setting, then run it on new series").
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.backtest import detect, series_from_rows
from alerts.detector import Params
from alerts.nab import FileScore, normalised, score_file
from bench.nab_run import load

PROFILES = ("standard", "low_fp")


def grid() -> list[Params]:
    return [
        Params(
            window_s=win,
            min_window_s=900,
            min_ratio=ratio,
            min_z=z,
            novelty_days=2.0,
            novelty_factor=1.2,
            min_count=15,
            cooldown_s=cool,
            resolve_s=3600,
            level_s=level,
        )
        for win, ratio, z, cool, level in itertools.product(
            [900, 3600], [3, 5, 8], [4, 6, 8], [12 * 3600, 24 * 3600], [0, 3 * 3600]
        )
    ]


def per_file(data, settings: list[Params]) -> list[dict[str, list[FileScore]]]:
    """For each setting, each profile: the list of per-series scores (in `data` order)."""
    out = []
    for p in settings:
        scores: dict[str, list[FileScore]] = {pr: [] for pr in PROFILES}
        for _name, times, values, spans in data:
            hits = [d.index for d in detect(series_from_rows(times, values, None), p, ("spike",))]
            for pr in PROFILES:
                scores[pr].append(score_file(len(times), spans, hits, pr))
        out.append(scores)
    return out


def best(table, files: list[int], profile: str) -> int:
    return max(range(len(table)), key=lambda k: normalised([table[k][profile][i] for i in files]))


def main() -> None:
    data = load(Path(sys.argv[1]))
    settings = grid()
    table = per_file(data, settings)
    n = len(data)
    everything = list(range(n))
    for profile in PROFILES:
        k = best(table, everything, profile)
        print(
            f"{profile}: in-sample best of {len(settings)} settings {normalised(table[k][profile]):.1f}"
            f" (upper bound, fits the labels): {settings[k]}"
        )
        for name, files in (("even", everything[0::2]), ("odd", everything[1::2])):
            rest = [i for i in everything if i not in files]
            k = best(table, files, profile)
            chosen = normalised([table[k][profile][i] for i in files])
            held = normalised([table[k][profile][i] for i in rest])
            print(
                f"{profile}: chosen on the {name} series ({chosen:.1f} there), on the other five {held:.1f}"
            )
        two_fold = [
            table[best(table, everything[1 - i % 2 :: 2], profile)][profile][i] for i in everything
        ]
        print(
            f"{profile}: two-fold (each half with the set chosen on the other) {normalised(two_fold):.1f}"
        )
        held_out = [
            table[best(table, [j for j in everything if j != i], profile)][profile][i]
            for i in everything
        ]
        print(f"{profile}: leave-one-series-out {normalised(held_out):.1f}")


if __name__ == "__main__":
    main()
