"""``store.target_summary``, ``store.flag_prevalence``, ``store.flagged_compounds``,
``store.distribution`` and ``store.trends`` against the reports they come from, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from impulator import store
from impulator.chem import FLAG_NAMES
from impulator.pipeline import Report
from impulator.store import _session
from tests.store.reports import reports


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    _session.dispose()


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, Report]:
    return reports(demo_dir)


def _expected_targets(demo: dict[str, Report]) -> pd.DataFrame:
    frames = [r.rows.assign(compound=k) for k, r in demo.items() if not r.rows.empty]
    rows = pd.concat(frames, ignore_index=True)
    grouped = rows.groupby("target_chembl_id").agg(
        target_pref_name=("target_pref_name", "max"),
        compounds=("compound", "nunique"),
        rows=("compound", "size"),
        median_score=("final_score", "median"),
    )
    grouped = grouped.reset_index().sort_values(
        ["compounds", "rows", "target_chembl_id"], ascending=[False, False, True]
    )
    return grouped.reset_index(drop=True)[list(store.TARGET_COLUMNS)]


def test_target_and_flag_analytics_match_the_reports(
    empty_url: str, demo: dict[str, Report]
) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    for report in demo.values():
        store.save(report, url=empty_url)

    targets = store.target_summary(empty_url)
    pd.testing.assert_frame_equal(targets, _expected_targets(demo), check_dtype=False)
    assert len(store.target_summary(empty_url, limit=2)) == 2

    flags = store.flag_prevalence(empty_url)
    assert list(flags.columns) == list(store.FLAG_COLUMNS)
    assert flags["flag"].tolist() == list(FLAG_NAMES)
    expected = dict.fromkeys(FLAG_NAMES, 0)
    structures = 0
    for report in demo.values():
        unique = report.rows.dropna(subset=["inchikey"]).drop_duplicates("inchikey")
        structures += len(unique)
        for flag in FLAG_NAMES:
            expected[flag] += int(unique[flag].fillna(False).astype(bool).sum())
    assert dict(zip(flags["flag"], flags["flagged"], strict=True)) == expected
    assert (flags["structures"] == structures).all()

    flagged = store.list(limit=100, url=empty_url).items["n_flags"]
    assert store.flagged_compounds(empty_url) == int((flagged > 0).sum())


def test_an_empty_store_has_no_targets_or_flags(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert store.target_summary(url).empty
    assert store.flag_prevalence(url)["flagged"].sum() == 0
    assert store.flagged_compounds(url) == 0


def _all_rows(demo: dict[str, Report]) -> pd.DataFrame:
    frames = [r.rows.assign(compound=k) for k, r in demo.items() if not r.rows.empty]
    return pd.concat(frames, ignore_index=True)


def _expected_distribution(rows: pd.DataFrame, bins: int) -> dict[str, Any]:
    scores = [0] * len(store.SCORE_BINS)
    for value in rows["final_score"].dropna():
        scores[min(math.floor(value * 10), 9)] += 1
    classes = rows["classification"].fillna(store.UNSCORED).value_counts().to_dict()
    histograms: dict[str, Any] = {}
    for name in store.DISTRIBUTION_METRICS:
        values = rows[name].dropna()
        lower, upper = math.floor(values.min()), math.ceil(values.max())
        upper = upper if upper > lower else lower + 1
        counts = [0] * bins
        for v in values:
            counts[min(int((v - lower) / ((upper - lower) / bins)), bins - 1)] += 1
        histograms[name] = (len(values), values.mean(), lower, upper, counts)
    return {"scores": scores, "classes": classes, "histograms": histograms}


def test_distribution_and_trends_match_the_reports(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    ids = {k: store.save(r, url=empty_url) for k, r in demo.items()}
    rows = _all_rows(demo)

    for target, bins in ((None, 20), ("CHEMBL1862", 5)):
        chosen = rows if target is None else rows[rows["target_chembl_id"] == target]
        assert len(chosen) > 0
        got = store.distribution(empty_url, target=target, bins=bins)
        want = _expected_distribution(chosen, bins)
        print(f"distribution target={target}: {got['rows']} rows, {got['compounds']} compounds")
        assert got["target"] == target
        assert got["rows"] == len(chosen)
        assert got["compounds"] == chosen["compound"].nunique()
        assert [b["count"] for b in got["scores"]] == want["scores"]
        assert got["classes"] == want["classes"]
        best = [store.get(ids[k], url=empty_url).best_class for k in chosen["compound"].unique()]
        assert sum(got["best_classes"].values()) == len(best)
        assert (
            got["best_classes"] == pd.Series(best).fillna(store.UNSCORED).value_counts().to_dict()
        )
        for name, (count, mean, lower, upper, counts) in want["histograms"].items():
            histogram = got["histograms"][name]
            assert histogram["count"] == count, name
            assert histogram["mean"] == pytest.approx(mean), name
            assert [b["count"] for b in histogram["bins"]] == counts, name
            assert histogram["bins"][0]["lower"] == lower, name
            assert histogram["bins"][-1]["upper"] == upper, name
    nothing = store.distribution(empty_url, target="CHEMBL0")
    assert nothing["rows"] == 0 and nothing["histograms"]["sei"]["bins"] == []

    # Move three compounds back in time: 1, 8 and 40 days.
    today = datetime.now(UTC).date()
    moved = {"testosterone": 1, "apomorphine": 8, "naltrexone": 40}
    engine = sa.create_engine(empty_url)
    with engine.begin() as conn:
        for key, back in moved.items():
            when = datetime.now(UTC) - timedelta(days=back)
            if empty_url.startswith("sqlite"):
                value: object = when.strftime("%Y-%m-%d %H:%M:%S")
            else:
                value = when
            conn.execute(
                sa.text("UPDATE compounds SET created_at = :t WHERE id = :i"),
                {"t": value, "i": ids[key]},
            )
    engine.dispose()
    stored = {k: store.get(i, url=empty_url) for k, i in ids.items()}

    daily = store.trends(empty_url, every="day", periods=10, today=today)
    assert [d["start"] for d in daily] == [
        (today - timedelta(days=9 - n)).isoformat() for n in range(10)
    ]
    per_day = {d["start"]: d for d in daily}
    assert stored["naltrexone"].created_at.date().isoformat() not in per_day
    assert daily[-1]["stored"] == len(demo) - len(moved)
    assert daily[0]["total"] == 1 + daily[0]["stored"]  # naltrexone (40 days ago) came before
    assert daily[-1]["total"] == len(demo)
    assert sum(d["stored"] for d in daily) == len(demo) - 1
    yesterday = per_day[(today - timedelta(days=1)).isoformat()]
    testosterone = stored["testosterone"]
    assert yesterday["stored"] == 1
    assert yesterday["classes"] == {testosterone.best_class or store.UNSCORED: 1}
    assert yesterday["mean_score"] == pytest.approx(testosterone.best_score)

    weeks = store.trends(empty_url, every="week", periods=8, today=today)
    monday = today - timedelta(days=today.weekday())
    assert weeks[-1]["start"] == monday.isoformat()
    assert all(date.fromisoformat(w["start"]).weekday() == 0 for w in weeks)
    expected_weeks: dict[str, int] = {}
    for compound in stored.values():
        day = compound.created_at.date()
        start = (day - timedelta(days=day.weekday())).isoformat()
        expected_weeks[start] = expected_weeks.get(start, 0) + 1
    for week in weeks:
        assert week["stored"] == expected_weeks.get(week["start"], 0), week
        assert sum(week["classes"].values()) == week["stored"]
    assert weeks[-1]["total"] == len(demo)
    with pytest.raises(ValueError, match="every='month'"):
        store.trends(empty_url, every="month")
