"""~1,000 realistic, synthetic EN/FR social-media comments for speed tests (no dataset rows)."""

from __future__ import annotations

import random

_EN = (
    "the app crashed again after the update",
    "thanks for the quick reply, problem solved",
    "when will the delivery arrive? it's been two weeks",
    "love the new colours 😍",
    "this is the worst customer service I have ever had",
    "great, another outage right before my meeting 🙄",
    "you guys are idiots, fix your website",
    "can someone explain the new pricing?",
    "my order #4411 still says pending",
    "honestly the best coffee in town ☕",
    "I waited 45 minutes on the phone for nothing",
    "congrats to the whole team on the launch!",
)
_FR = (
    "encore une panne, bravo 👏",
    "merci pour votre réponse rapide",
    "quand est-ce que la livraison arrive ? ça fait deux semaines",
    "service client nul, je change d'opérateur",
    "super appli, rien à redire",
    "vous êtes vraiment des incapables",
    "est-ce que quelqu'un a reçu le remboursement ?",
    "le train a encore une heure de retard, merci la SNCF",
    "franchement top, l'équipe a été adorable",
    "pourquoi le site est en maintenance un lundi matin ???",
    "ça marche enfin, merci !",
    "je ne comprends pas la nouvelle facture",
)
_TAILS = ("", "", " !", " ...", " @support", " #fail", " http://t.co/x", " 😡", " lol", " svp")


def comments(n: int = 1_000, seed: int = 7) -> list[str]:
    """`n` comments, half English half French, one to three clauses each."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pool = _EN if i % 2 else _FR
        clauses = rng.sample(pool, rng.choice((1, 1, 2, 3)))
        out.append(". ".join(clauses) + rng.choice(_TAILS))
    return out
