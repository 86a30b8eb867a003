"""The last good versions of the rule files, kept in the database for processes that start later.

A running process keeps its last good rules when an edit is broken (`rules.reload`), but a
process started while a file is broken (a worker restarted after an edit, a new web process)
had nothing to keep: it decided nothing until the file was fixed. Every process that loads a
new valid version stores its file contents here (once per version); a process whose files are
broken at start uses the newest stored version instead, and says so in /readyz.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import String, Text, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from moderation.models import Base, UTCDateTime

log = logging.getLogger(__name__)

KEEP = 20  # versions kept; older ones are deleted when a new one is stored


class RuleVersion(Base):
    """One valid set of rule files: name -> content, as JSON."""

    __tablename__ = "rule_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    sources: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RulesStore:
    """Save and read rule versions; database errors are logged, never raised (rules go on)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def save(self, version: str, sources: dict[str, bytes]) -> None:
        try:
            texts = {name: raw.decode("utf-8") for name, raw in sources.items()}
            with self.sessions() as session:
                if session.get(RuleVersion, version) is None:
                    session.add(
                        RuleVersion(
                            version=version,
                            sources=json.dumps(texts, sort_keys=True),
                            stored_at=datetime.now(UTC),
                        )
                    )
                    session.flush()
                    old = select(RuleVersion.version).order_by(RuleVersion.stored_at.desc())
                    stale = session.scalars(old.offset(KEEP)).all()
                    if stale:
                        session.execute(delete(RuleVersion).where(RuleVersion.version.in_(stale)))
                    session.commit()
        except IntegrityError:  # another process stored the same version first
            pass
        except Exception as exc:  # the database down or not migrated: the rules still apply
            # (or a file that is not UTF-8, which the YAML reader would have refused anyway)
            log.warning("could not store rules version %s: %s", version, exc)

    def latest(self) -> tuple[str, dict[str, bytes], datetime] | None:
        """(version, sources, stored_at) of the newest stored version, None if none or unreadable."""
        try:
            with self.sessions() as session:
                row = session.scalars(
                    select(RuleVersion).order_by(RuleVersion.stored_at.desc()).limit(1)
                ).first()
                if row is None:
                    return None
                sources = {n: t.encode("utf-8") for n, t in json.loads(row.sources).items()}
                return row.version, sources, row.stored_at
        except Exception as exc:
            log.warning("could not read the stored rules versions: %s", exc)
            return None
