"""`vigie rules check`: every problem of every file in a rules folder, not just the first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rules.engine import build_sets, parse_source, rulebook_from_sources
from rules.model import RuleBook, RulesError
from rules.parse import RuleFile

# moderation.models.PLATFORMS, plus "default"; not imported so rules/ stays free of the database.
KNOWN_PLATFORMS = ("default", "facebook", "instagram", "x", "tiktok", "youtube", "linkedin", "web")


@dataclass(frozen=True)
class CheckResult:
    """The rule book when every file is valid; the errors and warnings otherwise."""

    book: RuleBook | None
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...] = ()


def check_directory(directory: Path) -> CheckResult:
    """Validate each `*.yaml` file of `directory` on its own, then the files together."""
    if not directory.is_dir():
        return CheckResult(None, (f"{directory}: not a folder",), ())
    warnings = [
        f"{path}: ignored (rule files end in .yaml)" for path in sorted(directory.glob("*.yml"))
    ]
    errors: list[str] = []
    sources: dict[str, bytes] = {}
    unreadable: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        try:
            sources[path.stem] = path.read_bytes()
        except OSError as exc:  # a folder, a dangling link, no permission
            errors.append(f"{path}: cannot read: {exc.strerror or exc}")
            unreadable.add(path.stem)
    warnings += [
        f"{directory / (name + '.yaml')}: no platform is called {name!r}; this file is never used"
        for name in sources
        if name not in KNOWN_PLATFORMS
    ]
    files: dict[str, RuleFile] = {}
    for name, content in sources.items():
        try:
            files[name] = parse_source(directory, name, content)
        except RulesError as exc:
            errors.append(str(exc))
    if "default" not in sources and "default" not in unreadable:
        errors.append(f"{directory}: no default.yaml")
    if errors:
        return CheckResult(None, tuple(errors), tuple(warnings))
    try:
        build_sets(directory, files)
        book = rulebook_from_sources(sources, directory)
    except RulesError as exc:
        return CheckResult(None, (str(exc),), tuple(warnings))
    return CheckResult(book, (), tuple(warnings), _inheritance_notes(files))


def _inheritance_notes(files: dict[str, RuleFile]) -> tuple[str, ...]:
    """Which default rules each platform file replaces or disables, for the writer to confirm."""
    defaults = {rule.id for rule in files["default"].rules}
    notes = []
    for name, file in sorted(files.items()):
        if name == "default":
            continue
        replaced = [rule.id for rule in file.rules if rule.id in defaults]
        if replaced:
            notes.append(f"{name}.yaml replaces default rule(s): {', '.join(replaced)}")
        if file.disable:
            notes.append(
                f"{name}.yaml disables: {', '.join(rule_id for rule_id, _ in file.disable)}"
            )
    return tuple(notes)
