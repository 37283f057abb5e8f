"""Alembic environment of the impulator database (run by :mod:`impulator.store`).

The caller passes an open connection in ``config.attributes["connection"]`` (the normal path,
see ``impulator.store.upgrade``) or a URL in ``config.attributes["url"]``. Importing this file
outside an Alembic command does nothing (pytest imports every module for doctests).
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import context

from impulator.store._models import Base

__all__: list[str] = []


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction(), warnings.catch_warnings():
        # SQLite's batch mode reflects each table it rebuilds and cannot reflect the
        # lower(name) index; the migrations recreate that index themselves.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        context.run_migrations()


def run() -> None:
    """Run the migrations Alembic asked for, online, on the given connection or URL."""
    if context.is_offline_mode():
        raise RuntimeError("impulator migrations run online only")
    attributes = context.config.attributes
    connection = attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = sa.create_engine(attributes["url"])
    try:
        with engine.connect() as conn:
            _configure(conn)
            conn.commit()
    finally:
        engine.dispose()


if hasattr(context, "config"):
    run()
