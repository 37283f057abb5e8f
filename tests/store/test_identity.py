"""``store.whoami`` and ``store.groups`` on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import store
from impulator.store import _session


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    _session.dispose()


def test_whoami_and_groups(empty_url: str) -> None:
    postgres = empty_url.startswith("postgresql")
    if postgres:
        store.upgrade(empty_url)
    me = store.whoami(empty_url)
    assert me.user and me.groups == () and store.groups(empty_url) == []
    assert me.role == "admin" and me.can_write  # SQLite's one user; PostgreSQL's superuser

    engine = sa.create_engine(empty_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name) VALUES (:n), ('other')"), {"n": me.user})
        conn.execute(sa.text("INSERT INTO groups (name) VALUES ('team b'), ('team a'), ('x')"))
        conn.execute(
            sa.text(
                "INSERT INTO group_memberships (group_id, member) SELECT id, :n FROM groups "
                "WHERE name IN ('team a', 'team b') UNION ALL "
                "SELECT id, 'other' FROM groups WHERE name = 'x'"
            ),
            {"n": me.user},
        )
    engine.dispose()
    # PostgreSQL: the groups you belong to; SQLite has no users: every group.
    expected = ["team a", "team b"] if postgres else ["team a", "team b", "x"]
    assert store.groups(empty_url) == expected
    assert store.whoami(empty_url).groups == tuple(expected)
