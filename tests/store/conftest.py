"""Fresh impulator databases, on the real PostgreSQL cluster and on SQLite."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.postgres import PostgresCluster

_names = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'impulator.sqlite'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database(f"impulator_store_{next(_names)}")
