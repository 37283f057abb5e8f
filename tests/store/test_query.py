"""``store.list``, ``search``, ``share``/``unshare`` and ``analytics`` on SQLite and PostgreSQL.

A module-wide database per backend holds 31 compounds: five real analyses (naltrexone,
dasatinib, testosterone under imp-4, apomorphine, an empty report), 25 copies of naltrexone
saved under ``keep`` with other names, and one compound of another owner.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import store
from impulator.pipeline import Report
from impulator.store import _analytics, _search, _session
from tests.postgres import PostgresCluster
from tests.store.reports import reports

_databases = itertools.count()
COPIES = 25
PHENOL = "c1ccccc1O"


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    _session.dispose()


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, Report]:
    return reports(demo_dir)


def _run(url: str, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, demo_dir: Path
) -> dict[str, Any]:
    """The populated database: its URL and the ids of what was saved."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('query') / 'impulator.sqlite'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        url = cluster.create_database(f"impulator_query_{next(_databases)}")
        store.upgrade(url)
    demo = reports(demo_dir)
    ids = {
        key: store.save(demo[key], url=url)
        for key in ("naltrexone", "dasatinib", "testosterone", "apomorphine")
    }
    ids["nothing"] = store.save(demo["nothing"], "no neighbours", url=url)
    copies = [
        store.save(demo["naltrexone"], f"copy {i:02d}", on_duplicate="keep", url=url)
        for i in range(COPIES)
    ]
    _run(
        url,
        "INSERT INTO compounds (owner, query, name, provenance, summary) "
        "VALUES ('someone_else', 'CCO', 'outsider', '{}', '{}')",
    )
    _session.dispose()
    return {"url": url, "ids": ids, "copies": copies}


def _everything(db: dict[str, Any]) -> pd.DataFrame:
    page = store.list(limit=1000, url=db["url"])
    assert page.total == len(page.items) == 5 + COPIES + 1
    return page.items


# -- get_many --------------------------------------------------------------------------------


def _same(a: store.StoredCompound, b: store.StoredCompound) -> None:
    assert {k: v for k, v in vars(a).items() if k != "rows"} == {
        k: v for k, v in vars(b).items() if k != "rows"
    }
    pd.testing.assert_frame_equal(a.rows, b.rows)


def test_get_many_reads_what_get_reads_in_the_order_asked(db: dict[str, Any]) -> None:
    url, ids = db["url"], db["ids"]
    asked = [ids["apomorphine"], 999_999, *db["copies"][:3], ids["nothing"], ids["dasatinib"]]
    many = store.get_many([*asked, ids["apomorphine"]], url=url)
    assert [c.id for c in many] == [i for i in asked if i != 999_999]
    for compound in many:
        _same(compound, store.get(compound.id, url=url))
    assert any(len(c.rows) for c in many) and any(c.flags for c in many)
    assert store.get_many([], url=url) == []
    assert store.get_many([999_999], url=url) == []


# -- list ------------------------------------------------------------------------------------


def test_pages_cover_every_compound_once_newest_first(db: dict[str, Any]) -> None:
    rows = _run(db["url"], "SELECT id, created_at FROM compounds")
    expected = [i for i, _ in sorted(rows, key=lambda r: (str(r[1]), r[0]), reverse=True)]
    seen: list[int] = []
    for number in itertools.count(1):
        page = store.list(page=number, limit=7, url=db["url"])
        assert (page.total, page.pages, page.limit, page.page) == (31, 5, 7, number)
        if page.items.empty:
            break
        assert list(page.items.columns) == list(store._query.LIST_COLUMNS)
        seen.extend(page.items["id"].tolist())
    assert number == 6 and seen == expected


def test_a_page_past_the_last_is_empty_unless_clamped(db: dict[str, Any]) -> None:
    url = db["url"]
    past = store.list_compounds(page=9, limit=7, url=url)
    assert (past.page, past.pages, past.items.empty) == (9, 5, True)
    last = store.list_compounds(page=5, limit=7, url=url)
    clamped = store.list_compounds(page=9, limit=7, clamp=True, url=url)
    assert (clamped.page, clamped.pages, clamped.total) == (5, 5, 31)
    assert clamped.items["id"].tolist() == last.items["id"].tolist() and len(last.items) == 3
    within = store.list_compounds(page=2, limit=7, clamp=True, url=url)
    assert within.page == 2 and len(within.items) == 7
    nothing = store.list_compounds({"text": "no such compound"}, page=4, clamp=True, url=url)
    assert (nothing.page, nothing.pages, nothing.total, nothing.items.empty) == (4, 0, 0, True)


def test_sort_keys(db: dict[str, Any]) -> None:
    url = db["url"]
    names = store.list(sort="name", limit=100, url=url).items["name"].tolist()
    drugs = [n for n in names if n.isupper()]
    assert drugs == ["APOMORPHINE", "DASATINIB", "NALTREXONE", "TESTOSTERONE"]
    scores = store.list(sort="-best_score", limit=100, url=url).items["best_score"]
    present = scores.dropna().tolist()
    assert present == sorted(present, reverse=True) and scores.iloc[-2:].isna().all()
    mw = store.list(sort="mw", limit=100, url=url).items["mw"].dropna().tolist()
    assert mw == sorted(mw)
    n_rows = store.list(sort="-n_rows", limit=100, url=url).items["n_rows"].tolist()
    assert n_rows == sorted(n_rows, reverse=True)
    with pytest.raises(ValueError, match="created_at, name, best_score, mw, n_rows"):
        store.list(sort="-colour", url=url)
    with pytest.raises(ValueError, match="at least 1"):
        store.list(page=0, url=url)


@pytest.mark.parametrize(
    ("given", "keep"),
    [
        ({"min_score": 0.5}, lambda r: r.best_score >= 0.5),
        ({"max_score": 0.4}, lambda r: r.best_score <= 0.4),
        ({"classes": ["Moderate IMP"]}, lambda r: r.best_class == "Moderate IMP"),
        ({"classes": "Weak IMP"}, lambda r: r.best_class == "Weak IMP"),
        ({"has_flags": True}, lambda r: r.n_flags > 0),
        ({"has_flags": False}, lambda r: r.n_flags == 0),
        ({"min_mw": 300, "max_mw": 400}, lambda r: 300 <= r.mw <= 400),
        ({"model": "imp-4"}, lambda r: r.model_id == "imp-4"),
        (
            {"min_score": 0.3, "model": "oqpla-2"},
            lambda r: r.best_score >= 0.3 and r.model_id == "oqpla-2",
        ),
    ],
)
def test_filters_agree_with_the_full_listing(
    db: dict[str, Any], given: dict[str, Any], keep: Any
) -> None:
    everything = _everything(db)
    expected = {int(r.id) for r in everything.itertuples() if _true(keep, r)}
    page = store.list(given, limit=100, url=db["url"])
    assert set(page.items["id"]) == expected and page.total == len(expected)
    assert expected  # every filter of the table selects something


def _true(keep: Any, row: Any) -> bool:
    try:
        return bool(keep(row))
    except TypeError:  # a None compared with a number
        return False


def test_target_text_and_mine_filters(db: dict[str, Any]) -> None:
    url, ids = db["url"], db["ids"]
    assert set(store.list({"target": "CHEMBL1862"}, url=url).items["id"]) == {ids["dasatinib"]}
    assert set(store.list({"text": "dasat"}, url=url).items["id"]) == {ids["dasatinib"]}
    phenols = store.list({"text": PHENOL}, limit=100, url=url)
    assert set(phenols.items["id"]) == {ids["naltrexone"], ids["apomorphine"], *db["copies"]}
    assert store.list(mine=True, url=url).total == 30
    assert "outsider" not in set(store.list(mine=True, limit=100, url=url).items["name"])
    with pytest.raises(ValueError, match="unknown filter 'colour'"):
        store.list({"colour": "blue"}, url=url)


# -- search ----------------------------------------------------------------------------------


def test_search_by_name_chembl_id_and_inchikey(db: dict[str, Any], demo: dict[str, Report]) -> None:
    url, ids, copies = db["url"], db["ids"], db["copies"]
    found = store.search("NALTrex", url=url)
    assert found["id"].tolist() == [ids["naltrexone"]] and found["matched_by"].tolist() == ["name"]

    by_id = store.search("chembl19019", limit=100, url=url)
    assert set(by_id["id"]) == {ids["naltrexone"], *copies}
    assert set(by_id["matched_by"]) == {"chembl_id"}
    # A molecule among the rows (butorphanol is a neighbour of naltrexone).
    assert "CHEMBL33986" in set(demo["naltrexone"].rows["molecule_chembl_id"])
    assert set(store.search("CHEMBL33986", limit=100, url=url)["id"]) == set(by_id["id"])
    newest = store.search("CHEMBL19019", limit=5, url=url)
    assert newest["id"].tolist() == sorted(copies, reverse=True)[:5]

    structure = demo["testosterone"].structure
    assert structure is not None
    full = store.search(structure.inchikey, url=url)
    assert full["id"].tolist() == [ids["testosterone"]]
    assert full["matched_by"].tolist() == ["inchikey"]
    block = store.search(structure.inchikey[:14], url=url)
    assert block["id"].tolist() == [ids["testosterone"]]
    assert block["matched_by"].tolist() == ["inchikey_block"]
    with pytest.raises(ValueError, match="search text is empty"):
        store.search("  ", url=url)


def test_search_by_substructure(db: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    url, ids, copies = db["url"], db["ids"], db["copies"]
    found = store.search(PHENOL, limit=100, url=url)
    assert set(found["id"]) == {ids["naltrexone"], ids["apomorphine"], *copies}
    assert set(found["matched_by"]) == {"substructure"}
    assert "note" not in found.attrs
    catechol = store.search("c1ccc([OH])c([OH])c1", url=url)
    assert catechol["id"].tolist() == [ids["apomorphine"]]
    assert store.search("[#7]", limit=3, url=url)["id"].tolist() == sorted(copies)[-3:][::-1]

    monkeypatch.setattr(_search, "SUBSTRUCTURE_SCAN_LIMIT", 3)
    monkeypatch.setattr(_search, "_SCAN_PAGE", 2)
    capped = store.search("[#6]", url=url)
    assert len(capped) == 3
    assert "stopped after the newest 3 compounds" in capped.attrs["note"]


def test_search_paths_are_documented() -> None:
    assert _search.search_paths("IMPDEMO-000012") == ("chembl_id",)
    assert _search.search_paths("team notes") == ("name",)
    assert _search.search_paths("Oc1ccccc1") == ("name", "substructure")


# -- share -----------------------------------------------------------------------------------


def test_share_and_unshare(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    compound_id = store.save(demo["dasatinib"], url=empty_url)
    _run(empty_url, "INSERT INTO groups (name) VALUES ('team'), ('other')")
    store.share(compound_id, "team", url=empty_url)
    store.share(compound_id, "team", url=empty_url)  # again: nothing changes
    store.share(compound_id, "other", url=empty_url)
    assert store.get(compound_id, url=empty_url).shared_with == ["other", "team"]
    # Replacing the analysis keeps its id and its shares.
    assert store.save(demo["dasatinib"], on_duplicate="replace", url=empty_url) == compound_id
    assert store.get(compound_id, url=empty_url).shared_with == ["other", "team"]
    store.unshare(compound_id, "other", url=empty_url)
    store.unshare(compound_id, "other", url=empty_url)
    assert store.get(compound_id, url=empty_url).shared_with == ["team"]
    actions = _run(
        empty_url, "SELECT action, details FROM audit_log WHERE action LIKE '%share' ORDER BY id"
    )
    assert [a for a, _ in actions] == ["share", "share", "unshare"]
    with pytest.raises(ValueError, match="no group named 'nope'"):
        store.share(compound_id, "nope", url=empty_url)
    with pytest.raises(store.CompoundNotFound):
        store.share(compound_id + 100, "team", url=empty_url)
    store.delete(compound_id, url=empty_url)
    assert _run(empty_url, "SELECT count(*) FROM compound_shares")[0][0] == 0


# -- analytics -------------------------------------------------------------------------------


def test_analytics_match_hand_computed_numbers(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
        shift = (
            "UPDATE compounds SET created_at = created_at - interval '{days} days' WHERE id = :i"
        )
    else:
        shift = (
            "UPDATE compounds SET created_at = datetime(created_at, '-{days} days') WHERE id = :i"
        )
    ids = {k: store.save(demo[k], url=empty_url) for k in demo}
    _run(empty_url, shift.format(days=2), i=ids["testosterone"])
    _run(empty_url, shift.format(days=40), i=ids["apomorphine"])
    stored = [store.get(i, url=empty_url) for i in ids.values()]
    got = store.analytics(empty_url)

    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    scores = [c.best_score for c in stored if c.best_score is not None]
    assert got["total_compounds"] == 5
    assert got["strong_imps_or_better"] == sum(
        c.best_class in ("Strong IMP", "Exceptional IMP") for c in stored
    )
    assert got["processed_today"] == sum(c.created_at >= midnight for c in stored) == 3
    assert got["mean_score"] == pytest.approx(sum(scores) / len(scores))
    bins = [0] * 10
    for s in scores:
        bins[min(math.floor(s * 10), 9)] += 1
    assert [b["count"] for b in got["score_distribution"]] == bins
    assert got["score_distribution"][0] == {"lower": 0.0, "upper": 0.1, "count": bins[0]}
    classes: dict[str, int] = {}
    for c in stored:
        key = c.best_class or _analytics.UNSCORED
        classes[key] = classes.get(key, 0) + 1
    assert got["class_counts"] == classes

    trends = got["trends"]
    assert len(trends) == 30 and trends[-1]["day"] == midnight.date().isoformat()
    expected: dict[str, list[float | None]] = {}
    for c in stored:
        if c.created_at >= midnight - timedelta(days=29):
            expected.setdefault(c.created_at.date().isoformat(), []).append(c.best_score)
    for day in trends:
        values = expected.get(day["day"], [])
        assert day["count"] == len(values), day
        present = [v for v in values if v is not None]
        if present:
            assert day["mean_score"] == pytest.approx(sum(present) / len(present))
        else:
            assert day["mean_score"] is None
    assert sum(d["count"] for d in trends) == 4  # the compound of 40 days ago is out


def test_analytics_of_nothing(tmp_path: Path) -> None:
    got = store.analytics(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert got["total_compounds"] == got["processed_today"] == 0
    assert got["class_counts"] == {} and got["mean_score"] is None
    assert sum(b["count"] for b in got["score_distribution"]) == 0
