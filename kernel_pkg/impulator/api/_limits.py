"""Per-user rate limits kept in the database (``api_rate_counts``), so they hold across API
processes and restarts.

Fixed one-minute windows: each request adds one to its user's count for the current minute
(one ``INSERT ... ON CONFLICT DO UPDATE``, atomic across processes); over the limit is
``429`` with ``Retry-After`` (seconds to the next minute). Written through the API's own
login, never as the user (users have no privilege on the table).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from impulator.api._errors import ApiError
from impulator.store import transaction

__all__ = ["WINDOW_SECONDS", "RateLimiter"]

WINDOW_SECONDS = 60
_HIT = sa.text(
    "INSERT INTO api_rate_counts (user_name, bucket, window_start, count) "
    "VALUES (:user, :bucket, :window, 1) "
    "ON CONFLICT (user_name, bucket, window_start) "
    "DO UPDATE SET count = api_rate_counts.count + 1 RETURNING count"
)
_FORGET = sa.text("DELETE FROM api_rate_counts WHERE window_start < :before")
_WORDS = {"submit": "submissions", "read": "requests"}


class RateLimiter:
    """``limits``: requests per minute of each bucket (``submit``, ``read``)."""

    def __init__(self, url: str | None, limits: dict[str, int]) -> None:
        self.url = url
        self.limits = dict(limits)

    def hit(self, user: str, bucket: str, now: datetime | None = None) -> int:
        """Count one request; returns the count in this minute; 429 over the limit."""
        now = now or datetime.now(UTC)
        epoch = now.timestamp()
        start = math.floor(epoch / WINDOW_SECONDS) * WINDOW_SECONDS
        window = datetime.fromtimestamp(start, UTC)
        with transaction(self.url, "count an API request", write=True) as tx:
            count = int(
                tx.conn.execute(
                    _HIT, {"user": user, "bucket": bucket, "window": window}
                ).scalar_one()
            )
            if random.random() < 0.01:  # old windows are forgotten now and then
                tx.conn.execute(_FORGET, {"before": window - timedelta(hours=1)})
        limit = self.limits[bucket]
        if count > limit:
            wait = max(1, math.ceil(start + WINDOW_SECONDS - epoch))
            raise ApiError(
                429,
                f"Too many {_WORDS.get(bucket, 'requests')}: at most {limit} a minute per "
                f"user. Try again in {wait} seconds.",
                {"Retry-After": str(wait)},
            )
        return count
