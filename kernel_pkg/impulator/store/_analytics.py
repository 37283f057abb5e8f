"""Dashboard numbers over the compounds you can see, computed by the database."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from impulator._errors import InvalidInput
from impulator.chem import FLAG_NAMES
from impulator.science import STRONG_CLASSES
from impulator.store._models import Compound, InterferenceRecord, ResultRow
from impulator.store._session import transaction

__all__ = [
    "DISTRIBUTION_METRICS",
    "FLAG_COLUMNS",
    "SCORE_BINS",
    "STRONG_CLASSES",
    "TARGET_COLUMNS",
    "TREND_DAYS",
    "TREND_PERIODS",
    "UNSCORED",
    "analytics",
    "distribution",
    "flag_prevalence",
    "flagged_compounds",
    "target_summary",
    "trends",
]

#: Bins of the score distribution: ten of width 0.1 over [0, 1] (both models score in [0, 1];
#: the last bin includes 1.0).
SCORE_BINS: tuple[tuple[float, float], ...] = tuple((i / 10, (i + 1) / 10) for i in range(10))
#: Days in ``trends``, today included.
TREND_DAYS = 30
#: ``class_counts`` key of compounds without a best class (no scored row).
UNSCORED = "Unscored"

_c = Compound.__table__.c
_r = cast(sa.Table, ResultRow.__table__).c
_f = cast(sa.Table, InterferenceRecord.__table__).c

#: Columns of :func:`target_summary`.
TARGET_COLUMNS: tuple[str, ...] = (
    "target_chembl_id",
    "target_pref_name",
    "compounds",
    "rows",
    "median_score",
)
#: Columns of :func:`flag_prevalence`.
FLAG_COLUMNS: tuple[str, ...] = ("flag", "structures", "flagged", "share")


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


def target_summary(url: str | None = None, *, limit: int = 20) -> pd.DataFrame:
    """Per target: compounds whose rows name it, rows, median final score (most compounds
    first, then most rows; the ``limit`` largest).

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> list(target_summary(url).columns) == list(TARGET_COLUMNS)
        True
    """
    name = sa.func.max(_r.data["target_pref_name"].as_string())
    compounds = sa.func.count(sa.distinct(_r.compound_id))
    with transaction(url, "summarise targets") as tx:
        if tx.postgres:
            median = sa.func.percentile_cont(0.5).within_group(_r.final_score.asc())
            found = tx.conn.execute(
                sa.select(_r.target_chembl_id, name, compounds, sa.func.count(), median)
                .where(_r.target_chembl_id.is_not(None))
                .group_by(_r.target_chembl_id)
                .order_by(compounds.desc(), sa.func.count().desc(), _r.target_chembl_id)
                .limit(limit)
            ).all()
            return _frame(found)
        rows = tx.conn.execute(
            sa.select(
                _r.target_chembl_id,
                _r.data["target_pref_name"].as_string(),
                _r.compound_id,
                _r.final_score,
            ).where(_r.target_chembl_id.is_not(None))
        ).all()
    table = pd.DataFrame(rows, columns=["target", "name", "compound", "score"])
    if table.empty:
        return _frame([])
    grouped = table.groupby("target", sort=False).agg(
        name=("name", "max"),
        compounds=("compound", "nunique"),
        rows=("compound", "size"),
        median=("score", "median"),
    )
    grouped = grouped.reset_index().sort_values(
        ["compounds", "rows", "target"], ascending=[False, False, True]
    )
    return _frame(list(grouped.head(limit).itertuples(index=False, name=None)))


def _frame(rows: Sequence[Any]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(TARGET_COLUMNS))
    frame["compounds"] = frame["compounds"].astype("int64")
    frame["rows"] = frame["rows"].astype("int64")
    frame["median_score"] = frame["median_score"].astype("float64")
    return frame.reset_index(drop=True)


def flag_prevalence(url: str | None = None) -> pd.DataFrame:
    """How often each interference flag is raised over the neighbourhood structures stored
    (one record per structure per compound): ``flag``, ``structures`` (records), ``flagged``
    and ``share`` (flagged / structures, 0 when there are none).

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> flag_prevalence(url)[["flag", "flagged"]].head(2).values.tolist()
        [['pains', 0], ['aggregator', 0]]
    """
    counts = [
        sa.func.coalesce(sa.func.sum(sa.case((_f.flags[name].as_boolean(), 1), else_=0)), 0)
        for name in FLAG_NAMES
    ]
    with transaction(url, "count interference flags") as tx:
        found = tx.conn.execute(sa.select(sa.func.count(), *counts)).one()
    total = int(found[0])
    records = [
        (name, total, int(n), (int(n) / total) if total else 0.0)
        for name, n in zip(FLAG_NAMES, found[1:], strict=True)
    ]
    return pd.DataFrame(records, columns=list(FLAG_COLUMNS))


def flagged_compounds(url: str | None = None) -> int:
    """Compounds you can see whose own structure raises at least one interference flag.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> flagged_compounds(url)
        0
    """
    with transaction(url, "count flagged compounds") as tx:
        found = tx.conn.execute(
            sa.select(sa.func.count()).select_from(Compound.__table__).where(_c.n_flags > 0)
        ).scalar_one()
    return int(found)


#: The per-row measures :func:`distribution` makes histograms of (``result_rows`` columns).
DISTRIBUTION_METRICS: tuple[str, ...] = ("pactivity", "sei", "bei", "nsei", "nbei")
#: The periods :func:`trends` groups by (weeks start on Monday, ISO 8601).
TREND_PERIODS: tuple[str, ...] = ("day", "week")


def _bucket(column: Any, lower: float, upper: float, bins: int, dialect: str) -> Any:
    """The 0-based bin of ``column`` among ``bins`` equal bins over [lower, upper]."""
    if dialect == "postgresql":  # width_bucket gives 1..bins, bins + 1 for the upper edge
        return sa.func.least(sa.func.width_bucket(column, lower, upper, bins), bins) - 1
    width = (upper - lower) / bins  # column >= lower: truncation is the floor here
    return sa.func.min(sa.cast((column - lower) / width, sa.Integer), bins - 1)


def _edges(low: float, high: float) -> tuple[float, float]:
    """Whole-number edges around [low, high] (a width of at least 1)."""
    lower, upper = float(math.floor(low)), float(math.ceil(high))
    return (lower, upper) if upper > lower else (lower, lower + 1.0)


def distribution(
    url: str | None = None, *, target: str | None = None, bins: int = 20
) -> dict[str, Any]:
    """How the scored activity rows you can see are distributed (``target``: only the rows of
    that ChEMBL target).

    Keys: ``target``; ``compounds`` (with at least one such row) and ``rows``; ``scores``
    (``SCORE_BINS`` with counts of the rows' final scores); ``classes`` (rows per
    classification, ``"Unscored"`` for none); ``best_classes`` (those compounds by best class);
    ``histograms``: per measure of ``DISTRIBUTION_METRICS`` its ``count``, ``mean``, ``min``,
    ``max`` and ``bins`` (``bins`` equal bins between whole-number edges around the values;
    empty when no row has the measure).

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> found = distribution(url, target="CHEMBL1862")
        >>> found["rows"], found["histograms"]["pactivity"]["bins"]
        (0, [])
    """
    if not 1 <= bins <= 200:
        raise InvalidInput(f"bins={bins}: use 1 to 200 bins")
    chosen = _r.target_chembl_id == target if target else sa.true()
    with transaction(url, "compute distributions") as tx:
        dialect = tx.conn.dialect.name
        totals = tx.conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(_r.compound_id))).where(chosen)
        ).one()
        score_bin = sa.case(
            *((_r.final_score < upper, i) for i, (_, upper) in enumerate(SCORE_BINS[:-1])),
            else_=len(SCORE_BINS) - 1,
        ).label("bin")
        scored: dict[Any, Any] = dict(
            tx.conn.execute(
                sa.select(score_bin, sa.func.count())
                .where(chosen, _r.final_score.is_not(None))
                .group_by(sa.literal_column("bin"))
            ).all()
        )
        classes = tx.conn.execute(
            sa.select(_r.classification, sa.func.count()).where(chosen).group_by(_r.classification)
        ).all()
        having_rows = sa.select(_r.compound_id).where(chosen)
        best = tx.conn.execute(
            sa.select(_c.best_class, sa.func.count())
            .where(_c.id.in_(having_rows))
            .group_by(_c.best_class)
        ).all()
        stats = tx.conn.execute(
            sa.select(
                *(
                    part
                    for name in DISTRIBUTION_METRICS
                    for part in (
                        sa.func.count(_r[name]),
                        sa.func.avg(_r[name]),
                        sa.func.min(_r[name]),
                        sa.func.max(_r[name]),
                    )
                )
            ).where(chosen)
        ).one()
        histograms: dict[str, Any] = {}
        for i, name in enumerate(DISTRIBUTION_METRICS):
            count, mean, low, high = stats[4 * i : 4 * i + 4]
            found: dict[str, Any] = {
                "count": int(count),
                "mean": _float(mean),
                "min": _float(low),
                "max": _float(high),
                "bins": [],
            }
            histograms[name] = found
            if not count:
                continue
            lower, upper = _edges(float(low), float(high))
            bucket = _bucket(_r[name], lower, upper, bins, dialect).label("bin")
            counted: dict[Any, Any] = dict(
                tx.conn.execute(
                    sa.select(bucket, sa.func.count())
                    .where(chosen, _r[name].is_not(None))
                    .group_by(sa.literal_column("bin"))
                ).all()
            )
            width = (upper - lower) / bins
            found["bins"] = [
                {
                    "lower": lower + k * width,
                    "upper": upper if k == bins - 1 else lower + (k + 1) * width,
                    "count": int(counted.get(k, 0)),
                }
                for k in range(bins)
            ]
    return {
        "target": target,
        "rows": int(totals[0]),
        "compounds": int(totals[1]),
        "scores": [
            {"lower": lower, "upper": upper, "count": int(scored.get(i, 0))}
            for i, (lower, upper) in enumerate(SCORE_BINS)
        ],
        "classes": {(UNSCORED if c is None else str(c)): int(n) for c, n in classes},
        "best_classes": {(UNSCORED if c is None else str(c)): int(n) for c, n in best},
        "histograms": histograms,
    }


def _period(column: Any, every: str, dialect: str) -> Any:
    """The first day (``YYYY-MM-DD``, UTC) of the day or ISO week of ``column``."""
    if dialect == "sqlite":
        day = sa.func.substr(sa.type_coerce(column, sa.String), 1, 10)
        return day if every == "day" else sa.func.date(day, "-6 days", "weekday 1")
    start = sa.func.date_trunc(every, sa.func.timezone("UTC", column))
    return sa.func.to_char(start, "YYYY-MM-DD")


def trends(
    url: str | None = None,
    *,
    every: str = "day",
    periods: int = TREND_DAYS,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Compounds you can see stored per day or ISO week (``every``) over the last ``periods``
    of them, oldest first, the current one included (UTC).

    Each period: ``start`` (its first day), ``stored`` (compounds created in it), ``total``
    (compounds created up to its end), ``mean_score`` (of their best scores) and ``classes``
    (the period's compounds by best class, ``"Unscored"`` for none). ``today`` replaces the
    current UTC date (for reports and tests).

    Example:
        >>> import os, tempfile
        >>> from datetime import date
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> weeks = trends(url, every="week", periods=2, today=date(2026, 3, 5))
        >>> [(w["start"], w["stored"], w["total"]) for w in weeks]
        [('2026-02-23', 0, 0), ('2026-03-02', 0, 0)]
    """
    if every not in TREND_PERIODS:
        raise InvalidInput(f"every={every!r}: use one of {', '.join(TREND_PERIODS)}")
    if not 1 <= periods <= 366:
        raise InvalidInput(f"periods={periods}: use 1 to 366 periods")
    day = today or datetime.now(UTC).date()
    step = timedelta(days=1 if every == "day" else 7)
    current = day if every == "day" else day - timedelta(days=day.weekday())
    first_day = current - step * (periods - 1)
    first = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    with transaction(url, "compute trends") as tx:
        dialect = tx.conn.dialect.name
        before = tx.conn.execute(
            sa.select(sa.func.count()).where(sa.not_(_since(_c.created_at, first, dialect)))
        ).scalar_one()
        start = _period(_c.created_at, every, dialect).label("start")
        found = tx.conn.execute(
            sa.select(start, _c.best_class, sa.func.count(), sa.func.sum(_c.best_score))
            .where(
                _since(_c.created_at, first, dialect),
                sa.not_(_since(_c.created_at, end, dialect)),
            )
            .group_by(sa.literal_column("start"), _c.best_class)
        ).all()
        scored: dict[Any, Any] = dict(
            tx.conn.execute(
                sa.select(start, sa.func.count(_c.best_score))
                .where(
                    _since(_c.created_at, first, dialect),
                    sa.not_(_since(_c.created_at, end, dialect)),
                )
                .group_by(sa.literal_column("start"))
            ).all()
        )
    by_start: dict[str, dict[str, Any]] = {}
    for key, best_class, n, total_score in found:
        period = by_start.setdefault(str(key), {"stored": 0, "sum": 0.0, "classes": {}})
        period["stored"] += int(n)
        period["sum"] += float(total_score or 0.0)
        name = UNSCORED if best_class is None else str(best_class)
        period["classes"][name] = int(n)
    result = []
    running = int(before)
    for offset in range(periods):
        key = (first_day + step * offset).isoformat()
        period = by_start.get(key, {"stored": 0, "sum": 0.0, "classes": {}})
        running += period["stored"]
        with_score = int(scored.get(key, 0))
        result.append(
            {
                "start": key,
                "stored": period["stored"],
                "total": running,
                "mean_score": period["sum"] / with_score if with_score else None,
                "classes": period["classes"],
            }
        )
    return result
