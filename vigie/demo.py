"""`vigie demo`: replay sample comments through the signed webhook and print the decisions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from moderation.signing import vigie_signature

# Comments written for this demo (not taken from any data set): EN and FR, benign, toxic,
# ironic, and a burst of negative ones about the same outage.
SAMPLES: list[tuple[str, str, str]] = [
    ("instagram", "en", "Love the new collection, the colours are gorgeous!"),
    ("facebook", "fr", "Merci pour votre réponse rapide, problème réglé 🙏"),
    ("x", "en", "Does anyone know when the store opens on Sunday?"),
    ("linkedin", "fr", "Félicitations à toute l'équipe pour ce lancement."),
    ("x", "en", "You are an idiot and everyone knows it."),
    ("tiktok", "fr", "Espèce de connard, va te faire foutre."),
    ("youtube", "en", "Oh great, another update that breaks everything. Thanks for nothing 🙄"),
    ("facebook", "fr", "Bravo, encore une panne, merci pour rien 👏"),
    ("x", "en", "This is bullshit, I want my money back."),
    ("instagram", "fr", "Je suis musulmane et j'adore votre marque."),
]
BURST: list[str] = [
    "Still no service since this morning, this is unacceptable.",
    "Your app is down AGAIN. Worst company ever.",
    "Toujours en panne, c'est inadmissible.",
    "I've been waiting 3 hours, terrible support.",
    "Service nul, je résilie mon abonnement.",
    "Can't log in, can't pay, nothing works. Awful.",
    "Encore une panne ? Vous êtes sérieux ?",
    "Useless customer service, nobody answers.",
]


@dataclass(frozen=True)
class DemoClient:
    url: str
    source: str
    secret: str

    def post(self, payload: dict[str, Any]) -> requests.Response:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Vigie-Source": self.source,
            "X-Vigie-Signature": vigie_signature(self.secret, body, int(time.time())),
        }
        return requests.post(f"{self.url}/v1/comments", data=body, headers=headers, timeout=10)

    def get(self, platform: str, external_id: str) -> requests.Response:
        path = f"/v1/comments/{platform}/{external_id}"
        headers = {
            "X-Vigie-Source": self.source,
            "X-Vigie-Signature": vigie_signature(self.secret, path.encode(), int(time.time())),
        }
        return requests.get(f"{self.url}{path}", headers=headers, timeout=10)


def comment(platform: str, external_id: str, text: str, language: str | None, author: str) -> dict:
    return {
        "platform": platform,
        "external_id": external_id,
        "thread_id": f"demo-post-{platform}",
        "author": {"id": author, "handle": f"@{author}", "account_age_days": 400, "followers": 120},
        "text": text,
        "created_at": datetime.now(UTC).isoformat(),
        "language": language,
    }


def run_demo(client: DemoClient, echo: Callable[[str], None], timeout_s: float = 30.0) -> int:
    """Post the samples (one by one, then the burst as one batch); print each decision."""
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    sent: list[tuple[str, str, str]] = []
    for i, (platform, _lang, text) in enumerate(SAMPLES):
        ext = f"demo-{run}-{i}"
        response = client.post(comment(platform, ext, text, None, f"user{i}"))
        if response.status_code != 202:
            echo(f"POST refused ({response.status_code}): {response.text}")
            return 1
        sent.append((platform, ext, text))
    burst = [
        comment("x", f"demo-{run}-burst-{i}", text, None, f"angry{i}")
        for i, text in enumerate(BURST * 3)
    ]
    response = client.post({"comments": burst})
    if response.status_code != 202:
        echo(f"batch refused ({response.status_code}): {response.text}")
        return 1
    echo(f"posted {len(SAMPLES)} comments and a burst of {len(burst)}: {response.json()}")
    again = client.post(comment(*sent[0][:2], sent[0][2], None, "user0"))
    echo(f"re-posted the first comment: {again.status_code} {again.json()} (stored once)")
    sent += [("x", c["external_id"], c["text"]) for c in burst[: len(BURST)]]
    return _print_decisions(client, sent, echo, timeout_s)


def _print_decisions(
    client: DemoClient,
    sent: list[tuple[str, str, str]],
    echo: Callable[[str], None],
    timeout_s: float,
) -> int:
    deadline = time.monotonic() + timeout_s
    echo(
        f"\n{'platform':<10}{'lang':<6}{'action':<10}{'tox':>6}{'irony':>7}  {'sentiment':<10}text"
    )
    missing = 0
    for platform, ext, text in sent:
        decision = None
        while decision is None and time.monotonic() < deadline:
            decision = client.get(platform, ext).json().get("decision")
            if decision is None:
                time.sleep(0.2)
        if decision is None:
            echo(f"{platform:<10}{'':<6}{'(pending)':<10}{'':>13}  {'':<10}{text[:60]}")
            missing += 1
            continue
        s = decision["scores"]
        echo(
            f"{platform:<10}{s['language']:<6}{decision['action']:<10}{s['toxicity']:>6.2f}"
            f"{s['irony']:>7.2f}  {s['sentiment']:<10}{text[:60]}"
        )
    if missing:
        echo(f"\n{missing} comment(s) still pending after {timeout_s:.0f}s: is a worker running?")
        return 1
    return 0
