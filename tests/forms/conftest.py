"""Shared fixtures for the form tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Lets `.venv/bin/pytest tests/forms` import `app` without an installed package; redundant (and removable)
# once pyproject.toml sets `pythonpath = ["."]` under [tool.pytest.ini_options].
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from app.forms import FormRegistry, default_registry  # noqa: E402


@pytest.fixture(scope="module")
def registry() -> FormRegistry:
    """The repository's forms/ directory."""
    return default_registry()
