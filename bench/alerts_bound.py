"""What would a perfect baseline buy on the synthetic month? Spike alerts only.

    .venv/bin/python bench/alerts_bound.py --seed 7

Replays the beat exactly as bench/alerts.py does (every 5 s on the minute in progress, the same
lifecycle and scoring), for three spike detectors:

- `service`: the service's detector (`alerts/detector.py`), its baseline estimated from history;
- `true baseline, scan`: the same windows (1, 2, 4, 8, 15 min), minimum volume, ratio and
  crisis-share tests, but the expected counts are the generator's own usual rates (no day-level,
  share-drift or seasonal-median error) and the counts plain Poisson (phi = 1);
- `true baseline, CUSUM`: a Poisson CUSUM for a x3 rise (log-likelihood ratio, reset at 0) on the
  same true rates, with the same volume, ratio and crisis-share tests over its run (at most
  the last 15 min); `h` is its threshold in nats (the statistic is held at h at most, so it
  falls back soon after a crisis ends).

The two "true baseline" rows are not detectors anyone can run (nobody knows the usual rate
exactly): they bound what a better baseline or a sequential statistic could gain at these
volumes (docs/alerts.md, "The synthetic month").
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.backtest import Detection, detect_ticks, replay_ticks

# _pick: the service's choice among windows and its resolve rule, so the scan differs only in mu.
from alerts.detector import Params, Partial, Series, Signal, _pick, poisson_z, window_sums, windows
from bench import synthetic
from bench.alerts import Detector, synthetic_month


def _cum(x: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(x, dtype=float)])


def true_scan(p: Params) -> Detector:
    """The service's window scan with the generator's usual rates as the baseline."""

    def detector(m: synthetic.Month, series: Series, partials: list[Partial]) -> list[Detection]:
        assert m.usual_negatives is not None and m.usual_values is not None
        rate, t_rate = m.usual_negatives, m.usual_values
        n = len(series.values)
        idx = np.arange(n)
        ok = idx >= p.min_days * synthetic.MINUTES_PER_DAY
        ws_list = windows(series.bucket_s, p)
        per_tick = []
        for part in partials:
            assert part.negatives is not None
            rows = []
            for w in ws_list:
                mu = window_sums(rate, w) - rate * (1 - part.fraction)
                t_mu = window_sums(t_rate, w) - t_rate * (1 - part.fraction)
                obs = window_sums(m.negatives, w) - m.negatives + part.negatives
                t_obs = window_sums(m.values, w) - m.values + part.values
                z = poisson_z(obs, mu, np.ones(n))
                floor = p.min_count * max(1.0, w * series.bucket_s / p.min_count_s)
                active = ok & (obs >= floor) & (obs >= p.min_ratio * np.maximum(mu, 1.0))
                active &= z >= p.min_z
                excess = t_obs - t_mu
                active &= (excess <= 0) | (obs - mu >= p.crisis_share * excess)
                rows.append((active, obs, mu, z))
            per_tick.append(_pick(rows, ws_list, ok, rate, series.bucket_s, p))
        return replay_ticks(series, p, per_tick)

    return detector


def true_cusum(p: Params, h: float, rho: float = 3.0, span: int = 15) -> Detector:
    """Poisson CUSUM for a rise to `rho` x the generator's usual rate, threshold `h` nats."""

    def detector(m: synthetic.Month, series: Series, partials: list[Partial]) -> list[Detection]:
        assert m.usual_negatives is not None and m.usual_values is not None
        rate, t_rate = m.usual_negatives, m.usual_values
        x, tot = m.negatives, m.values
        n = len(x)
        lr = math.log(rho)
        s_after, run_start = np.zeros(n), np.zeros(n, dtype=int)
        s, start = 0.0, 0
        for t in range(n):  # the statistic after each whole minute, and where its run began
            g = x[t] * lr - (rho - 1.0) * rate[t]
            # Held at h at most: a long crisis would otherwise keep it above h for hours after.
            s, start = (0.0, t + 1) if s + g <= 0 else (min(s + g, h), start)
            s_after[t], run_start[t] = s, start
        cx, cm, ct, ctm = _cum(x), _cum(rate), _cum(tot), _cum(t_rate)
        t = np.arange(n)
        prev = np.concatenate([[0.0], s_after[:-1]])
        first = np.where(prev > 0, np.concatenate([[0], run_start[:-1]]), t)
        first = np.maximum(first, t - span + 1)
        ok = t >= p.min_days * synthetic.MINUTES_PER_DAY
        long_mu = window_sums(rate, span)
        per_tick = []
        for part in partials:
            assert part.negatives is not None
            stat = prev + part.negatives * lr - (rho - 1.0) * rate * part.fraction
            obs = cx[t] - cx[first] + part.negatives
            mu = cm[t] - cm[first] + rate * part.fraction
            excess = (
                ct[t] - ct[first] + part.values - (ctm[t] - ctm[first] + t_rate * part.fraction)
            )
            floor = p.min_count * np.maximum(1.0, (t - first + 1) * series.bucket_s / p.min_count_s)
            active = ok & (stat >= h) & (obs >= floor) & (obs >= p.min_ratio * np.maximum(mu, 1.0))
            active &= (excess <= 0) | (obs - mu >= p.crisis_share * excess)
            long_obs = window_sums(x, span) - x + part.negatives
            sustained = ok & (long_obs >= p.resolve_ratio * np.maximum(long_mu, 1.0))
            sustained &= long_obs >= p.min_count / 2
            per_tick.append(
                [
                    Signal("spike", bool(a), bool(su), float(o), float(b), float(z))
                    for a, su, o, b, z in zip(active, sustained, obs, mu, stat, strict=True)
                ]
            )
        return replay_ticks(series, p, per_tick)

    return detector


def service(p: Params) -> Detector:
    def detector(m: synthetic.Month, series: Series, partials: list[Partial]) -> list[Detection]:
        return detect_ticks(series, p, partials, kinds=("spike",))

    return detector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    base = Params()
    rows = [
        *[(f"service, z {z:g}", service(replace(base, min_z=z))) for z in (4.0, 4.5)],
        *[(f"true baseline, scan, z {z:g}", true_scan(replace(base, min_z=z))) for z in (4.0, 4.5)],
        *[(f"true baseline, CUSUM x3, h {h:g}", true_cusum(base, h)) for h in (9.0, 10.0, 11.0)],
    ]
    print(f"seed {args.seed}, spike alerts only")
    print(
        "detector                          | >=3x caught | false/pl/wk (worst) | median | >=3x  | x10 | x5  | x3   | x2"
    )
    for label, detector in rows:
        r = synthetic_month(base, args.seed, verbose=False, detector=detector)
        sizes = " | ".join(f"{r.get(f'median_x{s:g}', float('nan')):4.1f}" for s in (10, 5, 3, 2))
        print(
            f"{label:33s} | {r['big_caught']}/{r['big_total']}       | {r['false_per_week']:.2f} ({r['worst_per_week']:.2f})         "
            f"| {r['median_delay']:5.1f}  | {r['median_delay_big']:4.1f}  | {sizes}",
            flush=True,
        )


if __name__ == "__main__":
    main()
