"""Severity levels and how a signal maps to one (documented in docs/alerts.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.detector import Signal

SEVERITIES = ("warning", "critical", "crisis")


def severity_of(signal: Signal) -> str:
    """Spike: x3 warning, x6 critical, x10 crisis. Shift: +20 pts warning, +35 critical.

    A raid is critical. Only crisis-level alerts page the on-call group at once.
    """
    if signal.kind == "spike":
        if signal.ratio >= 10:
            return "crisis"
        return "critical" if signal.ratio >= 6 else "warning"
    if signal.kind == "shift":
        delta = (signal.share or 0.0) - (signal.baseline_share or 0.0)
        return "critical" if delta >= 0.35 else "warning"
    return "critical"
