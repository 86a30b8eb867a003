"""The domain's words on the moderators' pages, in the page's language.

The domain (`moderation.review`, `alerts`) speaks English to the JSON API and to logs: stable
values ("remove", "firing") and phrases ("moderately toxic"). The pages show them through
here. Data stays as it came (rule ids, the rules' tags, comment text, platform names): only the
words Vigie itself writes are translated. A value this module does not know is shown as is.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import format_decimal, ngettext, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_babel.speaklater import LazyString

from api.i18n import current_language, format_when
from moderation.review import queue
from moderation.review.decide import ReviewConflict
from moderation.review.models import Verdict
from moderation.review.present import hesitation

# The phrases of moderation.review.present: a level and what it qualifies, as one phrase each
# (languages agree adjectives and order words differently).
PHRASES: dict[str, LazyString] = {
    "very toxic": _l("very toxic"),
    "likely toxic": _l("likely toxic"),
    "moderately toxic": _l("moderately toxic"),
    "slightly toxic": _l("slightly toxic"),
    "not toxic": _l("not toxic"),
    "very ironic": _l("very ironic"),
    "likely ironic": _l("likely ironic"),
    "moderately ironic": _l("moderately ironic"),
    "slightly ironic": _l("slightly ironic"),
    "not ironic": _l("not ironic"),
    "very negative": _l("very negative"),
    "likely negative": _l("likely negative"),
    "moderately negative": _l("moderately negative"),
    "slightly negative": _l("slightly negative"),
    "not negative": _l("not negative"),
    "very sure": _l("very sure"),
    "likely sure": _l("likely sure"),
    "moderately sure": _l("moderately sure"),
    "slightly sure": _l("slightly sure"),
    "not sure": _l("not sure"),
    "ironic": _l("ironic"),
    "negative": _l("negative"),
}
SCORES = {
    "toxicity": _l("toxicity"),
    "irony": _l("irony"),
    "negative": _l("negativity"),
    "confidence": _l("confidence"),
    "positive": _l("positivity"),
    "neutral": _l("neutrality"),
}
# The model corrections a moderator can tick (moderation.review.decide.CORRECTIONS).
CORRECTIONS = {
    "ironic": _l("ironic"),
    "not_ironic": _l("not ironic"),
    "toxic": _l("toxic"),
    "not_toxic": _l("not toxic"),
    "spam": _l("spam"),
    "wrong_language": _l("wrong language"),
}
# What the machine decided (moderation.models.Action) and what moderators decide (Verdict).
ACTIONS = {
    "approve": _lp("action", "approve"),
    "remove": _lp("action", "remove"),
    "review": _lp("action", "review"),
    "escalate": _lp("action", "escalate"),
    "skip": _lp("action", "skip"),
}
# The item page's decision buttons, in the order shown, with the key that presses each: one set
# of keys in every language (README, "Review queue"), the English initials. French initials
# would clash: "s" is skip here and would be supprimer (remove) there, so a moderator changing
# language, or sharing a colleague's browser, would remove what they meant to skip.
DECISION_KEYS = (("approve", "a"), ("remove", "r"), ("escalate", "e"), ("skip", "s"))
BUTTONS = {
    "approve": _l("Approve"),
    "remove": _l("Remove"),
    "escalate": _l("Escalate"),
    "skip": _l("Skip"),
}

# The tags the queue adds itself (moderation.review.queue.tags, topic_tag): the machine's action
# and the scores' labels, as a label on an item ("à examiner", "ironique"); `topic:NAME` reads
# "sujet : NAME", the topic as configured. They stay identifiers
# everywhere else (stored, `?tag=`, the JSON API); a rule's tag spelled like one of them is the
# same filter, so it reads the same.
TAGS: dict[str, LazyString] = {
    "review": _lp("tag", "review"),
    "escalate": _lp("tag", "escalate"),
    "ironic": _lp("tag", "ironic"),
    "toxic": _lp("tag", "toxic"),
    "negative": _lp("tag", "negative"),
}


def tag(value: str) -> str:
    """How a page shows a review item's tag: Vigie's own in the page's language ("sujet : launch"
    for `topic:launch`), the rules' tags as written."""
    if value.startswith(queue.TOPIC_TAG) and len(value) > len(queue.TOPIC_TAG):
        return pgettext("tag", "topic:%(topic)s", topic=value.removeprefix(queue.TOPIC_TAG))
    found = TAGS.get(value)
    return str(found) if found is not None else value


def decision_buttons() -> list[dict[str, str]]:
    """What the item page's buttons and keys line show: the verdict, its key, the button's
    label and the action's word ("Valider", "valider"); review.js presses by data-key."""
    return [
        {"value": value, "key": key, "label": str(BUTTONS[value]), "word": term(value, "action")}
        for value, key in DECISION_KEYS
    ]


# Alert incidents (alerts.view.state_of, alerts.severity, alerts.detector kinds).
STATES = {
    "firing": _l("firing"),
    "acknowledged": _l("acknowledged"),
    "snoozed": _l("snoozed"),
    "resolved": _l("resolved"),
}
SEVERITIES = {"warning": _l("warning"), "critical": _l("critical"), "crisis": _l("crisis")}
STATUSES = {"open": _lp("item status", "open"), "decided": _lp("item status", "decided")}
ROLES = {"admin": _l("admin"), "moderator": _l("moderator")}
KINDS = {"spike": _l("spike"), "shift": _l("shift"), "raid": _l("raid")}


def term(value: Any, table: str = "phrase") -> str:
    """One of the domain's values in the page's language; unknown values as they are."""
    found = TABLES[table].get(str(value))
    return str(found) if found is not None else str(value)


# A review item's queue priority (rules' `queue_priority`, rules.model.QUEUE_PRIORITIES).
PRIORITIES = {
    "low": _lp("priority", "low"),
    "normal": _lp("priority", "normal"),
    "high": _lp("priority", "high"),
    "urgent": _lp("priority", "urgent"),
}

TABLES: dict[str, dict[str, Any]] = {
    "phrase": PHRASES,
    "action": ACTIONS,
    "score": SCORES,
    "correction": CORRECTIONS,
    "state": STATES,
    "severity": SEVERITIES,
    "kind": KINDS,
    "role": ROLES,
    "status": STATUSES,
    "priority": PRIORITIES,
}


def why(scores: dict[str, Any]) -> str:
    """Why the machine hesitated: "ironique + moyennement toxique, confiance faible (0,40)"."""
    found = hesitation(scores)
    text = " + ".join(term(s) for s in found.signals) or _("no strong signal")
    if found.low_confidence is not None:
        text = _(
            "%(signals)s, low confidence (%(confidence)s)",
            signals=text,
            confidence=format_decimal(found.low_confidence, "0.00"),
        )
    return text


# The reasons rules.engine writes itself (engine.uncertain, _decide): stored in English with
# the decision, like the rules' own reasons; put back into the page's language here.
_CONFIDENCE = re.compile(r"uncertain: scorer confidence (?P<value>[\d.]+) < (?P<minimum>[\d.]+)")
_IRONY = re.compile(
    r"irony gate: irony (?P<irony>[\d.]+) >= (?P<at_least>[\d.]+) with toxicity "
    r"(?P<toxicity>[\d.]+) < (?P<below>[\d.]+)"
)
_BAND = re.compile(
    r"uncertain: (?P<score>\w+) (?P<value>[\d.]+) is within (?P<band>[\d.]+) of the rule's "
    r"threshold (?P<threshold>[\d.]+)"
)


def engine_reason(text: str) -> str:
    """One of the engine's own reasons in the page's language; any other text as it is."""
    if current_language() == "en":
        return text  # as stored, to the character

    def number(value: str) -> str:  # as many decimals as stored: "0.80" is "0,80"
        decimals = len(value.partition(".")[2])
        return format_decimal(float(value), "0." + "0" * decimals if decimals else "0")

    if text == "no rule matched":
        return _("no rule matched")
    if text == "no rule with an action matched":
        return _("no rule with an action matched")
    if found := _CONFIDENCE.fullmatch(text):
        return _(
            "uncertain: scorer confidence %(value)s < %(minimum)s",
            value=number(found["value"]),
            minimum=number(found["minimum"]),
        )
    if found := _IRONY.fullmatch(text):
        return _(
            "irony gate: irony %(irony)s >= %(at_least)s with toxicity %(toxicity)s < %(below)s",
            **{key: number(value) for key, value in found.groupdict().items()},
        )
    if found := _BAND.fullmatch(text):
        return _(
            "uncertain: %(score)s %(value)s is within %(band)s of the rule's threshold "
            "%(threshold)s",
            score=term(found["score"], "score"),
            value=number(found["value"]),
            band=number(found["band"]),
            threshold=number(found["threshold"]),
        )
    return text


def conflict(exc: ReviewConflict) -> str:
    """Why an item cannot be claimed or decided, said to the moderator."""
    facts = exc.facts
    if exc.code == "already_decided":
        at = facts.get("at")
        return _(
            "%(who)s already decided this item (%(verdict)s) on %(when)s UTC.",
            who=facts.get("who") or _("someone"),
            verdict=term(facts.get("verdict"), "action"),
            when=format_when(at) if at else "?",
        )
    if exc.code == "claimed_by_other":
        return _("%(who)s is reviewing this item.", who=facts.get("who") or _("Someone"))
    if exc.code == "claim_expired":
        return _("Your claim on this item expired: open it again.")
    if exc.code == "bad_correction":
        return _("Unknown correction: tick only the ones the page offers.")
    if exc.code == "bad_reason":
        return _("A reason has at most 500 characters, and no NUL character.")
    if exc.code == "not_found":
        return _("This review item does not exist.")
    return _("Claim the item before deciding it.")


def decided(verdict: Verdict, item_ids: list[int]) -> str:
    """What the page says once a decision is applied: "Remove: item #12." or "…: 3 items."."""
    if len(item_ids) == 1:
        one = {
            Verdict.APPROVE: _("Approve: item #%(id)d.", id=item_ids[0]),
            Verdict.REMOVE: _("Remove: item #%(id)d.", id=item_ids[0]),
            Verdict.ESCALATE: _("Escalate: item #%(id)d.", id=item_ids[0]),
            Verdict.SKIP: _("Skip: item #%(id)d.", id=item_ids[0]),
        }
        return one[verdict]
    count = len(item_ids)
    many = {
        Verdict.APPROVE: ngettext("Approve: %(num)d item.", "Approve: %(num)d items.", count),
        Verdict.REMOVE: ngettext("Remove: %(num)d item.", "Remove: %(num)d items.", count),
        Verdict.ESCALATE: ngettext("Escalate: %(num)d item.", "Escalate: %(num)d items.", count),
        Verdict.SKIP: ngettext("Skip: %(num)d item.", "Skip: %(num)d items.", count),
    }
    return many[verdict]
