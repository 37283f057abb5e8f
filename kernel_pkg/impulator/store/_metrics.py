"""Prometheus metrics of the database connections, on the ``/metrics`` of whichever process
opens them (the runner, the API).

- ``db_connections_active``: pooled connections checked out now (every engine of the process).
- ``db_connections_max``: how many the pools can hand out at most (size plus overflow).
- ``db_query_duration_seconds{statement}``: time of each statement, by its kind only
  (``select``, ``insert``, ``update``, ``delete``, ``other``): never its text or values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from prometheus_client import Gauge, Histogram

__all__ = [
    "DB_CONNECTIONS_ACTIVE",
    "DB_CONNECTIONS_MAX",
    "DB_QUERY_DURATION",
    "instrument",
    "statement_kind",
    "watch_pools",
]

DB_CONNECTIONS_ACTIVE = Gauge(
    "db_connections_active", "Pooled database connections checked out now"
)
DB_CONNECTIONS_MAX = Gauge(
    "db_connections_max", "Database connections the pools can hand out at most"
)
DB_QUERY_DURATION = Histogram(
    "db_query_duration_seconds",
    "Time of one database statement, by kind",
    ["statement"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

STATEMENT_KINDS = ("select", "insert", "update", "delete")
_STARTED = "impulator_statement_started"


def statement_kind(statement: str) -> str:
    """The label of a statement: its first keyword if a common one, else ``other``.

    Example:
        >>> statement_kind("  SELECT compounds.id FROM compounds"), statement_kind("SET ROLE x")
        ('select', 'other')
    """
    head = statement.lstrip(" \t\r\n(").split(None, 1)
    word = head[0].lower() if head else ""
    return word if word in STATEMENT_KINDS else "other"


def _before(conn: sa.Connection, *_: Any) -> None:
    conn.info.setdefault(_STARTED, []).append(time.perf_counter())


def _after(conn: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
    started = conn.info.get(_STARTED)
    if started:
        DB_QUERY_DURATION.labels(statement_kind(statement)).observe(
            time.perf_counter() - started.pop()
        )


def _failed(context: Any) -> None:
    # A statement that raised has no after_cursor_execute: forget its start time.
    started = context.connection.info.get(_STARTED) if context.connection is not None else None
    if started:
        started.pop()


def instrument(engine: sa.Engine) -> None:
    """Time every statement ``engine`` runs."""
    sa.event.listen(engine, "before_cursor_execute", _before)
    sa.event.listen(engine, "after_cursor_execute", _after)
    sa.event.listen(engine, "handle_error", _failed)


def _pool_numbers(engines: Iterable[sa.Engine]) -> tuple[int, int]:
    active = limit = 0
    for engine in engines:
        pool: Any = engine.pool
        checked_out = getattr(pool, "checkedout", None)
        if checked_out is None:  # SQLite's static or null pool: nothing to exhaust
            continue
        active += int(checked_out())
        overflow = getattr(pool, "_max_overflow", 0)
        limit += int(pool.size()) + max(int(overflow), 0)
    return active, limit


def watch_pools(engines: Callable[[], Iterable[sa.Engine]]) -> None:
    """Report the pools of ``engines()`` (read at each scrape) in the two gauges."""
    DB_CONNECTIONS_ACTIVE.set_function(lambda: _pool_numbers(engines())[0])
    DB_CONNECTIONS_MAX.set_function(lambda: _pool_numbers(engines())[1])
