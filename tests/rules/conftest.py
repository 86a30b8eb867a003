"""Fixtures for the rules tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """An empty folder for rule files."""
    folder = tmp_path / "rules"
    folder.mkdir()
    return folder
