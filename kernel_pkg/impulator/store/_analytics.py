"""Dashboard numbers over the compounds you can see, computed by the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from impulator.chem import FLAG_NAMES
from impulator.science import STRONG_CLASSES
from impulator.store._models import Compound, InterferenceRecord, ResultRow
from impulator.store._session import transaction

__all__ = [
    "FLAG_COLUMNS",
    "SCORE_BINS",
    "STRONG_CLASSES",
    "TARGET_COLUMNS",
    "TREND_DAYS",
    "UNSCORED",
    "analytics",
    "flag_prevalence",
    "flagged_compounds",
    "target_summary",
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
