"""The Home page: its numbers against a real store, its widgets, and the quick analysis.

SQLite for the numbers and the page; PostgreSQL with row-level security for what each user
sees and what a viewer is told.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from impulator import jobs, store
from impulator.pipeline import Report
from impulator.store import _session
from impulator.ui import HomePage, HomeSummary, show_home, summarize_home
from impulator.ui._home import (
    JOB_COLUMNS,
    RECENT_COMPOUND_COLUMNS,
    VIEWER_MESSAGE,
    describe_error,
)
from tests.conftest import DASATINIB
from tests.postgres import PostgresCluster
from tests.ui.widgets import new_platform, one, sql

# -- the numbers -----------------------------------------------------------------------------


def test_an_empty_database_gives_zeros_and_empty_frames(url: str) -> None:
    home = summarize_home(url)
    assert isinstance(home, HomeSummary)
    assert (home.compounds, home.strong_or_better, home.running_jobs, home.processed_today) == (
        0,
        0,
        0,
        0,
    )
    assert home.user == _session.local_user()
    assert home.recent_jobs.empty and list(home.recent_jobs.columns) == list(JOB_COLUMNS)
    assert home.recent_compounds.empty
    assert list(home.recent_compounds.columns) == list(RECENT_COMPOUND_COLUMNS)


def test_tiles_and_recent_compounds(url: str, demo: dict[str, Report]) -> None:
    keys = ["naltrexone", "dasatinib", "testosterone", "apomorphine", "nothing"]
    ids = {key: store.save(demo[key], url=url) for key in keys}
    # The demo fixture has no strong IMP: two compounds are given one, as if scored so.
    for key, label in (("dasatinib", "Strong IMP"), ("testosterone", "Exceptional IMP")):
        sql(url, "UPDATE compounds SET best_class = :c WHERE id = :id", c=label, id=ids[key])
    sql(
        url,
        "UPDATE compounds SET best_class = 'Moderate IMP' WHERE id = :id",
        id=ids["apomorphine"],
    )
    # Naltrexone was stored three days ago: not "today", and the oldest.
    old = datetime.now(UTC) - timedelta(days=3)
    sql(
        url,
        "UPDATE compounds SET created_at = :t WHERE id = :id",
        t=old.strftime("%Y-%m-%d %H:%M:%S"),
        id=ids["naltrexone"],
    )

    home = summarize_home(url)
    assert home.compounds == 5
    assert home.strong_or_better == 2
    assert home.processed_today == 4
    assert home.running_jobs == 0
    recent = home.recent_compounds
    newest_first = sorted((ids[k] for k in keys if k != "naltrexone"), reverse=True)
    assert recent["id"].tolist() == [*newest_first, ids["naltrexone"]]
    assert recent["created_at"].is_monotonic_decreasing
    dasatinib = recent.set_index("id").loc[ids["dasatinib"]]
    assert dasatinib["chembl_id"] == "CHEMBL1421"
    assert dasatinib["n_rows"] == len(demo["dasatinib"].rows)
    assert dasatinib["best_class"] == "Strong IMP"
    nothing = recent.set_index("id").loc[ids["nothing"]]
    assert pd.isna(nothing["best_class"]) and nothing["n_rows"] == 0
    assert dasatinib["best_score"] == pytest.approx(demo["dasatinib"].summary["best_score"])

    assert summarize_home(url, limit=2).recent_compounds["id"].tolist() == newest_first[:2]
    with pytest.raises(ValueError, match="at least 1"):
        summarize_home(url, limit=0)


def _three_jobs(url: str) -> dict[str, int]:
    """A queued batch, one being scored (one of three compounds done), a cancelled one."""
    queued = jobs.submit(["CCO", "C1CC"], url=url)  # the second row is invalid
    scoring = jobs.submit(["CCO", "CCN", "CCC"], url=url)
    cancelled = jobs.submit(["c1ccccc1O"], url=url)
    cancelled.cancel()
    sql(url, "UPDATE jobs SET status = 'processing', progress = 33 WHERE id = :id", id=scoring.id)
    child = sql(url, "SELECT min(id) FROM jobs WHERE parent_job_id = :id", id=scoring.id)[0][0]
    sql(url, "UPDATE jobs SET status = 'completed' WHERE id = :id", id=child)
    return {"queued": queued.id, "scoring": scoring.id, "cancelled": cancelled.id}


def test_running_jobs_and_recent_jobs(url: str) -> None:
    ids = _three_jobs(url)
    home = summarize_home(url)
    assert home.running_jobs == 2
    recent = home.recent_jobs.set_index("id")
    assert home.recent_jobs["id"].tolist() == [ids["cancelled"], ids["scoring"], ids["queued"]]
    assert recent.loc[ids["queued"], ["status", "done", "total"]].tolist() == ["queued", 1, 2]
    assert recent.loc[ids["scoring"], ["status", "done", "total", "progress"]].tolist() == [
        "processing",
        1,
        3,
        33,
    ]
    assert recent.loc[ids["cancelled"], ["status", "done", "total"]].tolist() == [
        "cancelled",
        1,
        1,
    ]
    assert recent["source"].eq("list").all()
    assert str(home.recent_jobs["created_at"].dt.tz) == "UTC"


# -- the page --------------------------------------------------------------------------------


def test_the_page_has_its_parts_and_escapes_what_it_shows(
    url: str, demo: dict[str, Report]
) -> None:
    store.save(demo["dasatinib"], "<script>alert('x')</script>", url=url)
    _three_jobs(url)
    page = show_home(url)
    assert "impulator-home" in page._dom_classes
    tiles = one(page, "impulator-home-tiles")
    assert len(tiles.children) == 4 and all(
        "impulator-tile" in t._dom_classes for t in tiles.children
    )
    assert ">1<" in one(page, "impulator-tile-compounds").value
    assert ">2<" in one(page, "impulator-tile-running").value
    for css in (
        "impulator-quick-input",
        "impulator-quick-run",
        "impulator-quick-status",
        "impulator-refresh",
        "impulator-header",
    ):
        one(page, css)
    assert one(page, "impulator-quick-run").description == "Analyze and save"
    assert one(page, "impulator-header").value.count(_session.local_user()) == 1
    compounds = one(page, "impulator-recent-compounds").value
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in compounds
    assert "<script>" not in compounds and "CHEMBL1421" in compounds
    recent_jobs = one(page, "impulator-recent-jobs").value
    assert recent_jobs.count("<progress") == 2  # one bar per running job
    assert 'value="1" max="3"' in recent_jobs


def test_refresh_reads_the_numbers_again(url: str, demo: dict[str, Report]) -> None:
    page = HomePage(url)
    assert ">0<" in one(page.widget, "impulator-tile-compounds").value
    assert "No compounds stored yet" in page.compounds.value
    store.save(demo["naltrexone"], url=url)
    one(page.widget, "impulator-refresh").click()
    assert ">1<" in one(page.widget, "impulator-tile-compounds").value
    assert page.summary is not None and page.summary.compounds == 1


def test_an_unreachable_database_is_a_sentence_not_an_exception() -> None:
    page = HomePage("postgresql+psycopg://nobody@127.0.0.1:1/impulator")
    assert "The results database is unavailable" in page.error.value
    assert "impulator-status-error" in page.error.value
    assert "–" in one(page.widget, "impulator-tile-compounds").value
    page.refresh_button.click()  # and again, without raising
    assert "Not available." in page.compounds.value


def test_quick_analysis_saves_and_says_so(demo_env: Path, url: str) -> None:
    page = HomePage(url)
    page.input.value = DASATINIB
    page.run.click()
    status = page.status.value
    assert "impulator-status-ok" in status, status
    stored = store.list_compounds(url=url).items
    assert len(stored) == 1
    compound_id = int(stored["id"].iloc[0])
    assert f"as compound {compound_id}: best class {stored['best_class'].iloc[0]}" in status
    assert not page.run.disabled and not page.input.disabled
    assert page.busy.layout.display == "none"
    assert ">1<" in one(page.widget, "impulator-tile-compounds").value, status  # refreshed
    assert stored["name"].iloc[0] in page.compounds.value, status

    page.run.click()  # the same analysis again: not stored twice
    assert "Already stored with the same settings" in page.status.value
    assert store.list_compounds(url=url).total == 1


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("C1CC", "Not a structure: cannot read 'C1CC': ring bond 1 is opened but never closed"),
        ("notamolecule", "nor is it a name or synonym"),
        ("CHEMBL999999999", "Unknown compound: "),
        ("   ", "Type a SMILES, ChEMBL id or compound name first."),
    ],
)
def test_quick_analysis_of_bad_input_says_why(
    demo_env: Path, url: str, query: str, words: str
) -> None:
    page = HomePage(url)
    page.input.value = query
    page.run.click()
    assert "impulator-status-error" in page.status.value
    assert words.replace("'", "&#x27;") in page.status.value, page.status.value
    assert not page.run.disabled and page.busy.layout.display == "none"
    assert store.list_compounds(url=url).total == 0


def test_no_neighbours_stores_nothing(demo_env: Path, url: str) -> None:
    page = HomePage(url)
    result = page.analyze("CCCCCCCCCCCCCCCCCCCC(=O)O")
    assert result is not None and result.compound_id is None
    assert "Nothing saved: no compound in demo" in page.status.value
    assert "reaches similarity 0.90" in page.status.value
    assert store.list_compounds(url=url).total == 0


def test_a_callback_never_raises(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from impulator.ui import _home

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk <full>")

    page = HomePage(url)
    monkeypatch.setattr(_home, "quick_analysis", broken)
    page.input.value = "CCO"
    page.run.click()
    assert "Something went wrong (RuntimeError): disk &lt;full&gt;." in page.status.value
    assert not page.run.disabled
    monkeypatch.setattr(_home, "summarize_home", broken)
    page.refresh_button.click()
    assert "Something went wrong" in page.error.value


# -- PostgreSQL: each user's own view, and a viewer ------------------------------------------


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster) -> dict[str, str]:
    return new_platform(
        postgres,
        "impulator_ui_home",
        {
            "alice": ("home_alice", "chemist", ["home_team"]),
            "bob": ("home_bob", "chemist", ["home_rivals"]),
            "vera": ("home_vera", "viewer", ["home_rivals"]),
        },
    )


def test_each_user_counts_only_what_the_database_shows_them(
    platform: dict[str, str], demo: dict[str, Report]
) -> None:
    alices = [store.save(demo[k], url=platform["alice"]) for k in ("dasatinib", "apomorphine")]
    jobs.submit(["CCO"], url=platform["alice"])
    alice = summarize_home(platform["alice"])
    assert alice.user == "home_alice"
    assert (alice.compounds, alice.processed_today, alice.running_jobs) == (2, 2, 1)
    assert sorted(alice.recent_compounds["id"]) == sorted(alices)

    bob = summarize_home(platform["bob"])
    assert bob.user == "home_bob"
    assert (bob.compounds, bob.strong_or_better, bob.processed_today, bob.running_jobs) == (
        0,
        0,
        0,
        0,
    )
    assert bob.recent_compounds.empty and bob.recent_jobs.empty
    page = show_home(platform["bob"])
    assert "home_bob" in one(page, "impulator-header").value
    assert "DASATINIB" not in one(page, "impulator-recent-compounds").value


def test_a_viewer_is_told_in_one_sentence(
    demo_env: Path, platform: dict[str, str], demo: dict[str, Report]
) -> None:
    page = HomePage(platform["vera"])
    assert page.error.value == ""  # a viewer reads the page
    page.input.value = DASATINIB
    page.run.click()
    assert VIEWER_MESSAGE in page.status.value
    assert "impulator-status-error" in page.status.value
    assert not page.run.disabled
    # The database's own refusal (not the check before analysing) reads the same.
    with pytest.raises(store.PermissionDenied) as info:
        store.save(demo["naltrexone"], url=platform["vera"])
    assert describe_error(info.value) == VIEWER_MESSAGE
    assert summarize_home(platform["vera"]).compounds == 0


def test_a_chemist_saves_from_the_page_on_postgresql(
    demo_env: Path, platform: dict[str, str]
) -> None:
    carol = store.provision_user("home_carol", "chemist", url=platform["admin"])
    page = HomePage(carol)
    result = page.analyze(DASATINIB)
    assert result is not None and result.compound_id is not None, page.status.value
    assert "impulator-status-ok" in page.status.value
    assert store.get(result.compound_id, url=carol).owner == "home_carol"
    assert page.summary is not None and page.summary.compounds == 1
    assert (
        summarize_home(platform["alice"]).recent_compounds["id"].tolist().count(result.compound_id)
        == 0
    )
