"""Incoming comments: Vigie's JSON format, Meta's webhook format, and storing each comment once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationError,
)
from sqlalchemy import Select, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from moderation.models import PLATFORMS, Comment, CommentStatus

MAX_TEXT_CHARS = 10_000
MAX_BATCH = 500


class PayloadError(ValueError):
    """The payload cannot be accepted; `errors` lists each problem with where it is."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _utc(value: datetime) -> datetime:
    # 0001-01-01T00:00+03:00 is a valid ISO time with no UTC equivalent.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall between years 1 and 9999 in UTC") from None


Str = Annotated[str, AfterValidator(_storable)]
# The columns are 32-bit integers: a larger count would overflow the database, not be refused.
Count = Annotated[NonNegativeInt, Field(le=2**31 - 1)]
Id = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_storable)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AuthorIn(_Strict):
    id: Id
    handle: Annotated[Str, Field(max_length=128)] | None = None
    account_age_days: Count | None = None
    followers: Count | None = None


class CommentIn(_Strict):
    """One comment in Vigie's own format (see README, "Pushing comments")."""

    platform: Literal[PLATFORMS]  # type: ignore[valid-type]
    external_id: Id
    thread_id: Id | None = None
    parent_id: Id | None = None
    author: AuthorIn
    text: Annotated[Str, Field(max_length=MAX_TEXT_CHARS)]
    created_at: Annotated[AwareDatetime, Field(strict=False), AfterValidator(_utc)]
    language: Annotated[Str, Field(min_length=2, max_length=16)] | None = None


class BatchIn(_Strict):
    comments: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_BATCH)]


def parse_vigie_payload(data: Any) -> list[CommentIn]:
    """Validate one comment or `{"comments": [...]}`; all-or-nothing, errors name each item."""
    if isinstance(data, dict) and "comments" in data:
        try:
            batch = BatchIn.model_validate(data)
        except ValidationError as exc:
            raise PayloadError("invalid batch", _errors(exc)) from None
        items: Sequence[Any] = batch.comments
        prefix: list[str | int] = ["comments"]
    elif isinstance(data, dict):
        items, prefix = [data], []
    else:
        raise PayloadError('expected a JSON object: one comment or {"comments": [...]}')
    comments, errors = [], []
    for index, item in enumerate(items):
        try:
            comments.append(_validate_comment(item))
        except ValidationError as exc:
            where = [*prefix, index] if prefix else []
            errors.extend(_errors(exc, where))
    if errors:
        raise PayloadError("invalid comment" + ("s" if prefix else ""), errors)
    return comments


def _validate_comment(item: Any) -> CommentIn:
    return CommentIn.model_validate(item)


def _errors(exc: ValidationError, prefix: list[str | int] | None = None) -> list[dict[str, Any]]:
    return [
        {"loc": [*(prefix or []), *err["loc"]], "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


# --- Meta (Facebook Page feed, Instagram comments) -------------------------------------------


@dataclass(frozen=True)
class MetaParse:
    comments: list[CommentIn]
    ignored: int  # changes that are not new comments (likes, edits, posts...)


def parse_meta_payload(data: Any) -> MetaParse:
    """Turn a Meta webhook POST into comments; non-comment changes are counted and ignored."""
    if not isinstance(data, dict) or data.get("object") not in ("page", "instagram"):
        raise PayloadError(
            'expected a Meta webhook: {"object": "page"|"instagram", "entry": [...]}'
        )
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise PayloadError("entry: expected a list")
    comments: list[CommentIn] = []
    errors: list[dict[str, Any]] = []
    ignored = 0
    for i, entry in enumerate(entries):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            errors.append({"loc": ["entry", i, "changes"], "problem": "expected a list"})
            continue
        for j, change in enumerate(changes):
            loc: list[str | int] = ["entry", i, "changes", j]
            try:
                comment = _meta_change(data["object"], entry, change)
            except (ValueError, TypeError, KeyError) as exc:
                errors.append({"loc": loc, "problem": _reason(exc)})
                continue
            except ValidationError as exc:
                errors.extend(_errors(exc, [*loc, "value"]))
                continue
            if comment is None:
                ignored += 1
            else:
                comments.append(comment)
    if errors:
        raise PayloadError("invalid Meta webhook", errors)
    return MetaParse(comments, ignored)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)


def _meta_change(obj: str, entry: dict[str, Any], change: Any) -> CommentIn | None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        raise ValueError("a change is an object with a 'value' object")
    value = change["value"]
    if obj == "page":
        if change.get("field") != "feed" or value.get("item") != "comment":
            return None
        if value.get("verb") != "add":
            return None
        author = value.get("from") or {}
        post_id = value.get("post_id")
        parent = value.get("parent_id")
        return CommentIn.model_validate(
            {
                "platform": "facebook",
                "external_id": str(value["comment_id"]),
                "thread_id": str(post_id) if post_id else None,
                "parent_id": str(parent) if parent and parent != post_id else None,
                "author": {"id": str(author["id"]), "handle": author.get("name")},
                "text": value.get("message", ""),
                "created_at": _meta_time(value.get("created_time", entry.get("time"))),
            }
        )
    if change.get("field") != "comments":
        return None
    author = value.get("from") or {}
    media = value.get("media") or {}
    if not isinstance(media, dict):
        raise ValueError("media: expected an object")
    return CommentIn.model_validate(
        {
            "platform": "instagram",
            "external_id": str(value["id"]),
            "thread_id": str(media["id"]) if media.get("id") else None,
            "parent_id": str(value["parent_id"]) if value.get("parent_id") else None,
            "author": {"id": str(author["id"]), "handle": author.get("username")},
            "text": value.get("text", ""),
            "created_at": _meta_time(entry.get("time")),
        }
    )


def _meta_time(value: Any) -> datetime:
    if isinstance(value, bool) or value is None:
        raise ValueError("missing or invalid created time")
    if isinstance(value, int | float):
        # Meta sends seconds; some Instagram payloads carry milliseconds.
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError):
            raise ValueError(f"created time {value!r} is out of range") from None
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("+0000", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"invalid created time {value!r}")


# --- Storing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreResult:
    new_ids: list[int]
    duplicates: int


def store_comments(
    session: Session, comments: Iterable[CommentIn], source: str, now: datetime
) -> StoreResult:
    """Insert comments not seen before; an already stored (platform, external_id) is skipped.

    The caller commits. Concurrent deliveries of the same comment race on the unique key and
    the database keeps exactly one.
    """
    rows = [_row(c, source, now) for c in comments]
    if not rows:
        return StoreResult([], 0)
    if session.get_bind().dialect.name == "postgresql":
        new_ids = list(session.connection().execute(_PG_INSERT, _columns(rows)).scalars())
        return StoreResult(new_ids, len(rows) - len(new_ids))
    table = Comment.__table__
    statement = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(table.c.id)
    )
    # executemany form: one cached statement, batched by SQLAlchemy's "insertmanyvalues".
    new_ids = list(session.connection().execute(statement, rows).scalars())
    return StoreResult(new_ids, len(rows) - len(new_ids))


# PostgreSQL: one statement with one array per column, whatever the batch size. The
# multi-row VALUES form costs ~1 ms of query building per comment in psycopg (a 100-comment
# statement is too long for its query cache), which was most of a batch's acknowledgement time.
_PG_TYPES = {
    "source": "varchar", "platform": "varchar", "external_id": "varchar", "thread_id": "varchar",
    "parent_external_id": "varchar", "author_id": "varchar", "author_handle": "varchar",
    "author_account_age_days": "integer", "author_followers": "integer", "text": "text",
    "language": "varchar", "created_at": "timestamptz", "received_at": "timestamptz",
    "enqueued_at": "timestamptz", "status": "varchar",
}  # fmt: skip
_PG_INSERT = text(
    f"INSERT INTO comments ({', '.join(_PG_TYPES)}) SELECT * FROM unnest("  # noqa: S608 - constants
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _PG_TYPES.items())
    + ") ON CONFLICT (platform, external_id) DO NOTHING RETURNING id"
)


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in _PG_TYPES}


def _row(c: CommentIn, source: str, now: datetime) -> dict[str, Any]:
    return {
        "source": source,
        "platform": c.platform,
        "external_id": c.external_id,
        "thread_id": c.thread_id,
        "parent_external_id": c.parent_id,
        "author_id": c.author.id,
        "author_handle": c.author.handle,
        "author_account_age_days": c.author.account_age_days,
        "author_followers": c.author.followers,
        "text": c.text,
        "language": c.language,
        "created_at": c.created_at.astimezone(UTC),
        "received_at": now,
        "enqueued_at": now,
        "status": CommentStatus.PENDING.value,
    }


def find_comment(platform: str, external_id: str) -> Select[tuple[Comment]]:
    return select(Comment).where(Comment.platform == platform, Comment.external_id == external_id)
