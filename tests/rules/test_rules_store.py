"""The last good rules in the database: a process started while a rule file is broken uses them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from api.app import create_app
from rules import RulesError
from rules.reload import RulebookReloader
from rules.store import KEEP, RulesStore, RuleVersion
from vigie import migrate
from vigie.runtime import Runtime
from vigie.settings import Settings

GOOD = "rules: [{id: a, description: d, when: {words: [spam]}, action: remove}]\n"
BETTER = "rules: [{id: a, description: d, when: {words: [spam]}, action: review}]\n"
BROKEN = "rules: [{id: a, description: d, when: {words: [spam]}, action: nuke}]\n"


def _store(url: str) -> RulesStore:
    return RulesStore(sessionmaker(create_engine(url)))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/rules.sqlite3"
    migrate.upgrade(url)
    return url


def test_a_process_started_on_broken_files_uses_the_last_good_version(
    rules_dir: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    (rules_dir / "default.yaml").write_text(GOOD)
    first = RulebookReloader(rules_dir, store=_store(sqlite_url))
    good = first.get(now=0.0)
    (rules_dir / "default.yaml").write_text(BROKEN)
    later = RulebookReloader(rules_dir, interval=1.0, store=_store(sqlite_url))  # a restart
    with caplog.at_level(logging.ERROR, logger="rules.reload"):
        book = later.get(now=0.0)
    assert book.version == good.version
    assert book.sets["default"].rules[0].action == "remove"
    assert later.error is not None and "action 'nuke'" in later.error
    assert later.fallback is not None and later.fallback.startswith(good.version)
    assert "last good version " + good.version in caplog.text
    (rules_dir / "default.yaml").write_text(BETTER)  # fixed: the files win again
    fixed = later.get(now=5.0)
    assert fixed.sets["default"].rules[0].action == "review"
    assert later.error is None and later.fallback is None


def test_the_newest_stored_version_is_the_one_used(rules_dir: Path, sqlite_url: str) -> None:
    (rules_dir / "default.yaml").write_text(GOOD)
    reloader = RulebookReloader(rules_dir, interval=1.0, store=_store(sqlite_url))
    reloader.get(now=0.0)
    (rules_dir / "default.yaml").write_text(BETTER)
    better = reloader.get(now=5.0)
    (rules_dir / "default.yaml").write_text(BROKEN)
    assert RulebookReloader(rules_dir, store=_store(sqlite_url)).get(0.0).version == better.version


def test_with_nothing_stored_broken_files_still_mean_no_rules(
    rules_dir: Path, sqlite_url: str
) -> None:
    (rules_dir / "default.yaml").write_text(BROKEN)
    with pytest.raises(RulesError, match="action 'nuke'"):
        RulebookReloader(rules_dir, store=_store(sqlite_url)).get(now=0.0)


def test_only_the_newest_versions_are_kept(sqlite_url: str) -> None:
    store = _store(sqlite_url)
    for i in range(KEEP + 5):
        store.save(f"v{i:03}", {"default": f"# {i}\n{GOOD}".encode()})
    store.save("v000", {"default": b"again"})  # already gone: stored anew; v001..v005 drop
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RuleVersion)) == KEEP
    version, sources, _ = store.latest() or ("", {}, None)
    assert version == "v000" and sources == {"default": b"again"}


def test_storing_the_same_version_twice_keeps_one_row(sqlite_url: str) -> None:
    store = _store(sqlite_url)
    store.save("abc", {"default": GOOD.encode()})
    store.save("abc", {"default": GOOD.encode()})
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RuleVersion)) == 1


def test_a_database_without_the_table_does_not_stop_the_rules(
    rules_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not migrated yet (or down): storing and reading fail quietly; the files still apply."""
    store = _store(f"sqlite:///{tmp_path}/empty.sqlite3")
    (rules_dir / "default.yaml").write_text(GOOD)
    with caplog.at_level(logging.WARNING, logger="rules.store"):
        book = RulebookReloader(rules_dir, store=store).get(now=0.0)
    assert book.sets["default"].rules[0].action == "remove"
    assert "could not store rules version" in caplog.text
    assert store.latest() is None


def test_readyz_is_ready_on_the_stored_version_and_says_so(
    rules_dir: Path, tmp_path: Path, pg_url: str
) -> None:
    """On PostgreSQL, through the runtime: a web process started on a broken file is ready."""
    settings = Settings(
        database_url=pg_url, broker_url="memory://", rules_dir=rules_dir, data_dir=tmp_path
    )
    (rules_dir / "default.yaml").write_text(GOOD)
    before = Runtime(settings)
    good = before.rulebook.version
    before.close()
    (rules_dir / "default.yaml").write_text(BROKEN)
    runtime = Runtime(settings)  # the process restarted after the broken edit
    try:
        answer = create_app(runtime=runtime).test_client().get("/readyz")
        assert answer.status_code == 200, answer.get_json()
        rules = answer.get_json()["detail"]["rules"]
        assert rules["version"] == good
        assert rules["from_database"].startswith(good + " stored at ")
        assert "action 'nuke'" in rules["error"]
    finally:
        runtime.close()
        engine = create_engine(pg_url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM rule_versions")
        engine.dispose()
