"""Plain helpers of the UI and export tests: walk a widget tree by CSS class, run SQL on a
store, and set up a fresh PostgreSQL store with its users."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import store
from impulator.pipeline import Report
from impulator.store import _session
from tests.postgres import PostgresCluster

_databases: defaultdict[str, itertools.count[int]] = defaultdict(itertools.count)


def find(widget: Any, css: str) -> list[Any]:
    """Every widget of the tree under ``widget`` that carries the class ``css``."""
    found = [widget] if css in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += find(child, css)
    return found


def one(widget: Any, css: str) -> Any:
    """The only widget under ``widget`` that carries the class ``css`` (asserted)."""
    found = find(widget, css)
    assert len(found) == 1, f"{css}: {len(found)} widgets"
    return found[0]


def sql(url: str, statement: str, **params: Any) -> list[Any]:
    """Run ``statement`` with bound ``params`` in a transaction of its own on ``url``.

    Returns the rows it selects (``[]`` for a statement without rows). The engine has no
    pool and is disposed of at once, so no connection outlives the call.
    """
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def save_reports(reports: Mapping[str, Report], keys: Iterable[str], url: str) -> dict[str, int]:
    """Store ``reports[key]`` for each of ``keys`` at ``url``: the compound ids by key.

    The engines are closed afterwards, for a store set up once by a module-scoped fixture.
    """
    ids = {key: store.save(reports[key], url=url) for key in keys}
    _session.dispose()
    return ids


def new_database(postgres: PostgresCluster, prefix: str) -> str:
    """A fresh, migrated PostgreSQL database ``{prefix}_{n}`` (n counts per prefix): its
    administrator's URL."""
    admin = postgres.create_database(f"{prefix}_{next(_databases[prefix])}")
    store.upgrade(admin)
    return admin


def new_platform(
    postgres: PostgresCluster, prefix: str, users: Mapping[str, tuple[str, str, Sequence[str]]]
) -> dict[str, str]:
    """A fresh database (see :func:`new_database`) and its users, provisioned in order.

    ``users`` maps a key to (login, role, groups); the result maps ``"admin"`` and each key
    to that user's URL.
    """
    admin = new_database(postgres, prefix)
    urls = {"admin": admin}
    for key, (login, role, groups) in users.items():
        urls[key] = store.provision_user(login, role, groups, url=admin)
    return urls
