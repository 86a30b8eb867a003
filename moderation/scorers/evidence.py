"""Explicit lexical evidence read next to the heads: abuse that counts, and abuse that does not.

The heads learn from tweets, where an insult word almost always is an insult. Two kinds of
text break that, and HateCheck tests both:

- *defused* insults: negated ("you're not an idiot", "tu n'es pas nul"), reported ("he called
  me an idiot", "il m'a traité de connard") or quoted (« connard »). The scorer scores such a
  comment again with those words masked, and keeps the lower toxicity: the rest of the comment
  is read as it is, the defused word does not count.
- *explicit* abuse the heads under-read, mostly in French (828 French training rows against
  11,916 English) and in emoji: a direct insult aimed at someone (safetype harassment or hate,
  not quoted or mentioned), a direct strong swear word, or an abusive emoji (🖕). These raise
  toxicity by a noisy-OR whose weights are fitted on the dev splits (log-loss, see
  `fit_weights`), so a clear French insult is read like an English one.

Word lists match on a folded form (lower case, no accents, leetspeak undone, every run of a
letter squeezed to one), so "connnnnard", "c0nn4rd" and "connard" are the same word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Insult words (folded: see `fold`). Negated, reported or quoted, they are not an attack.
_INSULTS = """
idiot idiots moron morons stupid dumb dumbass loser losers imbecile imbeciles jerk jerks
asshole assholes bitch bitches cretin cretins fool fools retard retarded clown clowns
scum trash pathetic ugly disgusting worthless useless incompetent incompetents
connard connards connasse connasses con cons conne connes abruti abrutie abrutis abruties
debile debiles cretine cretines idiote idiotes nul nulle nuls nulles salaud salauds salope
salopes encule encules bouffon bouffons naze nazes minable minables incapable incapables
batard batards ordure ordures
"""
_DEHUMANISING_WORDS = """
vermin rats rat cockroaches parasites animals savages subhuman subhumans plague filth
vermine cafards parasites animaux sauvages sous-hommes peste racaille
"""
_NEGATIONS = frozenset(
    ["not", "never", "no", "nor", "neither", "pas", "jamais", "ni", "aucun", "aucune"]
)
# Words (folded) just before an insult that make it reported speech, up to 4 tokens back.
_REPORTING = (
    "called me",
    "call me",
    "calling me",
    "called him",
    "called her",
    "called them",
    "called us",
    "called you",
    "said i was",
    "said i am",
    "said im",
    "m'a traite de",
    "m'a traitee de",
    "traite de",
    "traitee de",
    "traiter de",
    "traites de",
    "m'a appele",
    "m'a appelee",
    "m'a dit que j'etais",
)
_QUOTES = (('"', '"'), ("“", "”"), ("«", "»"), ("‘", "’"), ("'", "'"))
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?|n't", re.UNICODE)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"})
_RUNS = re.compile(r"(.)\1+")
# Emoji that are abuse on their own.
ABUSIVE_EMOJI = ("🖕",)
_TARGETED = {"harassment", "hate"}
_STRONG_SWEAR = {("profanity", "high"), ("sexual", "high")}


@lru_cache(maxsize=65_536)
def fold(word: str) -> str:
    """Lower case, no accents, digits used as letters undone, letter runs squeezed to one."""
    word = unicodedata.normalize("NFKD", word.lower())
    word = "".join(ch for ch in word if not unicodedata.combining(ch))
    return _RUNS.sub(r"\1", word.translate(_LEET))


_INSULT_SET = frozenset(fold(w) for w in _INSULTS.split())
# Words that dehumanise a group ("are vermin", "sont des rats"): with a group named, explicit.
_DEHUMANISING = frozenset(fold(w) for w in _DEHUMANISING_WORDS.split())

_REPORTING_FOLDED = tuple(" ".join(fold(w) for w in p.split()) for p in _REPORTING)


@dataclass(frozen=True)
class Evidence:
    """What the word lists found in one comment."""

    targeted: bool  # a direct insult or threat aimed at someone
    swear: bool  # a direct strong swear word
    defused: tuple[tuple[int, int], ...]  # spans of negated / reported / quoted insults
    direct_insult: bool  # an insult word used plainly (neither negated, reported nor quoted)
    emoji: bool = False  # an abusive emoji (🖕)
    dehumanising: bool = False  # a dehumanising word ("vermin", "rats")


def _quoted(text: str) -> list[tuple[int, int]]:
    ranges = []
    for left, right in _QUOTES:
        start = 0
        while True:
            s = text.find(left, start)
            if s < 0:
                break
            e = text.find(right, s + 1)
            if e < 0 or "\n" in text[s:e]:
                break
            # an apostrophe pair only counts around one or two words ('idiot')
            if left != "'" or (0 < e - s - 1 <= 25 and text[s + 1 : e].count(" ") <= 1):
                ranges.append((s, e + 1))
            start = e + 1
    return ranges


def _negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't") or (word.endswith("nt") and word in _NT)


_NT = frozenset(["dont", "doesnt", "isnt", "arent", "wasnt", "werent", "aint", "cant", "wont"])


def insults(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(defused, direct) spans of the insult words of `text`."""
    plain = text.replace("’", "'")  # same length: spans stay valid
    tokens = [(m.start(), m.end(), fold(m.group(0))) for m in _TOKEN.finditer(plain)]
    quoted = _quoted(text)
    defused, direct = [], []
    for k, (start, end, word) in enumerate(tokens):
        base = word.split("'")[-1]  # "qu'un" -> "un", "d'abrutis" -> "abrutis"
        if base not in _INSULT_SET:
            continue
        before = [w for _, _, w in tokens[max(0, k - 4) : k]]
        cues = [j for j in range(max(0, k - 3), k) if _negation(tokens[j][2])]
        negated = bool(cues)
        if word.startswith("d'"):  # "traitée d'idiote": the elided "de" is part of the cue
            before.append("de")
        window = " ".join(before)
        reported = any(window.endswith(p) or f"{p} " in f"{window} " for p in _REPORTING_FOLDED)
        in_quotes = any(s <= start and end <= e for s, e in quoted)
        if negated:  # "not an idiot" as a whole is no insult
            defused.append((tokens[cues[0]][0], end))
        elif reported or in_quotes:
            defused.append((start, end))
        else:
            direct.append((start, end))
    return defused, direct


def find(text: str, matches: Sequence[object]) -> Evidence:
    """The evidence in a cleaned `text`, given safetype's matches for it."""
    defused, direct = insults(text)

    def plain(m: object) -> bool:
        if getattr(m, "context", "direct") != "direct":
            return False
        return not any(s <= m.start and m.end <= e for s, e in defused)  # type: ignore[attr-defined]

    targeted = any(m.category in _TARGETED and plain(m) for m in matches)  # type: ignore[attr-defined]
    swear = any((m.category, m.severity) in _STRONG_SWEAR and plain(m) for m in matches)  # type: ignore[attr-defined]
    emoji = any(e in text for e in ABUSIVE_EMOJI)
    words = {fold(m.group(0)) for m in _TOKEN.finditer(text)}
    dehumanising = bool(words & _DEHUMANISING)
    return Evidence(targeted, swear, tuple(defused), bool(direct), emoji, dehumanising)


def masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with `spans` (and the quotes around them) left out."""
    out, last = [], 0
    for s, e in sorted(spans):
        out.append(text[last:s])
        last = e
    out.append(text[last:])
    return re.sub(r"[\"“”«»]\s*[\"“”«»]", " ", "".join(out))


# An abusive emoji weighs like a harassment match of medium severity in the lexicon scorer
# (there are too few in the dev splits to fit a weight).
EMOJI_WEIGHT = 0.85


def combine(
    p: np.ndarray,
    targeted: np.ndarray,
    swear: np.ndarray,
    weights: tuple[float, float] | np.ndarray,
    emoji: np.ndarray | None = None,
) -> np.ndarray:
    """Noisy-OR of the head's probability with the explicit evidence.

    `weights` is (targeted, swear), or an (n, 2) array of per-comment weights (per language).
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1, 2)
    out = 1 - (1 - p) * (1 - w[:, 0] * targeted) * (1 - w[:, 1] * swear)
    if emoji is not None:
        out = 1 - (1 - out) * (1 - EMOJI_WEIGHT * emoji)
    return out.astype(np.float32)


def fit_weights(
    p: np.ndarray, targeted: np.ndarray, swear: np.ndarray, y: np.ndarray
) -> tuple[float, float]:
    """The noisy-OR weights with the lowest log-loss on a dev split (grid of 0.05)."""
    grid = np.round(np.arange(0, 0.96, 0.05), 2)
    best, best_w = np.inf, (0.0, 0.0)
    for wt in grid:
        for ws in grid:
            q = np.clip(combine(p, targeted, swear, (wt, ws)), 1e-6, 1 - 1e-6)
            loss = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
            if loss < best - 1e-9:
                best, best_w = loss, (float(wt), float(ws))
    return best_w


# Identity terms and, for each, neutral words of the same grammatical form that name no group.
# A comment naming a group is also read with those words in its place (counterfactual token
# fairness): unless the comment carries explicit abuse, its toxicity is the mean over these
# readings, so "I'm a black woman…" is not toxic because of "black", while "Muslims are
# vermin" stays toxic because "Locals are vermin" is too. (Swapping in *other* groups does not
# work: the heads react to any group being named, "white woman" as much as "black woman".)
_IDENTITY_GROUPS = (
    ("black", "tall", "young", "local"),
    ("blacks", "locals", "tourists", "students"),
    ("muslim", "young", "local", "busy"),
    ("muslims", "locals", "tourists", "students"),
    ("jewish", "young", "local", "busy"),
    ("jews", "locals", "tourists", "students"),
    ("gay", "young", "tall", "busy"),
    ("gays", "locals", "tourists", "students"),
    ("lesbian", "young", "tall", "busy"),
    ("lesbians", "locals", "tourists", "students"),
    ("immigrant", "tourist", "student", "neighbour"),
    ("immigrants", "tourists", "students", "neighbours"),
    ("refugees", "tourists", "students", "neighbours"),
    ("noir", "grand", "jeune", "local"),
    ("noire", "grande", "jeune", "locale"),
    ("noirs", "grands", "jeunes", "locaux"),
    ("noires", "grandes", "jeunes", "locales"),
    ("musulman", "sportif", "parisien", "étudiant"),
    ("musulmane", "sportive", "parisienne", "étudiante"),
    ("musulmans", "sportifs", "parisiens", "étudiants"),
    ("musulmanes", "sportives", "parisiennes", "étudiantes"),
    ("juif", "sportif", "parisien", "étudiant"),
    ("juive", "sportive", "parisienne", "étudiante"),
    ("juifs", "sportifs", "parisiens", "étudiants"),
    ("lesbienne", "sportive", "parisienne", "étudiante"),
    ("immigré", "touriste", "étudiant", "voisin"),
    ("immigrée", "touriste", "étudiante", "voisine"),
    ("immigrés", "touristes", "étudiants", "voisins"),
    ("réfugiés", "touristes", "étudiants", "voisins"),
)
_IDENTITY = {group[0]: group[1:] for group in _IDENTITY_GROUPS}
_IDENTITY_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _IDENTITY), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def identity_variants(text: str) -> list[str]:
    """`text` with each identity term replaced by the k-th term of its group, for every k."""
    found = _IDENTITY_WORD.findall(text)
    if not found:
        return []
    width = min(len(_IDENTITY[w.lower()]) for w in found)

    def swap(k: int):  # type: ignore[no-untyped-def]
        def one(m: re.Match[str]) -> str:
            word = m.group(0)
            other = _IDENTITY[word.lower()][k]
            return other.capitalize() if word[0].isupper() else other

        return one

    return [_IDENTITY_WORD.sub(swap(k), text) for k in range(width)]


# A complaint that is reported as solved is not a complaint ("problème réglé", "issue fixed").
_RESOLVED = re.compile(
    r"\b(?:(?:le |mon |ce |the |my |this )?(?:probl[eè]mes?|soucis?|bugs?|pannes?|problems?|issues?)"
    r"\s+(?:est |a été |is |was |has been |got |now )?"
    r"(?:r[eé]gl[eé]e?s?|r[eé]solue?s?|corrig[eé]e?s?|r[eé]par[eé]e?s?|fixed|solved|resolved|sorted)"
    r"|(?:fixed|solved|resolved|sorted|r[eé]gl[eé]|r[eé]solu|corrig[eé])\s+(?:the |my |this |le |mon |ce )"
    r"(?:probl[eè]me|souci|bug|panne|problem|issue))\b",
    re.IGNORECASE,
)


def resolved_spans(text: str) -> list[tuple[int, int]]:
    """Spans of complaints the comment reports as solved."""
    return [m.span() for m in _RESOLVED.finditer(text)]
