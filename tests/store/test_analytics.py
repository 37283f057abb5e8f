"""``store.target_summary``, ``store.flag_prevalence`` and ``store.flagged_compounds`` against
the reports they come from, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

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
