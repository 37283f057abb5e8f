"""``pipeline.best_row``, ``best_rows``, ``best_class`` and ``default_name``: the one ranking of
a report's rows that the store, the exports and the pages share, on real analyses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impulator import pipeline
from impulator.pipeline import Report
from tests.store.reports import reports


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, Report]:
    return reports(demo_dir)


def test_the_best_row_of_real_reports(demo: dict[str, Report]) -> None:
    for key, report in demo.items():
        rows = report.rows
        scores = pd.to_numeric(rows.get("final_score"), errors="coerce")
        if rows.empty or scores.isna().all():
            assert pipeline.best_row(rows) is None and pipeline.best_class(rows) is None, key
            continue
        best = pipeline.best_row(rows)
        assert best is not None
        assert scores.iloc[best] == scores.max(), key
        assert (scores.iloc[:best] < scores.max()).all(), key  # the first of equals
        assert pipeline.best_class(rows) == rows["classification"].iloc[best]
        assert report.summary["best_score"] == pytest.approx(scores.max())

        ranked = pipeline.best_rows(rows)
        assert len(ranked) == len(rows) and set(ranked.index) == set(rows.index)
        ordered = pd.to_numeric(ranked["final_score"], errors="coerce").to_numpy(dtype=float)
        present = ordered[~np.isnan(ordered)]
        assert (np.diff(present) <= 0).all() and np.isnan(ordered[len(present) :]).all()
        assert ranked.iloc[0].equals(rows.iloc[best])
        assert len(pipeline.best_rows(rows, 3)) == min(3, len(rows))


def test_default_name_is_the_chembl_name_or_the_query(demo: dict[str, Report]) -> None:
    assert pipeline.default_name(demo["naltrexone"]) == "NALTREXONE"
    assert pipeline.default_name(demo["nothing"]) == demo["nothing"].query


def test_rows_without_scores() -> None:
    empty = pd.DataFrame()
    assert pipeline.best_row(empty) is None and pipeline.best_rows(empty).empty
    unscored = pd.DataFrame({"final_score": [None, None], "classification": ["a", "b"]})
    assert pipeline.best_row(unscored) is None and pipeline.best_class(unscored) is None
