"""Counting the SQL statements a block of code runs (tests and benchmarks share it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from impulator import store


@contextmanager
def counted(url: str) -> Iterator[list[str]]:
    """The SQL statements run on ``url``'s engine inside the block, in order."""
    statements: list[str] = []
    engine = store.engine_for(url)

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
