"""Dashboard numbers over the compounds you can see, computed by the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from impulator.store._models import Compound
from impulator.store._session import transaction

__all__ = ["SCORE_BINS", "STRONG_CLASSES", "TREND_DAYS", "UNSCORED", "analytics"]

#: Best classes counted as "strong IMPs or better".
STRONG_CLASSES: tuple[str, ...] = ("Strong IMP", "Exceptional IMP")
#: Bins of the score distribution: ten of width 0.1 over [0, 1] (both models score in [0, 1];
#: the last bin includes 1.0).
SCORE_BINS: tuple[tuple[float, float], ...] = tuple((i / 10, (i + 1) / 10) for i in range(10))
#: Days in ``trends``, today included.
TREND_DAYS = 30
#: ``class_counts`` key of compounds without a best class (no scored row).
UNSCORED = "Unscored"

_c = Compound.__table__.c


def _since(column: Any, moment: datetime, dialect: str) -> Any:
    if dialect == "sqlite":  # timestamps are text there, 'YYYY-MM-DD HH:MM:SS' in UTC
        return sa.type_coerce(column, sa.String) >= moment.strftime("%Y-%m-%d %H:%M:%S")
    return column >= moment


def _count_if(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _day(column: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return sa.func.substr(sa.type_coerce(column, sa.String), 1, 10)
    return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")


def analytics(url: str | None = None, *, today: date | None = None) -> dict[str, Any]:
    """Counts and score statistics of the compounds you can see (days are UTC days).

    Keys: ``total_compounds``; ``strong_imps_or_better`` (best class Strong or Exceptional
    IMP); ``processed_today`` (created since midnight UTC); ``mean_score`` (of best scores);
    ``score_distribution`` (``SCORE_BINS`` with counts of best scores); ``class_counts`` (by
    best class, ``"Unscored"`` for none); ``trends`` (the last 30 days, oldest first: day,
    count, mean best score). ``today`` replaces the current UTC date (for reports and tests).

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> numbers = analytics(url)
        >>> numbers["total_compounds"], numbers["mean_score"], len(numbers["trends"])
        (0, None, 30)
    """
    day = today or datetime.now(UTC).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    first = midnight - timedelta(days=TREND_DAYS - 1)
    with transaction(url, "compute analytics") as tx:
        dialect = tx.conn.dialect.name
        totals = tx.conn.execute(
            sa.select(
                sa.func.count(),
                _count_if(_c.best_class.in_(STRONG_CLASSES)),
                _count_if(_since(_c.created_at, midnight, dialect)),
                sa.func.avg(_c.best_score),
            )
        ).one()
        bin_of = sa.case(
            *((_c.best_score < upper, i) for i, (_, upper) in enumerate(SCORE_BINS[:-1])),
            else_=len(SCORE_BINS) - 1,
        ).label("bin")
        binned: dict[Any, Any] = dict(
            tx.conn.execute(
                sa.select(bin_of, sa.func.count())
                .where(_c.best_score.is_not(None))
                .group_by(sa.literal_column("bin"))  # the alias: no repeated parameters
            ).all()
        )
        classes = tx.conn.execute(
            sa.select(_c.best_class, sa.func.count()).group_by(_c.best_class)
        ).all()
        day_of = _day(_c.created_at, dialect).label("day")
        trend_rows = tx.conn.execute(
            sa.select(day_of, sa.func.count(), sa.func.avg(_c.best_score))
            .where(_since(_c.created_at, first, dialect))
            .group_by(sa.literal_column("day"))
        ).all()
    per_day = {str(d): (int(n), mean) for d, n, mean in trend_rows}
    trends = []
    for offset in range(TREND_DAYS):
        key = (first + timedelta(days=offset)).date().isoformat()
        n, mean = per_day.get(key, (0, None))
        trends.append({"day": key, "count": n, "mean_score": _float(mean)})
    return {
        "total_compounds": int(totals[0]),
        "strong_imps_or_better": int(totals[1]),
        "processed_today": int(totals[2]),
        "mean_score": _float(totals[3]),
        "score_distribution": [
            {"lower": lower, "upper": upper, "count": int(binned.get(i, 0))}
            for i, (lower, upper) in enumerate(SCORE_BINS)
        ],
        "class_counts": {(UNSCORED if name is None else str(name)): int(n) for name, n in classes},
        "trends": trends,
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
