"""Alert quality figures: NAB realTweets (both profiles) and a synthetic month per platform.

    .venv/bin/python bench/alerts.py --nab ../shared/eval/nab_realtweets

The NAB data is read from the given path, never copied into the project.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.backtest import Detection, detect_ticks
from alerts.detector import Params, Partial, Series
from bench import synthetic
from bench.nab_run import load, run

# One parameter set for all ten NAB series: the best of bench/nab_split.py's grid (72 settings)
# on all ten, both profiles alike. In-sample, so an upper bound; the honest figures are the
# cross-validated ones bench/nab_split.py prints (docs/alerts.md, "NAB realTweets").
NAB_PARAMS = Params(
    window_s=3600,
    min_window_s=900,
    min_count=15,
    min_ratio=5.0,
    min_z=6.0,
    novelty_days=2.0,
    novelty_factor=1.2,
    cooldown_s=12 * 3600,
    resolve_s=3600,
    level_s=0,
)
BEAT_S = 5  # VIGIE_ALERT_INTERVAL: the beat judges the minute in progress every 5 s
SEND_S = 2.0  # from the tick that fires to the Slack call: the tick's own run, the outbox row,
# the send task's queueing and the API call (bench/alerts_tick.py, bench/alerts_e2e.py); no
# group_wait (docs/alerts.md, "Noise control").


def nab(root: Path, params: Params, label: str, per_file: bool = True) -> None:
    print(label)
    result = run(load(root), params)
    for profile, (score, files) in result.items():
        tp = sum(s.tp for _, s in files)
        fp = sum(s.fp for _, s in files)
        fn = sum(s.fn for _, s in files)
        print(
            f"NAB realTweets {profile:8s} normalised score {score:5.1f}  (windows hit {tp}, missed {fn}, false detections {fp})"
        )
    for name, s in result["standard"][1] if per_file else []:
        print(f"  {name:22s} raw {s.raw:6.2f}  hit {s.tp} missed {s.fn} false {s.fp}")


Detector = Callable[[synthetic.Month, Series, list[Partial]], list[Detection]]


def synthetic_month(
    params: Params,
    seed: int,
    verbose: bool = True,
    detector: Detector | None = None,
    volume: float = 1.0,
) -> dict[str, float]:
    """Replay the beat over each platform's month: every 5 s on the minute in progress.

    `detector` (the service's, `detect_ticks`, by default) gives the incidents opened on one
    platform's month; bench/alerts_bound.py passes others to compare with.
    """
    caught, total, big_caught, big_total, false, weeks, delays = 0, 0, 0, 0, 0, 0.0, []
    by_size: dict[float, list[float]] = {}
    worst = 0.0
    for k, platform in enumerate(synthetic.PLATFORMS):
        m = synthetic.month(platform, seed + k, volume=volume)
        series = Series(0.0, 60, m.values, m.negatives)
        partials = synthetic.ticks(m, 60 // BEAT_S)
        opened = (
            detect_ticks(series, params, partials)
            if detector is None
            else detector(m, series, partials)
        )
        found = [d for d in opened if d.index >= m.warmup]
        platform_weeks = (len(m.values) - m.warmup) / (7 * synthetic.MINUTES_PER_DAY)
        weeks += platform_weeks
        crises = [e for e in m.events if e.kind == "crisis"]
        matched: set[int] = set()
        for e in crises:
            hits = [d for d in found if e.start <= d.index < e.end]
            total += 1
            big_total += e.size >= 3
            if hits:
                caught += 1
                big_caught += e.size >= 3
                delays.append((hits[0].seen_at + SEND_S - e.start * 60) / 60)
                by_size.setdefault(e.size, []).append(delays[-1])
                matched.update(id(d) for d in found if e.start <= d.index < e.end + 120)
            elif verbose:
                print(f"  missed crisis {platform} minute {e.start} x{e.size:g} ramp {e.ramp} min")
        own = [d for d in found if id(d) not in matched]
        false += len(own)
        worst = max(worst, len(own) / platform_weeks)
        for d in own if verbose else []:
            viral = any(e.start <= d.index < e.end for e in m.events if e.kind == "viral")
            print(
                f"  false alert {platform} minute {d.index} {d.kind} {d.severity}{' (viral burst)' if viral else ''}"
            )
    out = {
        "caught": caught, "total": total, "big_caught": big_caught, "big_total": big_total,
        "false_per_week": false / weeks, "worst_per_week": worst,
        "median_delay": statistics.median(delays) if delays else float("inf"),
        "median_delay_big": statistics.median(
            [d for size, v in by_size.items() if size >= 3 for d in v] or [float("inf")]
        ),
        **{f"median_x{size:g}": statistics.median(v) for size, v in sorted(by_size.items())},
    }  # fmt: skip
    if not verbose:
        return out
    print(
        f"synthetic month: crises caught {caught}/{total}; at >= 3x baseline {big_caught}/{big_total}"
    )
    print(
        f"synthetic month: false alerts per platform per week {false / weeks:.2f} ({false} in {weeks:.1f} platform-weeks; worst platform {worst:.2f})"
    )
    if delays:
        print(
            f"synthetic month: median minutes from a crisis's first minute to the Slack call {statistics.median(delays):.1f} (beat every {BEAT_S} s on the minute in progress, + {SEND_S:.0f} s to send)"
        )
        big = [d for size, v in by_size.items() if size >= 3 for d in v]
        print(f"  crises >= x3: median delay {statistics.median(big):.1f} min")
        for size, values in sorted(by_size.items()):
            print(
                f"  crises x{size:g}: caught {len(values)}, median delay {statistics.median(values):.1f} min, worst {max(values):.1f}"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nab", type=Path, help="path to the NAB realTweets folder")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--volume",
        type=float,
        default=1.0,
        help="synthetic month: multiply every platform's usual comment rate (10: a big brand)",
    )
    args = parser.parse_args()
    if args.nab:
        nab(
            args.nab,
            Params(),
            "NAB with the service defaults (chosen on the synthetic month):",
            False,
        )
        nab(
            args.nab,
            NAB_PARAMS,
            "NAB with NAB_PARAMS (in-sample: the best of bench/nab_split.py's grid on all ten series, an upper bound):",
        )
    synthetic_month(Params(), args.seed, volume=args.volume)


if __name__ == "__main__":
    main()
