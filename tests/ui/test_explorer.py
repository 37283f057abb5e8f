"""The Explorer: pages from the store with depictions, filters, search, selection, sharing,
deletion; on SQLite for the page's logic and on PostgreSQL for what each user may do."""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd
import pytest

from impulator import chem, store
from impulator.pipeline import Report
from impulator.ui import _explorer_data, show_explorer
from impulator.ui._explorer import ExplorerPage
from impulator.ui._explorer_actions import READ_ONLY
from impulator.ui._explorer_data import (
    SORT_OPTIONS,
    ExplorerFilter,
    depiction_svg,
    load_page,
    user_groups,
)
from tests.postgres import PostgresCluster
from tests.ui.widgets import find, new_platform, one

SMILES = ("CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "Oc1ccccc1O")


def _many(url: str, n: int) -> list[int]:
    """``n`` compounds named c00, c01, ... (five structures in turn, no rows), oldest first."""
    return [
        store.save(Report(s, chem.standardize(s), pd.DataFrame()), f"c{i:02d}", "keep", url=url)
        for i, s in enumerate(itertools.islice(itertools.cycle(SMILES), n))
    ]


def _names(page: ExplorerPage) -> list[str]:
    assert page.data is not None
    return [str(n) for n in page.data.page.items["name"]]


# -- data ------------------------------------------------------------------------------------


def test_filters_become_exactly_store_filters() -> None:
    assert ExplorerFilter().to_store() == {}
    full = ExplorerFilter(0.2, 0.8, ("Weak IMP",), False, 100, 500, " chembl237 ", "CCO")
    assert full.to_store() == {
        "min_score": 0.2,
        "max_score": 0.8,
        "classes": ["Weak IMP"],
        "has_flags": False,
        "min_mw": 100.0,
        "max_mw": 500.0,
        "target": "CHEMBL237",
        "text": "CCO",
    }
    assert {key.lstrip("-") for _, key in SORT_OPTIONS} <= set(store._query.SORT_KEYS)


def test_a_page_has_one_depiction_per_row_drawn_once(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _many(url, 12)
    drawn: list[str] = []
    real = _explorer_data._draw
    monkeypatch.setattr(_explorer_data, "_draw", lambda s: drawn.append(s) or real(s))
    monkeypatch.setattr(_explorer_data, "_depictions", type(_explorer_data._depictions)())
    first = load_page(limit=5, url=url)
    assert first.page.total == 12 and first.page.pages == 3 and len(first.depictions) == 5
    assert all(svg.startswith("<svg") and "<?xml" not in svg for svg in first.depictions)
    assert len(drawn) == 5  # five distinct structures on the page: drawn once each
    load_page(page=2, limit=5, url=url)
    load_page(page=1, limit=5, url=url)
    assert len(drawn) == 5  # every structure of the other pages is cached by InChIKey
    assert load_page(page=9, limit=5, url=url).page.page == 3  # past the end: the last page
    with pytest.raises(ValueError, match="cannot sort by"):
        load_page(sort="-owner", url=url)
    assert depiction_svg("C1CC") == "" and depiction_svg("") == ""


def test_filters_and_search_on_real_reports(url: str, demo: dict[str, Report]) -> None:
    ids = {key: store.save(report, url=url) for key, report in demo.items()}
    total = len(ids)

    def found(**wanted: Any) -> set[int]:
        return set(load_page(ExplorerFilter(**wanted), url=url).page.items["id"])

    assert len(found()) == total
    assert found(target="CHEMBL1862") == {ids["dasatinib"]}
    assert found(classes=("Moderate IMP",)) == {ids["naltrexone"]}
    assert found(min_score=0.45) == {ids["naltrexone"], ids["testosterone"]}
    assert ids["apomorphine"] in found(has_flags=True)
    assert ids["apomorphine"] not in found(has_flags=False)
    assert found(text="c1ccc([OH])c([OH])c1") == {ids["apomorphine"]}  # substructure: a catechol
    assert found(text="CHEMBL1421") == {ids["dasatinib"]}
    mw = store.get(ids["dasatinib"], url=url).mw
    assert mw is not None and found(min_mw=mw - 0.1, max_mw=mw + 0.1) == {ids["dasatinib"]}


# -- the page --------------------------------------------------------------------------------


def test_paging_sorting_and_page_size(url: str) -> None:
    _many(url, 30)
    page = ExplorerPage(url, limit=10)
    assert page.page_info.value == "page 1 of 3 (30 compounds)"
    assert _names(page)[:2] == ["c29", "c28"]  # newest first
    assert page.previous.disabled and not page.next.disabled
    assert len(find(page.widget, "impulator-explorer-row")) == 10
    page.next.click()
    page.next.click()
    assert page.page_info.value == "page 3 of 3 (30 compounds)" and page.next.disabled
    page.previous.click()
    assert page.page_info.value.startswith("page 2 of 3")
    page.sort.value = "name"
    assert page.page_info.value.startswith("page 1 of 3") and _names(page)[0] == "c00"
    page.page_size.value = 25
    assert page.page_info.value == "page 1 of 2 (30 compounds)"
    assert len(page.rows_box.children) == 25
    page.next.click()
    assert len(page.rows_box.children) == 5  # the row widgets are reused, not recreated
    assert len(page._row_pool) == 25
    cells = one(page.widget, "impulator-explorer-grid")
    assert 'href="Compound.ipynb?id=' in cells.children[1].children[0].children[1].value


def test_filter_widgets_search_and_bad_input(url: str, demo: dict[str, Report]) -> None:
    ids = {key: store.save(report, url=url) for key, report in demo.items()}
    page = ExplorerPage(url)
    assert page.page_info.value == "page 1 of 1 (5 compounds)"
    page.classes.value = "Moderate IMP"
    assert set(page.data.page.items["id"]) == {ids["naltrexone"]}  # type: ignore[union-attr]
    page.reset()
    page.target.value = "chembl1862"
    assert page.page_info.value == "page 1 of 1 (1 compound)"
    page.reset()
    page.score.value = (0.45, 1.0)
    assert page.page_info.value == "page 1 of 1 (2 compounds)"
    page.reset()
    page.search.value = "c1ccc([OH])c([OH])c1"
    assert set(page.data.page.items["id"]) == {ids["apomorphine"]}  # type: ignore[union-attr]
    page.search.value = "no such name"
    assert "No compound matches" in page.rows_box.children[0].value
    page.reset()
    page.min_mw.value = "heavy"
    assert "MW from must be a number, not &#x27;heavy&#x27;." in page.filter_status.value
    assert page.page_info.value == "page 1 of 1 (5 compounds)"  # the last good page stays
    page.min_mw.value = "400"
    assert page.filter_status.value == ""
    assert set(page.data.page.items["id"]) == {ids["dasatinib"]}  # type: ignore[union-attr]


def test_selection_survives_paging_and_delete_asks_first(url: str) -> None:
    ids = _many(url, 12)
    page = ExplorerPage(url, limit=10)
    boxes = find(page.widget, "impulator-explorer-select")
    boxes[0].value = True
    boxes[1].value = True
    assert page.selected == {ids[11], ids[10]}
    assert page.selection_info.value == "2 selected"
    assert 'href="Compound.ipynb?id=' in page.open_links.value
    page.next.click()
    assert not any(b.value for b in find(page.widget, "impulator-explorer-select"))
    page.select_page.click()
    assert len(page.selected) == 4
    page.previous.click()
    assert [b.value for b in find(page.widget, "impulator-explorer-select")][:3] == [
        True,
        True,
        False,
    ]
    page.clear_selection.click()
    assert page.selected == set() and "Nothing selected" in page.selection_info.value

    pdf = one(page.widget, "impulator-export-pdf")
    assert pdf.layout.display == "none"
    page.set_selection([ids[11]])
    assert pdf.layout.display is None  # the export panel follows the selection
    page.set_selection([ids[11], ids[0]])
    assert pdf.layout.display == "none"
    actions = page.actions
    actions.delete_button.click()
    assert actions.confirm_box.layout.display is None
    assert "Delete 2 compounds" in actions.confirm_text.value
    actions.cancel_button.click()
    assert (
        actions.confirm_box.layout.display == "none" and store.list_compounds(url=url).total == 12
    )
    actions.delete_button.click()
    actions.confirm_button.click()
    assert "Deleted 2 of 2." in actions.delete_status.value
    assert store.list_compounds(url=url).total == 10 and page.selected == set()
    assert page.page_info.value == "page 1 of 1 (10 compounds)"
    actions.confirm_button.click()  # nothing selected any more
    assert "Select compounds first." in actions.delete_status.value


def test_names_are_escaped_and_link_to_the_compound(url: str) -> None:
    compound = store.save(
        Report("CCO", chem.standardize("CCO"), pd.DataFrame()), "<img src=x onerror=1>", url=url
    )
    page = show_explorer(url)
    cells = find(page, "impulator-explorer-row-cells")[0].value
    assert "&lt;img src=x onerror=1&gt;" in cells and "<img" not in cells
    assert f'href="Compound.ipynb?id={compound}"' in cells and "<svg" in cells
    assert "impulator-page-explorer" in page._dom_classes
    one(page, "impulator-explorer-exports")
    one(page, "impulator-nav-bar")


def test_errors_are_sentences(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    down = ExplorerPage("postgresql+psycopg://nobody@127.0.0.1:1/impulator")
    assert "The results database is unavailable" in down.list_status.value
    down.next.click()  # never raises
    from impulator.ui import _explorer

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk <full>")

    page = ExplorerPage(url)
    monkeypatch.setattr(_explorer, "load_page", broken)
    page.search_button.click()
    assert "Something went wrong (RuntimeError): disk &lt;full&gt;." in page.list_status.value


# -- PostgreSQL: shared compounds, sharing, viewers ------------------------------------------


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster) -> dict[str, str]:
    return new_platform(
        postgres,
        "impulator_ui_explorer",
        {
            "alice": ("ex_alice", "chemist", ["ex_team", "ex_other"]),
            "bob": ("ex_bob", "chemist", ["ex_team"]),
            "vera": ("ex_vera", "viewer", ["ex_team"]),
        },
    )


def test_shared_compounds_sharing_and_refusals_on_postgresql(
    platform: dict[str, str], demo: dict[str, Report]
) -> None:
    alice, bob = platform["alice"], platform["bob"]
    assert user_groups(alice) == ["ex_other", "ex_team"] and user_groups(bob) == ["ex_team"]
    mine = store.save(demo["naltrexone"], url=alice)
    bobs = store.save(demo["dasatinib"], url=bob)
    store.share(bobs, "ex_team", url=bob)

    page = ExplorerPage(alice)
    assert page.page_info.value == "page 1 of 1 (2 compounds)"
    assert set(page.data.page.items["owner"]) == {"ex_alice", "ex_bob"}  # type: ignore[union-attr]
    page.mine.value = True
    assert page.page_info.value == "page 1 of 1 (1 compound)"
    page.mine.value = False

    actions = page.actions
    assert actions.group.options == ("ex_other", "ex_team")
    page.set_selection([mine, bobs])
    actions.group.value = "ex_team"
    actions.share_button.click()
    status = actions.share_status.value
    assert "Shared 1 of 2 with ex_team." in status and "impulator-status-error" in status
    assert "it belongs to ex_bob" in status
    assert store.get(mine, url=alice).shared_with == ["ex_team"]
    actions.delete_button.click()
    actions.confirm_button.click()
    assert "Deleted 1 of 2." in actions.delete_status.value
    assert page.page_info.value == "page 1 of 1 (1 compound)" and page.selected == {bobs}


def test_a_viewer_sees_no_share_or_delete_controls(
    platform: dict[str, str], demo: dict[str, Report]
) -> None:
    shared = store.save(demo["testosterone"], url=platform["bob"])
    store.share(shared, "ex_team", url=platform["bob"])
    page = show_explorer(platform["vera"])
    for css in (
        "impulator-explorer-share",
        "impulator-explorer-delete",
        "impulator-explorer-group",
        "impulator-explorer-confirm-delete",
    ):
        assert find(page, css) == []
    assert READ_ONLY in one(page, "impulator-explorer-read-only").value
    rows = find(page, "impulator-explorer-row-cells")
    assert any("ex_bob" in r.value for r in rows)
