"""Where alert messages go: a plain dict of classes behind one small protocol.

`send(message)` returns where the message landed, or raises DeliveryError saying whether a
retry can help (and after how long, from Slack's Retry-After).
"""

from __future__ import annotations

import base64
import sys
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

# Retrying cannot fix these: disable, surface to the operator.
PERMANENT = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "channel_not_found", "is_archived", "not_in_channel", "missing_scope", "invalid_blocks",
    "msg_too_long", "no_text", "message_not_found", "cant_update_message",
})  # fmt: skip

_BAD_TOKEN = "SLACK_BOT_TOKEN is refused: set a valid bot token"  # noqa: S105 - a message, not a secret
_CHANNEL = "check VIGIE_ALERT_CHANNELS and invite the Vigie app to the channel"
# What the operator should do about a permanent error, for the worker's log.
HINTS = {
    "invalid_auth": _BAD_TOKEN, "not_authed": _BAD_TOKEN, "account_inactive": _BAD_TOKEN,
    "token_revoked": _BAD_TOKEN, "token_expired": _BAD_TOKEN,
    "channel_not_found": _CHANNEL, "is_archived": _CHANNEL, "not_in_channel": _CHANNEL,
    "missing_scope": "the Slack app needs the chat:write and files:write scopes",
    "the incident's message could not be posted": "its headline failed: see that error",
}  # fmt: skip


def hint(error: str) -> str:
    """The fix for a permanent Slack error, then how to send the failed messages again."""
    fix = HINTS.get(error.removeprefix("failed: "), "see the error")
    return f"{fix}, restart the worker, then run `vigie alerts retry`"


class DeliveryError(Exception):
    def __init__(self, message: str, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Outgoing:
    """One message to send: post a new one, update the headline (ts), or reply in its thread."""

    action: str  # post | update | reply | chart
    channel: str
    payload: dict[str, Any]  # {"text": ..., "blocks": [...]} or {"text": ...}
    ts: str | None = None  # the incident's headline message, for update and reply


@dataclass(frozen=True)
class Landed:
    channel: str
    ts: str


class Transport(Protocol):
    def send(self, message: Outgoing) -> Landed: ...


class SlackTransport:
    """chat.postMessage / chat.update through slack_sdk; errors classified, never swallowed."""

    def __init__(self, token: str, base_url: str | None = None, timeout: float = 10.0) -> None:
        self.client = WebClient(
            token=token,
            base_url=base_url or WebClient.BASE_URL,
            timeout=int(timeout),
            retry_handlers=[],
        )

    def send(self, message: Outgoing) -> Landed:
        try:
            response = self._call(message)
        except SlackApiError as exc:
            raise _classify(exc) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, SlackRequestError) as exc:
            raise DeliveryError(f"network: {exc}", permanent=False) from None
        return Landed(
            str(response.get("channel") or message.channel), str(response.get("ts") or message.ts)
        )

    def _call(self, m: Outgoing) -> Any:
        text = m.payload.get("text", "")
        blocks = m.payload.get("blocks")
        if m.action == "post":
            return self.client.chat_postMessage(channel=m.channel, text=text, blocks=blocks)
        if m.ts is None:
            raise DeliveryError(
                "the incident's headline message is not sent yet", permanent=False, retry_after=5
            )
        if m.action == "chart":
            return self.client.files_upload_v2(
                channel=m.channel, thread_ts=m.ts, filename="vigie-chart.png",
                file=base64.b64decode(m.payload["png_b64"]), title=m.payload.get("text", "chart"),
            )  # fmt: skip
        if m.action == "update":
            return self.client.chat_update(channel=m.channel, ts=m.ts, text=text, blocks=blocks)
        return self.client.chat_postMessage(
            channel=m.channel, thread_ts=m.ts, text=text, blocks=blocks
        )


def _classify(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
    if status == 429 or error == "ratelimited":
        retry = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        return DeliveryError("ratelimited", permanent=False, retry_after=float(retry or 1))
    if status >= 500:
        return DeliveryError(f"slack http {status}", permanent=False)
    if error in PERMANENT:
        return DeliveryError(str(error), permanent=True)
    return DeliveryError(str(error or f"http {status}"), permanent=False)


class ConsoleTransport:
    """Development: print the same content to the terminal."""

    def __init__(self, write: Callable[[str], object] | None = None) -> None:
        self.write = write or (lambda text: print(text, file=sys.stderr, flush=True))
        self.count = 0

    def send(self, message: Outgoing) -> Landed:
        self.count += 1
        prefix = {"post": "ALERT", "update": "UPDATE", "reply": "  ↳", "chart": "  ↳ chart"}[
            message.action
        ]
        body = message.payload.get("console") or message.payload.get("text", "")
        self.write(f"[vigie {prefix} {message.channel}] {body}")
        return Landed(message.channel, message.ts or f"console-{self.count}")


TRANSPORTS: dict[str, type] = {"slack": SlackTransport, "console": ConsoleTransport}
