"""Database URLs in messages: credentials never appear in a message or a log."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["redact"]


def redact(url: str | sa.URL) -> str:
    """``url`` with its password hidden, for messages and logs.

    Example:
        >>> redact("postgresql+psycopg://ana:s3cret@db:5432/imp")
        'postgresql+psycopg://ana:***@db:5432/imp'
        >>> redact("not a url")
        '<unparseable database URL>'
    """
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL must not leak through an error message either
        return "<unparseable database URL>"
