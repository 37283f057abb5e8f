"""Fixtures of the UI tests (the export tests share them through their own conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from impulator.pipeline import Report
from impulator.store import _session
from tests.store.reports import reports


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Dispose of the store's cached engines after every test."""
    yield
    _session.dispose()


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, Report]:
    """The demo reports by key, computed once per test module."""
    return reports(demo_dir)


@pytest.fixture
def url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite store of the test's own."""
    return f"sqlite:///{tmp_path / 'impulator.sqlite'}"
