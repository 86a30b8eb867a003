"""Broken rule files: every error names the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_helpers import book_from

from rules import RulesError, load_rulebook
from rules.check import check_directory
from rules.engine import rulebook_from_sources
from rules.parse import MAX_NESTING

RULE = "rules:\n  - id: r\n    description: d\n"
# (default.yaml text, line expected in the message, words expected in the message)
BROKEN = [
    ("rules: [\n", 2, "not valid YAML"),
    ("colour: blue\n", 1, "unknown field 'colour'"),
    ("default_action: delete\n", 1, "default_action 'delete'"),
    (RULE + "    when: {toxicity: '> 0.5'}\n    action: destroy\n", 5, "action 'destroy'"),
    (RULE + "    when: {toxicity: '> 0.5'}\n    actoin: remove\n", 5, "unknown field 'actoin'"),
    (RULE + "    when: {toxicity: 0.5}\n    action: remove\n", 4, "bad comparison 0.5"),
    (RULE + "    when: {toxicity: '> 85'}\n    action: remove\n", 4, "outside 0..1"),
    (RULE + "    when: {toxicty: '> 0.5'}\n    action: remove\n", 4, "unknown condition 'toxicty'"),
    (RULE + "    when: {sentiment: angry}\n    action: remove\n", 4, "sentiment 'angry'"),
    (RULE + "    when: {language: no}\n    action: remove\n", 4, "quote"),
    (RULE + "    when: {regex: '(unclosed'}\n    action: remove\n", 4, "does not compile"),
    (RULE + "    when: {regex: '(a+)\\1'}\n    action: remove\n", 4, "backreferences"),
    (RULE + "    when: {regex: '(?=a)b'}\n    action: remove\n", 4, "lookaround"),
    (RULE + "    when: {words: ['two words']}\n    action: remove\n", 4, "'phrases'"),
    (RULE + "    when: {all: {toxicity: '> 0.5'}}\n    action: remove\n", 4, "non-empty list"),
    (RULE + "    when: {author_age_days: '< -1'}\n    action: remove\n", 4, "never negative"),
    (RULE + "    when: {toxicity: '> 0.5'}\n", 2, "needs an 'action'"),
    (RULE + "    action: remove\n", 2, "needs a 'when'"),
    (RULE + "    when: {toxicity: '> 0.5'}\n    tags: [topic:launch]\n", 5, "Vigie's own"),
    (RULE + "    when: {toxicity: '> 0.5'}\n    tags: [ok, Topic:x]\n", 5, "'Topic:x'"),
    ("rules:\n  - id: r\n    when: {toxicity: '> 0.5'}\n    action: remove\n", 2, "description"),
    (
        RULE + "    when: {toxicity: '> 0.5'}\n    action: approve\n    queue_priority: high\n",
        6,
        "only applies",
    ),
    (
        RULE + "    when: {toxicity: '> 0.5'}\n    action: review\n    queue_priority: asap\n",
        6,
        "'asap'",
    ),
    (
        RULE + "    when: {toxicity: '> 0.5'}\n    action: review\n    shadow: maybe\n",
        6,
        "true or false",
    ),
    (
        RULE + "    when: {toxicity: '> 0.5'}\n    action: review\n    priority: high\n",
        6,
        "whole number",
    ),
    (
        RULE
        + "    when: {toxicity: '> 0.5'}\n    action: review\n"
        + RULE[7:]
        + "    when: {toxicity: '> 0.5'}\n    action: review\n",
        6,
        "already used on line 2",
    ),
    ("rules:\n  - id: Bad Id\n", 2, "needs an 'id'"),
    ("uncertainty: {band: 2}\n", 1, "between 0 and 1"),
    ("uncertainty:\n  irony_gate: {irony: 0.5}\n", 2, "unknown field 'irony'"),
    ("a: 1\na: 2\n", 2, "appears twice"),
    ("disable: [x]\n", 1, "only makes sense in a platform file"),
    ("rules: []\n\n# a NUL \x00\n", 3, "not valid YAML: character 0x00 is not allowed"),
    ("rules: []\n# bell \x07\n", 2, "not valid YAML: character 0x07 is not allowed"),
]


@pytest.mark.parametrize(("text", "line", "problem"), BROKEN)
def test_it_names_file_line_and_problem(text: str, line: int, problem: str) -> None:
    """A broken default.yaml is refused with `path:line: problem`."""
    with pytest.raises(RulesError) as caught:
        book_from(text)
    message = str(caught.value)
    assert message.startswith(f"mem/default.yaml:{line}: "), message
    assert problem in message


def test_it_names_the_line_of_bytes_that_are_not_utf8() -> None:
    """Invalid UTF-8 is reported on its own line, not line 1."""
    with pytest.raises(RulesError, match=r"^mem/default.yaml:2: not UTF-8 text"):
        rulebook_from_sources({"default": b"rules: []\n# caf\xe9\n"}, Path("mem"))


def test_it_names_the_platform_file_that_is_broken() -> None:
    """Errors in a platform file name that file."""
    with pytest.raises(
        RulesError, match=r"^mem/x.yaml:3: disable: default.yaml has no rule 'nope'"
    ):
        book_from("rules: []\n", x="# X\n\ndisable: [nope]\n")


def test_it_refuses_a_folder_without_default_yaml(rules_dir: Path) -> None:
    """default.yaml is the base every platform inherits: it must exist."""
    (rules_dir / "x.yaml").write_text("rules: []\n")
    with pytest.raises(RulesError, match=r"no default\.yaml"):
        load_rulebook(rules_dir)


def test_it_reports_every_broken_file_at_once(rules_dir: Path) -> None:
    """`check` lists one error per broken file, and warns about files nobody reads."""
    (rules_dir / "default.yaml").write_text("rules: []\n")
    (rules_dir / "x.yaml").write_text("default_action: nuke\n")
    (rules_dir / "tiktok.yaml").write_text("rules:\n  - id: r\n    descr: d\n")
    (rules_dir / "youtube.yml").write_text("rules: []\n")
    (rules_dir / "myspace.yaml").write_text("rules: []\n")
    result = check_directory(rules_dir)
    assert result.book is None
    assert [e.split(": ")[0] for e in result.errors] == [
        f"{rules_dir}/tiktok.yaml:3",
        f"{rules_dir}/x.yaml:1",
    ]
    assert any("youtube.yml: ignored" in w for w in result.warnings)
    assert any("myspace" in w for w in result.warnings)


def test_it_notes_which_default_rules_a_platform_replaces_or_disables(rules_dir: Path) -> None:
    """`check` tells the writer about overrides, so a reused id is never a surprise."""
    (rules_dir / "default.yaml").write_text(
        "rules:\n"
        "  - {id: a, description: d, when: {words: [x]}, action: review}\n"
        "  - {id: b, description: d, when: {words: [y]}, action: review}\n"
    )
    (rules_dir / "x.yaml").write_text(
        "disable: [b]\nrules: [{id: a, description: d, when: {words: [z]}, action: remove}]\n"
    )
    result = check_directory(rules_dir)
    assert result.notes == ("x.yaml replaces default rule(s): a", "x.yaml disables: b")


def test_it_refuses_yaml_nested_beyond_the_parsers_stack() -> None:
    """YAML nested thousands of levels deep is refused as a RulesError, not a RecursionError."""
    when = "{any: [" * 3000 + "{toxicity: '> 0.5'}" + "]}" * 3000
    with pytest.raises(RulesError, match=r"^mem/default.yaml:1: .*nested too deeply"):
        book_from(RULE + f"    when: {when}\n    action: review\n")


def test_it_refuses_conditions_nested_too_deeply() -> None:
    """all/any/not nested past MAX_NESTING is an error naming the line, not a stack overflow."""

    def nested(levels: int) -> str:
        when = "{any: [" * levels + "{toxicity: '> 0.5'}" + "]}" * levels
        return RULE + f"    when: {when}\n    action: review\n"

    book_from(nested(MAX_NESTING - 1))
    with pytest.raises(RulesError, match=r"^mem/default.yaml:4: rule r: conditions nest"):
        book_from(nested(MAX_NESTING))


def test_it_names_a_rule_file_that_cannot_be_read(rules_dir: Path) -> None:
    """`check` reports a *.yaml it cannot read (here a folder) as an error naming it."""
    (rules_dir / "default.yaml").write_text("rules: []\n")
    (rules_dir / "x.yaml").mkdir()
    result = check_directory(rules_dir)
    assert result.book is None
    assert result.errors == (f"{rules_dir}/x.yaml: cannot read: Is a directory",)
