"""The Analytics page: its aggregates against the reports they come from, on SQLite and on
PostgreSQL (the same numbers, each user's own), and its widgets."""

from __future__ import annotations

import pandas as pd
import pytest

from impulator import store
from impulator.chem import FLAG_NAMES
from impulator.pipeline import Report
from impulator.ui import show_analytics
from impulator.ui._analytics import (
    FLAG_COLUMNS,
    TARGET_COLUMNS,
    AnalyticsPage,
    analytics_figures,
    flag_prevalence,
    summarize_analytics,
    target_summary,
)
from tests.postgres import PostgresCluster
from tests.ui.widgets import find, new_platform, one


def _expected_targets(demo: dict[str, Report]) -> pd.DataFrame:
    """What target_summary must say, computed from the reports themselves."""
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
    return grouped.reset_index(drop=True)


def _expected_flags(demo: dict[str, Report]) -> dict[str, int]:
    """Flagged structures: one per unique InChIKey of each report's rows."""
    counts = dict.fromkeys(FLAG_NAMES, 0)
    for report in demo.values():
        if report.rows.empty:
            continue
        unique = report.rows.dropna(subset=["inchikey"]).drop_duplicates("inchikey")
        for flag in FLAG_NAMES:
            counts[flag] += int(unique[flag].fillna(False).astype(bool).sum())
    return counts


def test_targets_and_flags_match_the_reports(url: str, demo: dict[str, Report]) -> None:
    for report in demo.values():
        store.save(report, url=url)
    targets = target_summary(url)
    assert list(targets.columns) == list(TARGET_COLUMNS)
    expected = _expected_targets(demo)
    pd.testing.assert_frame_equal(targets, expected[list(TARGET_COLUMNS)], check_dtype=False)
    assert targets.iloc[0]["target_chembl_id"] == "CHEMBL237"  # most compounds, then most rows
    assert len(target_summary(url, limit=2)) == 2

    flags = flag_prevalence(url)
    assert list(flags.columns) == list(FLAG_COLUMNS)
    assert flags["flag"].tolist() == list(FLAG_NAMES)
    assert dict(zip(flags["flag"], flags["flagged"], strict=True)) == _expected_flags(demo)
    structures = sum(
        r.rows["inchikey"].dropna().nunique() for r in demo.values() if not r.rows.empty
    )
    assert (flags["structures"] == structures).all()
    assert flags["share"].between(0, 1).all()

    summary = summarize_analytics(url)
    assert summary.numbers["total_compounds"] == len(demo)
    assert summary.flagged_compounds == sum(
        1 for c in store.list_compounds(url=url).items["n_flags"] if c > 0
    )
    figures = analytics_figures(summary)
    assert sorted(figures) == ["classes", "flags", "scores", "trends"]
    assert sum(figures["scores"].data[0].y) == 4  # four scored compounds
    assert figures["trends"].data[0].y[-1] == 5  # all stored today
    classes = figures["classes"]
    assert dict(zip(classes.data[0].x, classes.data[0].y, strict=True)) == {
        "Moderate IMP": 1,
        "Weak IMP": 2,
        "Not IMP": 1,
        "Unscored": 1,
    }


def test_the_page_shows_figures_tiles_and_targets(url: str, demo: dict[str, Report]) -> None:
    page = AnalyticsPage(url)
    assert ">0<" in one(page.widget, "impulator-tile-compounds").value
    assert "No scored rows yet" in page.targets.value
    assert len(find(page.widget, "impulator-analytics-figure")) == 4
    first = dict(page.outputs)
    assert page.figures["classes"].layout.annotations[0].text == "Nothing to show yet"
    for report in demo.values():
        store.save(report, url=url)
    page.refresh_button.click()
    assert page.outputs == first  # redrawn in place: the same widgets
    shown = page.outputs["scores"].outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert sum(shown["data"][0]["y"]) == 4 and not page.figures["scores"].layout.annotations
    assert ">5<" in one(page.widget, "impulator-tile-compounds").value
    assert "Kappa opioid receptor" in page.targets.value
    assert sum(page.figures["scores"].data[0].y) == 4
    assert "updated" in page.refreshed.value
    widget = show_analytics(url)
    assert "impulator-page-analytics" in widget._dom_classes
    one(widget, "impulator-nav-bar")


def test_on_a_voila_page_with_plotlys_code_served_the_figures_are_widgets(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOILA_REQUEST_URL", "http://127.0.0.1/voila/render/Analytics.ipynb")
    monkeypatch.setenv("IMPULATOR_PLOTLY_WIDGET", "labextensions/widgetbundle.js?v=1")
    page = AnalyticsPage(url)
    first = dict(page.widgets)
    assert list(first) == ["scores", "classes", "flags", "trends"]
    for name, widget in first.items():
        (shown,) = page.outputs[name].outputs
        view = shown["data"]["application/vnd.jupyter.widget-view+json"]
        assert view["model_id"] == widget.model_id
        assert "widgetbundle.js" in widget._esm  # imports the served file
    assert first["classes"].layout.annotations[0].text == "Nothing to show yet"
    page.refresh()
    assert all(page.widgets[n] is not first[n] for n in first)  # new figures, old ones closed
    assert all(widget.comm is None for widget in first.values())


def test_an_unreachable_database_is_a_sentence() -> None:
    page = AnalyticsPage("postgresql+psycopg://nobody@127.0.0.1:1/impulator")
    assert "The results database is unavailable" in page.error.value
    page.refresh_button.click()  # never raises


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster) -> dict[str, str]:
    return new_platform(
        postgres,
        "impulator_ui_analytics",
        {
            "alice": ("an_alice", "chemist", ["an_team"]),
            "bob": ("an_bob", "chemist", ["an_team"]),
        },
    )


def test_postgresql_gives_the_same_numbers_for_each_users_own(
    platform: dict[str, str], demo: dict[str, Report], url: str
) -> None:
    for report in demo.values():
        store.save(report, url=platform["alice"])
        store.save(report, url=url)
    alice = summarize_analytics(platform["alice"])
    pd.testing.assert_frame_equal(alice.targets, target_summary(url))
    pd.testing.assert_frame_equal(alice.flags, flag_prevalence(url))
    bob = summarize_analytics(platform["bob"])
    assert bob.numbers["total_compounds"] == 0 and bob.targets.empty
    assert bob.flags["structures"].eq(0).all() and bob.flags["share"].eq(0).all()
    shared = (
        store.list_compounds({"target": "CHEMBL1862"}, url=platform["alice"]).items["id"].iloc[0]
    )
    store.share(int(shared), "an_team", url=platform["alice"])
    bob = summarize_analytics(platform["bob"])
    assert bob.targets["target_chembl_id"].tolist() == ["CHEMBL1862", "CHEMBL2971"]
    assert bob.numbers["total_compounds"] == 1
