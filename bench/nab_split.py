"""Split-half check of the NAB parameter choice: tune on five series, score the other five.

    .venv/bin/python bench/nab_split.py ../shared/eval/nab_realtweets

The grid is the one NAB_PARAMS was picked from (window, ratio, z, novelty, minimum count);
the out-of-sample scores say how optimistic the in-sample figure is.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.detector import Params
from bench.nab_run import load, run


def grid() -> list[Params]:
    return [
        Params(
            window_s=win,
            min_ratio=ratio,
            min_z=z,
            novelty_days=nd,
            novelty_factor=1.2 if nd else 1.0,
            min_count=cnt,
            cooldown_s=12 * 3600,
            resolve_s=3600,
            fast_window_s=0,
        )
        for win, ratio, z, nd, cnt in itertools.product(
            [300, 900], [6, 8, 10], [6, 10], [0, 2, 3], [10, 15]
        )
    ]


def main() -> None:
    data = load(Path(sys.argv[1]))
    halves = {"A": data[0::2], "B": data[1::2]}
    for train, test in (("A", "B"), ("B", "A")):
        scored = [(run(halves[train], p), p) for p in grid()]
        best, params = max(scored, key=lambda rp: rp[0]["standard"][0])
        out = run(halves[test], params)
        print(
            f"tuned on {train} ({', '.join(n for n, *_ in halves[train])}): "
            f"standard {best['standard'][0]:.1f} low_fp {best['low_fp'][0]:.1f}; "
            f"on {test}: standard {out['standard'][0]:.1f} low_fp {out['low_fp'][0]:.1f}"
        )


if __name__ == "__main__":
    main()
