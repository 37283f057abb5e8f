"""Small pieces every networked or batched source shares."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

__all__ = ["MAX_RETRY_WAIT", "chunked", "retry_after"]

#: Never obey a Retry-After longer than this (seconds): a user is waiting.
MAX_RETRY_WAIT = 300.0

T = TypeVar("T")


def retry_after(value: str | None, cap: float = MAX_RETRY_WAIT) -> float | None:
    """Seconds asked by a Retry-After header (delta-seconds or an HTTP date), capped.

    Example:
        >>> retry_after("7"), retry_after(None), retry_after("soon"), retry_after("900")
        (7.0, None, None, 300.0)
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), cap)


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of ``items`` of at most ``size``.

    Example:
        >>> list(chunked(["a", "b", "c"], 2))
        [['a', 'b'], ['c']]
    """
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
