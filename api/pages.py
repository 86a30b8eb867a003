"""The moderators' pages: log in, the queue, an item, deciding, and the audit log.

Thin views: each loads what it shows or calls one domain function. Every form carries a CSRF
token (Flask-WTF's CSRFProtect, installed in the app factory); sessions are signed cookies
holding the user id only.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.models import Incident
from api import i18n, words
from api.auth import runtime
from api.review import cursors_from, enqueue_deliveries, filters_from
from moderation.review import accounts, queue, stats
from moderation.review.decide import CORRECTIONS, Choice, ReviewConflict, decide, explain
from moderation.review.models import AuditEntry, ReviewItem, Role, User, Verdict
from moderation.review.present import audit_json, clip, item_detail, item_summary
from rules.model import RulesError
from vigie.ratelimit import Limit
from vigie.settings import UI_LANGUAGES

bp = Blueprint("pages", __name__)
FILTER_ARGS = ("platform", "language", "reason", "tag", "incident")
# Refusals the item page states itself when it cannot claim the item: not flashed on top of it.
ITEM_PAGE_EXPLAINS = ("already_decided", "claimed_by_other")
PAGE_SIZE = 50  # items on one page of the queue


def _now() -> datetime:
    return datetime.now(UTC)


def login_required(view: Any) -> Any:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user_id = session.get("user_id")
        if user_id is None:
            # full_path ends with "?" even without a query
            return redirect(url_for("pages.login", next=request.full_path.removesuffix("?")))
        with runtime().sessions() as db:
            user = db.get(User, user_id)
            if user is None or not user.active:
                session.clear()
                return redirect(url_for("pages.login"))
            g.user = user
            g.db = db
            return view(*args, **kwargs)

    return wrapped


@bp.before_request
def check_csrf() -> None:
    """Every POST to these pages carries the session's CSRF token."""
    current_app.extensions["csrf"].protect()


@bp.app_errorhandler(CSRFError)
def csrf_refused(exc: CSRFError) -> ResponseReturnValue:
    """A form whose token does not match the session: refused, said in a moderator's words.

    Without a session (logged out in another tab, expired) it is a login away: back to the page
    the form was on once logged in again. Otherwise the page predates the session (logged in
    again since): reloading it gives a fresh form.
    """
    if request.endpoint == "pages.login":
        error = _(
            "This login form had expired (its CSRF token), so you were not logged in: try again."
        )
        return render_template("review/login.html", error=error), 400
    if session.get("user_id") is None:
        flash(_("Your session ended, so nothing was changed: log in again."), "error")
        return redirect(url_for("pages.login", next=_referring_page()))
    message = _(
        "This page was loaded before your current session began (its CSRF token no longer "
        "matches), so nothing was changed. Reload the page and try again."
    )
    return render_template("review/error.html", status=400, message=message), 400


def _referring_page(login_too: bool = False) -> str:
    """The path of the page a form was posted from, when it is one of ours; else the queue."""
    found = urlsplit(request.referrer or "")
    if (
        found.netloc == request.host
        and found.path.startswith("/")
        and not found.path.startswith(("//", "/\\"))  # "//evil.example" is another site
        and (login_too or found.path != "/login")
    ):
        return found.path + (f"?{found.query}" if found.query else "")
    return url_for("pages.queue_page")


@bp.app_template_filter("clip")
def clip_filter(text: str, length: int) -> str:
    return clip(text, length)


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("pages.queue_page"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        limits = _login_limits(username)
        wait = _login_wait(limits)
        if wait:
            # Refused before the password is checked: a locked account cannot be guessed at.
            minutes = -(-wait // 60)
            error = ngettext(
                "Too many failed logins. Try again in %(num)d minute.",
                "Too many failed logins. Try again in %(num)d minutes.",
                minutes,
            )
            page = render_template("review/login.html", error=error)
            return page, 429, {"Retry-After": str(wait)}
        password = request.form.get("password", "")
        with runtime().sessions.begin() as db:
            # No account name holds a NUL, and PostgreSQL would refuse the query (a 500).
            found = None if "\x00" in username else accounts.authenticate(db, username, password)
            user_id = found.id if found else None
        if user_id is None:
            for key, limit in limits:
                runtime().limiter.hit(key, limit, time.time())
            error = _("Wrong username or password.")
        else:
            session.clear()  # a fresh session on login: no fixation
            session["user_id"] = user_id
            session.permanent = True
            target = request.args.get("next", "")
            if not _local_path(target):
                target = url_for("pages.queue_page")
            return redirect(target)
    return render_template("review/login.html", error=error), 401 if error else 200


def _local_path(target: str) -> bool:
    """Only local paths: never redirect to another site after login.

    Browsers read a backslash as a slash and drop tabs and newlines from a URL: "/" followed by
    a backslash or a tab, then "/evil.example", leads to another site as "//evil.example" does.
    """
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    )


def _login_limits(username: str) -> list[tuple[str, Limit]]:
    """Failed logins, counted over 15 minutes per username from one address, per address, and
    per username from everywhere.

    The first is the tight one (VIGIE_LOGIN_MAX_FAILURES): counted per address, so someone
    guessing at a colleague's name locks it for their own address only, not for its owner. The
    per-username ceiling across addresses (VIGIE_LOGIN_MAX_FAILURES_PER_USER, 20 times higher by
    default) still stops guessing spread over many addresses.
    """
    settings = runtime().settings
    # Hashed: any characters fit the key, and the counters hold no usernames.
    user = _digest(username.strip().lower())
    address = request.remote_addr or "-"
    return [
        (f"login-user-ip:{user}:{address}", Limit(settings.login_max_failures, 900)),
        (f"login-ip:{address}", Limit(settings.login_max_failures_per_ip, 900)),
        (f"login-user:{user}", Limit(settings.login_max_failures_per_user, 900)),
    ]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _login_wait(limits: list[tuple[str, Limit]]) -> int:
    """Seconds until another attempt is allowed; 0 when it is allowed now."""
    now = time.time()
    return max(runtime().limiter.blocked(key, limit, now).retry_after_s for key, limit in limits)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    user_id = session.get("user_id")
    if user_id is not None:
        with runtime().sessions.begin() as db:
            # Whatever item was open is free for colleagues at once, not when its lease ends.
            queue.release_others(db, user_id, keep_id=0)
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/queue")
@login_required
def queue_page() -> ResponseReturnValue:
    db: Session = g.db
    after, before = cursors_from(request.args)
    filters = filters_from(request.args, db)
    now = _now()
    found = queue.counts(db, filters, now)
    shown = queue.page(db, filters, PAGE_SIZE, after, before)
    items = [
        {
            **item_summary(i),
            "why": words.why(i.decision.scores),
            "shown_reasons": _reasons(i),
            "waiting": _minutes(now - i.queued_at),
        }
        for i in shown.items
    ]
    waited = _minutes(now - found.oldest_queued_at) if found.oldest_queued_at else None
    # The filters alone: what the counts, "Start reviewing" and the paging links carry.
    kept = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    # The item links carry the place too, so the item's "← queue" comes back to this page.
    place = {**kept, **{k: request.args[k] for k in ("after", "before") if k in request.args}}
    return render_template(
        "review/queue.html",
        counts=found,
        oldest_wait=waited,
        items=items,
        paging={
            "from": shown.position + 1,
            "to": shown.position + len(items),
            "total": max(found.open, shown.position + len(items)),  # counted a moment apart
            "previous": shown.previous
            and url_for("pages.queue_page", **kept, before=shown.previous.token()),
            "next": shown.next and url_for("pages.queue_page", **kept, after=shown.next.token()),
            "moved": bool(after or before),
        },
        filters=filters,
        tag_choices=_tag_choices(filters.tag),
        args=kept,
        place=place,
        incident=db.get(Incident, int(request.args["incident"])) if filters.since else None,
    )


@bp.get("/queue/counts")
@login_required
def queue_counts() -> ResponseReturnValue:
    """The queue page's figures, with its filters, for the page to refresh them in place."""
    db: Session = g.db
    now = _now()
    found = queue.counts(db, filters_from(request.args, db), now)
    waited = _minutes(now - found.oldest_queued_at) if found.oldest_queued_at else None
    answer = jsonify({"open": found.open, "claimed": found.claimed, "oldest_wait": waited})
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _reasons(item: ReviewItem) -> list[str]:
    """The machine's reasons in the page's language: decisions store the rules' default text,
    translated here by the rule that gave it when its file has this language (docs/RULES.md),
    and the engine's own words (the uncertainty band, the irony gate) from the catalog."""
    decision = item.decision
    try:
        book = runtime().rulebook
    except RulesError:  # no valid rules ever loaded: the stored text
        book = None
    language = i18n.current_language()
    shown = []
    for reason in decision.reasons:
        if book is not None:
            translated = book.reason_in(item.platform, decision.rule_ids, reason, language)
            if translated != reason:
                shown.append(translated)
                continue
        shown.append(words.engine_reason(reason))
    return shown


def _tag_choices(selected: str | None) -> list[str]:
    """The tag filter's options: queue actions, score labels, the current rules' tags, topics."""
    rt = runtime()
    try:
        rule_tags = rt.rulebook.tags
    except RulesError:  # no valid rules ever loaded: /readyz says so; filter on the rest
        rule_tags = ()
    topic_tags = [queue.topic_tag(t) for t in sorted(rt.settings.alert_topics)]
    found = ["review", "escalate", *queue.SCORE_TAGS, *rule_tags, *topic_tags]
    if selected:
        found.append(selected)  # e.g. a tag an edited rule file no longer has
    return list(dict.fromkeys(found))


@bp.route("/queue/next", methods=["GET", "POST"])
@login_required
def next_item() -> ResponseReturnValue:
    """Claim the next item in priority order and open it (GET too: after a decision)."""
    rt = runtime()
    now = _now()
    with rt.sessions.begin() as db:
        filters = filters_from(request.args, db)
        item = queue.claim_next(db, g.user.id, now, rt.settings.claim_lease_s, filters)
        item_id = item.id if item else None
        held = queue.counts(db, filters, now).claimed if item_id is None else 0
    if item_id is None:
        if held:
            said = ngettext(
                "Nothing for you right now: %(num)d waiting item is being reviewed by someone "
                "else.",
                "Nothing for you right now: %(num)d waiting items are being reviewed by someone "
                "else.",
                held,
            )
            flash(said, "info")
        else:
            flash(_("The queue is empty. Nothing to review."), "info")
        return redirect(url_for("pages.queue_page", **request.args))
    return redirect(url_for("pages.item_page", item_id=item_id, **request.args))


@bp.get("/queue/items/<int:item_id>")
@login_required
def item_page(item_id: int) -> ResponseReturnValue:
    rt = runtime()
    now = _now()
    with rt.sessions.begin() as db:
        filters = filters_from(request.args, db)
        item = db.get(ReviewItem, item_id)
        if item is None:
            abort(404, _("No review item #%(id)d.", id=item_id))
        claimed = queue.claim(db, item_id, g.user.id, now, rt.settings.claim_lease_s)
        problem = None
        if claimed is None:
            problem = words.conflict(explain(db, item_id, g.user, now))
        else:
            queue.release_others(db, g.user.id, item_id)
            item = claimed
        before, after = queue.neighbours(db, item, filters)
        context = {
            "item": {
                **item_detail(db, item),
                "why": words.why(item.decision.scores),
                "shown_reasons": _reasons(item),
            },
            "written_at": item.comment.created_at,
            "holding": claimed is not None,
            "problem": problem,
            "previous_id": before,
            "next_id": after,
            "group_size": queue.group_size(db, item) if claimed else 0,
            "corrections": CORRECTIONS,
            "decision_buttons": words.decision_buttons(),
            "args": request.args,
            "lease_s": int(rt.settings.claim_lease_s),
        }
    return render_template("review/item.html", **context)


@bp.post("/queue/items/<int:item_id>/renew")
@login_required
def renew_claim(item_id: int) -> ResponseReturnValue:
    """The item page's heartbeat: keep the lease while the moderator is still on it."""
    rt = runtime()
    with rt.sessions.begin() as db:
        held = db.scalar(
            select(ReviewItem.id).where(
                ReviewItem.id == item_id,
                ReviewItem.claimed_by == g.user.id,
                ReviewItem.claim_expires_at > _now(),
            )
        )
        # Only a live claim is renewed: once lost, the page must not silently take it back.
        if (
            held is None
            or queue.claim(db, item_id, g.user.id, _now(), rt.settings.claim_lease_s) is None
        ):
            return {"error": "claim_lost", "detail": "your claim on this item was lost"}, 409
    return "", 204


@bp.post("/queue/items/<int:item_id>/release")
@login_required
def release_claim(item_id: int) -> ResponseReturnValue:
    """The item page left by a link (back to the queue...): colleagues may take it at once."""
    with runtime().sessions.begin() as db:
        queue.release(db, item_id, g.user.id)
    return "", 204


@bp.post("/queue/items/<int:item_id>/decide")
@login_required
def decide_page(item_id: int) -> ResponseReturnValue:
    rt = runtime()
    form = request.form
    try:
        verdict = Verdict(form.get("action", ""))
    except ValueError:
        abort(
            400,
            _(
                "Unknown action %(action)s: approve, remove, escalate or skip.",
                action=repr(form.get("action", "")[:40]),
            ),
        )
    corrections = tuple(c for c in form.getlist("corrections") if c)
    choice = Choice(verdict, form.get("reason", "").strip() or None, corrections, via="web")
    # The queue's filters, an alert incident's included: the next item comes from the same view.
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS}
    try:
        with rt.sessions.begin() as db:
            user = db.get(User, g.user.id)
            assert user is not None
            decided = decide(
                db, item_id, user, choice, _now(), rt.callback_url, form.get("group") == "on"
            )
    except ReviewConflict as exc:
        if exc.code == "already_decided" and _decided_as(item_id, g.user.id, verdict):
            # The same form posted twice (a double key press or click): done, move on.
            return redirect(url_for("pages.next_item", **args))
        if exc.code in ("not_claimed", "claim_expired"):
            # The item page takes the item back when nobody else holds it.
            said = _(
                "Your %(verdict)s was not applied: you no longer held this item (its claim ran "
                "out, or you opened another item meanwhile). Unless someone else took it, it is "
                "yours again below: decide again.",
                verdict=words.term(verdict, "action"),
            )
            flash(said, "error")
        elif exc.code not in ITEM_PAGE_EXPLAINS:
            flash(words.conflict(exc), "error")
        return redirect(url_for("pages.item_page", item_id=item_id, **args))
    enqueue_deliveries(decided.delivery_ids)
    flash(words.decided(verdict, decided.item_ids), "ok")
    return redirect(url_for("pages.next_item", **args))


def _decided_as(item_id: int, user_id: int, verdict: Verdict) -> bool:
    """Whether this user already decided this item with this verdict."""
    with runtime().sessions() as db:
        found = db.scalar(
            select(ReviewItem.id).where(
                ReviewItem.id == item_id,
                ReviewItem.decided_by == user_id,
                ReviewItem.verdict == verdict,
            )
        )
    return found is not None


@bp.get("/queue/dashboard")
@login_required
def dashboard_page() -> ResponseReturnValue:
    db: Session = g.db
    now = _now()
    sizes, ages = stats.queue_over_time(db, now)
    since = now - timedelta(hours=24)
    return render_template(
        "review/dashboard.html",
        sizes=sizes,
        ages=ages,
        per_hour=stats.decisions_per_hour(db, now),
        per_platform=stats.decisions_per_platform(db, since),
        rules=stats.per_rule(db, since),
    )


@bp.get("/queue/audit")
@login_required
def audit_page() -> ResponseReturnValue:
    if g.user.role is not Role.ADMIN:
        abort(403, _("Only admins can read the audit log."))
    entries = g.db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200))
    shown = [{**audit_json(e), "moment": e.at} for e in entries]
    return render_template("review/audit.html", entries=shown)


def _minutes(delta: Any) -> str:
    return i18n.minutes_text(int(delta.total_seconds() // 60))


@bp.post("/language")
def set_language() -> ResponseReturnValue:
    """The header's language switch: the moderator's choice (kept on their account when
    logged in, and in a cookie for the login page), then back to the page it was on."""
    language = request.form.get("language", "")
    if language not in UI_LANGUAGES:
        abort(400, _("Unknown language %(language)s.", language=repr(language[:20])))
    user_id = session.get("user_id")
    if user_id is not None:
        with runtime().sessions.begin() as db:
            user = db.get(User, user_id)
            if user is not None:
                user.language = language
    answer = redirect(_referring_page(login_too=True))
    answer.set_cookie(
        i18n.COOKIE,
        language,
        max_age=i18n.COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=runtime().settings.is_production,
    )
    return answer
