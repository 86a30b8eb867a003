"""The alert message, built apart from sending it: `slack_blocks(view)` is a pure function.

The console transport prints `plain_text(view)`, the same content without Block Kit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

MAX_BLOCKS = 50  # Slack's limit per message
MAX_SECTION = 3000  # characters per section text
ICONS = {
    "warning": ":large_yellow_circle:",
    "critical": ":large_orange_circle:",
    "crisis": ":red_circle:",
}
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class AlertView:
    """Everything a person needs to act on one incident."""

    incident_id: int
    platform: str
    topic: str
    kind: str  # spike | shift | raid
    severity: str
    status: str  # firing | acknowledged | snoozed | resolved
    opened_at: datetime
    observed: float
    baseline: float
    window_min: int
    review_url: str
    share: float | None = None
    baseline_share: float | None = None
    history: tuple[float, ...] = ()  # negative comments per 10 minutes, last hours
    top_terms: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()  # representative comments, abusive words already masked
    note: str | None = None  # who acknowledged, snoozed or resolved


def slack_escape(text: str) -> str:
    """Text shown as is in Slack mrkdwn: `&`, `<` and `>` escaped, as Slack asks.

    Comments are written by anyone: unescaped, a sample reading `<!channel>` would notify the
    whole alert channel, and `<https://…|Open the review queue>` would be a disguised link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def where(view: AlertView) -> str:
    return view.platform + (f" · {view.topic}" if view.topic else "")


def headline(view: AlertView) -> str:
    """What happened, in one line."""
    ratio = view.observed / max(view.baseline, 1.0)
    if view.kind == "shift":
        what = (
            f"negative share {_pct(view.share)} in the last {view.window_min} min "
            f"(usually {_pct(view.baseline_share)})"
        )
    elif view.kind == "raid":
        what = f"toxic raid: {view.observed:.0f} near-identical toxic comments from many authors"
    else:
        what = (
            f"negative comments ×{ratio:.1f}: {view.observed:.0f} in {view.window_min} min "
            f"(usually {view.baseline:.0f})"
        )
    state = "" if view.status == "firing" else f" [{view.status}]"
    return f"{view.severity.upper()}{state} · {where(view)}: {what}"


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    top = max(values) or 1.0
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1)))] for v in values)


def _pct(x: float | None) -> str:
    return "?" if x is None else f"{100 * x:.0f}%"


def _clip(text: str, limit: int = MAX_SECTION) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _figures(view: AlertView) -> list[str]:
    figures = [
        f"*Now:* {view.observed:.0f} in {view.window_min} min",
        f"*Usual:* {view.baseline:.0f}",
        f"*Since:* <!date^{int(view.opened_at.timestamp())}^{{time}}|{view.opened_at:%H:%M} UTC>",
    ]
    if view.share is not None:
        figures.append(
            f"*Negative share:* {_pct(view.share)} (usually {_pct(view.baseline_share)})"
        )
    return figures


def slack_blocks(view: AlertView) -> dict[str, object]:
    """Block Kit payload: headline, figures, chart, top terms, samples, review link, buttons."""
    icon = ICONS.get(view.severity, ":white_circle:")
    text = slack_escape(headline(view))
    blocks: list[dict[str, object]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(f"{icon} *{text}*")}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in _figures(view)]},
    ]
    if view.history:
        chart = f"`{sparkline(view.history)}` negative comments per 10 min, last {len(view.history) // 6} h"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": chart}]})
    if view.top_terms:
        terms = "*Top terms:* " + ", ".join(slack_escape(t) for t in view.top_terms[:10])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(terms)}})
    for sample in view.samples[:3]:
        quoted = "> " + slack_escape(_clip(sample, 500)).replace("\n", "\n> ")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
    link = f"<{view.review_url}|Open the review queue for this incident>"
    if view.note:
        link += f" · {slack_escape(view.note)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(link)}]})
    if view.status != "resolved":
        blocks.append(
            {
                "type": "actions",
                "block_id": f"incident:{view.incident_id}",
                "elements": _buttons(view),
            }
        )
    return {"text": text, "blocks": blocks[:MAX_BLOCKS]}


def _buttons(view: AlertView) -> list[dict[str, object]]:
    value = str(view.incident_id)
    return [
        {"type": "button", "action_id": "ack", "text": {"type": "plain_text", "text": "Acknowledge"}, "value": value, "style": "primary"},
        {"type": "button", "action_id": "snooze_1h", "text": {"type": "plain_text", "text": "Snooze 1 h"}, "value": value},
        {"type": "button", "action_id": "silence_4h", "text": {"type": "plain_text", "text": "Silence platform 4 h"}, "value": value},
        {"type": "button", "action_id": "resolve", "text": {"type": "plain_text", "text": "Resolve"}, "value": value, "style": "danger"},
    ]  # fmt: skip


def printable(text: str) -> str:
    """Commenters' text for a terminal: control characters (an escape sequence could clear or
    rewrite the operator's screen) become spaces."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def plain_text(view: AlertView) -> str:
    """The same content for a terminal."""
    lines = [headline(view), "  " + " · ".join(f.replace("*", "") for f in _figures(view)[:2])]
    if view.history:
        lines.append(f"  last hours: {sparkline(view.history)}")
    if view.top_terms:
        lines.append("  top terms: " + printable(", ".join(view.top_terms[:10])))
    lines += [f"  > {printable(s)}" for s in view.samples[:3]]
    lines.append(f"  review: {view.review_url}")
    return "\n".join(lines)
