"""Hot reload: edits apply without a restart, broken edits never replace good rules."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from api.app import create_app
from rules import RulesError
from rules.reload import RulebookReloader
from vigie.runtime import Runtime
from vigie.settings import Settings

GOOD = "rules: [{id: a, description: d, when: {words: [spam]}, action: remove}]\n"
BETTER = "rules: [{id: a, description: d, when: {words: [spam]}, action: review}]\n"
BROKEN = "rules: [{id: a, description: d, when: {words: [spam]}, action: nuke}]\n"


def test_it_picks_up_an_edit_after_the_interval(rules_dir: Path) -> None:
    """A changed file is reloaded at the next check, not before."""
    (rules_dir / "default.yaml").write_text(GOOD)
    reloader = RulebookReloader(rules_dir, interval=2.0)
    first = reloader.get(now=100.0)
    (rules_dir / "default.yaml").write_text(BETTER)
    assert reloader.get(now=101.0) is first
    second = reloader.get(now=102.0)
    assert second.version != first.version
    assert second.sets["default"].rules[0].action == "review"


def test_it_keeps_the_last_good_rules_when_an_edit_is_broken(
    rules_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken edit is logged and reported; the previous version stays in use until fixed."""
    (rules_dir / "default.yaml").write_text(GOOD)
    reloader = RulebookReloader(rules_dir, interval=1.0)
    good = reloader.get(now=0.0)
    (rules_dir / "default.yaml").write_text(BROKEN)
    with caplog.at_level(logging.ERROR, logger="rules.reload"):
        assert reloader.get(now=5.0) is good
    assert reloader.error is not None and "default.yaml:1" in reloader.error
    assert "keeping version " + good.version in caplog.text
    (rules_dir / "default.yaml").write_text(BETTER)
    fixed = reloader.get(now=10.0)
    assert fixed.version != good.version and reloader.error is None


def test_it_raises_when_no_version_was_ever_good(rules_dir: Path) -> None:
    """With nothing to fall back on, using the rules is an error naming the problem."""
    (rules_dir / "default.yaml").write_text(BROKEN)
    with pytest.raises(RulesError, match="action 'nuke'"):
        RulebookReloader(rules_dir).get(now=0.0)


def _runtime(rules_dir: Path, tmp_path: Path, migrated: bool = False) -> Runtime:
    """A runtime on `rules_dir` that re-reads it on every use (a database of its own)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/db.sqlite3",
        broker_url="memory://",
        rules_dir=rules_dir,
        data_dir=tmp_path,
    )
    if migrated:
        from vigie import migrate

        migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    runtime.rules.interval = 0.0
    return runtime


def test_it_reloads_through_the_runtime_and_shows_errors_in_readyz(
    rules_dir: Path, tmp_path: Path
) -> None:
    """Runtime.rulebook follows the folder; /readyz shows the version in use and the error."""
    (rules_dir / "default.yaml").write_text(GOOD)
    runtime = _runtime(rules_dir, tmp_path)
    good = runtime.rulebook.version
    (rules_dir / "default.yaml").write_text(BROKEN)
    assert runtime.rulebook.version == good
    body = create_app(runtime=runtime).test_client().get("/readyz").get_json()
    assert body["detail"]["rules"]["version"] == good
    assert "action 'nuke'" in body["detail"]["rules"]["error"]
    runtime.close()


def test_readyz_is_503_while_no_version_of_the_rules_is_valid(
    rules_dir: Path, tmp_path: Path
) -> None:
    """With no valid rules at all every decision would fail: not ready until a good file lands."""
    (rules_dir / "default.yaml").write_text(BROKEN)
    runtime = _runtime(rules_dir, tmp_path, migrated=True)
    client = create_app(runtime=runtime).test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.get_json()["checks"]
    assert checks["rules"].startswith("no valid rules") and checks["database"] == "ok"
    assert "action 'nuke'" in answer.get_json()["detail"]["rules"]["error"]
    (rules_dir / "default.yaml").write_text(GOOD)
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.get_json()
    runtime.close()


def test_it_keeps_the_last_good_rules_when_an_edit_nests_too_deeply(rules_dir: Path) -> None:
    """An edit nested deeper than the YAML parser's stack is rejected like any broken edit."""
    (rules_dir / "default.yaml").write_text(GOOD)
    reloader = RulebookReloader(rules_dir, interval=1.0)
    good = reloader.get(now=0.0)
    when = "{any: [" * 3000 + "{toxicity: '> 0.5'}" + "]}" * 3000
    (rules_dir / "default.yaml").write_text(f"rules: [{{id: a, description: d, when: {when}}}]\n")
    assert reloader.get(now=5.0) is good
    assert reloader.error is not None and "nested too deeply" in reloader.error


def test_a_web_process_keeps_the_rules_it_started_with_when_an_edit_is_broken(
    rules_dir: Path, tmp_path: Path
) -> None:
    """The edit lands before the first /readyz: still ready on the version loaded at start.

    A load balancer polling /readyz would otherwise take the web server out of rotation for a
    typo in a rule file (each gunicorn worker loaded the rules on its first /readyz only).
    """
    (rules_dir / "default.yaml").write_text(GOOD)
    runtime = _runtime(rules_dir, tmp_path, migrated=True)
    client = create_app(runtime=runtime).test_client()
    (rules_dir / "default.yaml").write_text(BROKEN)
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.get_json()
    assert "action 'nuke'" in answer.get_json()["detail"]["rules"]["error"]
    runtime.close()
