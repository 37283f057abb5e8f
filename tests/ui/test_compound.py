"""The Compound page: its sections against real stored analyses, its callbacks, and what a
user who may not see a compound reads.

SQLite for the page itself; PostgreSQL with row-level security for "not found or not shared".
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from impulator import store
from impulator.chem import depict_svg
from impulator.pipeline import Report
from impulator.ui import show_compound, show_structure
from impulator.ui._compound import (
    PAGE_SIZE,
    CompoundPage,
    activities_html,
    compound_id_from_query,
    sort_activities,
)
from impulator.ui._compound_parts import (
    best_row,
    breakdown_frame,
    flagged_structures,
    model_sentence,
    outlier_frame,
    pdb_frame,
)
from impulator.ui._planes import plane_figure, point_html
from impulator.ui._structure_view import drug_likeness, embed_3d
from tests.postgres import PostgresCluster
from tests.store.reports import many_rows
from tests.ui.widgets import find, new_platform, one


def _points(trace_index: int) -> Any:
    return SimpleNamespace(point_inds=[trace_index])


# -- the page address ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [("id=12", 12), ("tab=x&id=7", 7), ("", None), (None, None), ("id=", None), ("x=1", None)],
)
def test_the_compound_id_comes_from_the_query_string(query: str | None, expected: Any) -> None:
    assert compound_id_from_query(query) == expected


@pytest.mark.parametrize("bad", ["id=abc", "id=-3", "id=0", "id=1.5"])
def test_a_bad_id_is_refused_in_words(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a compound id"):
        compound_id_from_query(bad)


def test_no_id_or_a_bad_id_links_to_the_explorer(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUERY_STRING", raising=False)
    message = one(show_compound(url=url), "impulator-compound-message").value
    assert "No compound chosen" in message and 'href="Explorer.ipynb"' in message
    monkeypatch.setenv("QUERY_STRING", "id=<b>")
    message = one(show_compound(url=url), "impulator-compound-message").value
    assert "&#x27;&lt;b&gt;&#x27; is not a compound id" in message
    assert 'href="Explorer.ipynb"' in message


def test_the_page_reads_the_id_from_the_address(
    url: str, demo: dict[str, Report], monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = store.save(demo["dasatinib"], url=url)
    monkeypatch.setenv("QUERY_STRING", f"id={cid}")
    page = show_compound(url=url)
    assert "DASATINIB" in one(page, "impulator-compound-header").value
    assert "impulator-page-compound" in page._dom_classes


def test_an_unknown_id_is_not_found(url: str) -> None:
    page = CompoundPage(404, url)
    assert "Compound 404 was not found or not shared with you" in page.message.value
    assert page.body.children == ()


def test_an_unreachable_database_is_a_sentence() -> None:
    page = CompoundPage(1, "postgresql+psycopg://nobody@127.0.0.1:1/impulator")
    assert "results database is unavailable" in page.message.value


# -- the sections ----------------------------------------------------------------------------


def test_the_header_shows_ids_provenance_and_what_high_means(
    url: str, demo: dict[str, Report]
) -> None:
    cid = store.save(demo["dasatinib"], url=url)
    page = CompoundPage(cid, url)
    assert page.message.value == ""
    header = one(page.widget, "impulator-compound-header").value
    for expected in (
        "DASATINIB",
        "CHEMBL1421",
        "ZBNZXTGUTAYRHI-UHFFFAOYSA-N",
        "demo: MoleculeACE",
        "similarity ≥ 0.40",
        "model oqpla-2",
        "Weak IMP",
        "worth pursuing",
        "low priority",
        "Owner",
        "UTC",
    ):
        assert expected in header, expected
    assert "<svg" in one(page.widget, "impulator-compound-structure").value
    pdb = one(page.widget, "impulator-compound-pdb").value
    assert "1N1" in pdb and "wwPDB CCD" in pdb
    assert "Lipinski" in one(page.widget, "impulator-compound-druglikeness").value
    # The 3D view is a page of its own (its viewer's scripts load only there).
    assert find(page.widget, "impulator-compound-3d-viewer") == []
    link = one(page.widget, "impulator-compound-3d").value
    assert f'href="Structure.ipynb?id={cid}"' in link and "Show in 3D" in link
    structure = show_structure(cid, url)
    three_d = find(structure, "impulator-compound-3d-viewer")
    # Outside Voila (JupyterLab) the 3D view is nglview's.
    assert len(three_d) == 1 and type(three_d[0]).__name__ == "NGLWidget"
    assert f'href="Compound.ipynb?id={cid}"' in one(structure, "impulator-structure-title").value


def test_the_structure_page_says_what_is_missing(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def said(page: Any) -> str:
        return str(one(page, "impulator-structure-message").value)

    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert "No compound chosen" in said(show_structure(url=url))
    assert "not found or not shared with you" in said(show_structure(99, url))
    monkeypatch.setenv("QUERY_STRING", "id=abc")
    assert "is not a compound id" in said(show_structure(url=url))


def test_model_sentences() -> None:
    assert "likely an artifact" in model_sentence("imp-4")
    assert "pursue first" in model_sentence("oqpla-2", "Exceptional IMP")


def test_the_planes_hover_click_and_recolour(url: str, demo: dict[str, Report]) -> None:
    report = demo["naltrexone"]
    cid = store.save(report, url=url)
    page = CompoundPage(cid, url)
    planes = page.planes
    sei_bei, nsei_nbei = planes.figures
    plotted = sum(len(t.x) for t in sei_bei.data)
    assert plotted == len(report.rows.dropna(subset=["sei", "bei"]))
    assert sum(len(t.x) for t in nsei_nbei.data) > 0
    guide = sei_bei.layout.shapes[0]
    assert (guide.x0, guide.y0) == (0, 0) and guide.x1 == guide.y1
    assert "click it for its score breakdown" in planes.side.value

    trace = sei_bei.data[0]
    row = int(trace.customdata[0])
    planes._hovered(trace, _points(0))
    assert "<svg" in planes.side.value
    name = page.rows.iloc[row]["pref_name"] or page.rows.iloc[row]["molecule_chembl_id"]
    assert str(name) in planes.side.value
    planes._clicked(trace, _points(0))
    assert str(name) in page.breakdown.value

    planes.colour.value = "Target"
    targets = {t.name for t in sei_bei.data}
    assert any(str(report.rows["target_chembl_id"].iloc[0]) in t for t in targets)
    assert sum(len(t.x) for t in sei_bei.data) == plotted
    planes._hovered(sei_bei.data[-1], _points(0))  # callbacks are bound to the new traces
    assert "<svg" in planes.side.value
    planes._hovered(sei_bei.data[0], SimpleNamespace(point_inds=[]))  # nothing under the mouse


def test_plane_figure_is_a_plain_figure(demo: dict[str, Report]) -> None:
    rows = demo["naltrexone"].rows
    figure = plane_figure(rows, "nsei-nbei", colour_by="target")
    assert figure.layout.xaxis.title.text == "NSEI"
    with pytest.raises(ValueError, match="plane must be"):
        plane_figure(rows, "le-lle")
    assert "<svg" in point_html(rows.iloc[0])


def test_the_breakdown_adds_up_to_the_score(url: str, demo: dict[str, Report]) -> None:
    rows = demo["dasatinib"].rows
    best = best_row(rows)
    assert best is not None
    frame = breakdown_frame({str(k): v for k, v in rows.iloc[best].items()})
    assert list(frame["component"]) == ["efficiency", "angle", "distance", "pdb", "interference"]
    assert frame["contribution"].sum() == pytest.approx(rows.iloc[best]["final_score"])
    cid = store.save(demo["dasatinib"], url=url)
    text = one(CompoundPage(cid, url).widget, "impulator-compound-breakdown").value
    assert "QED multiplier" in text and "impulator-compound-bar" in text
    assert best_row(pd.DataFrame({"final_score": [float("nan")]})) is None


def test_outliers_are_listed_with_their_metrics() -> None:
    rows = pd.DataFrame(
        {
            "pref_name": ["A", "B", "C"],
            "outlier_sei": [True, False, True],
            "outlier_bei": [False, False, True],
            "outlier_nsei": [False, False, True],
            "outlier_nbei": [False, False, False],
            "outlier_count": [1, 0, 3],
        }
    )
    found = outlier_frame(rows)
    assert found["pref_name"].tolist() == ["C", "A"]
    assert found["outliers"].tolist() == ["SEI, BEI, NSEI", "SEI"]


def test_flags_are_drawn_with_the_matched_atoms(url: str, demo: dict[str, Report]) -> None:
    cid = store.save(demo["apomorphine"], url=url)
    compound = store.get(cid, url)
    found = flagged_structures(compound)
    assert found[0]["own"] and set(found[0]["flags"]) >= {"pains", "redox", "brenk"}
    page = CompoundPage(cid, url)
    text = one(page.widget, "impulator-compound-flags").value
    assert "catechol" in text and "Redox cycler" in text and "(shown only, not scored)" in text
    # RDKit fills highlighted atoms with the flag's colour (PAINS, the first flag, here).
    assert "<svg" in text and "fill:#F48C8C" in text.upper().replace("FILL:", "fill:")


def test_no_flags_and_no_pdb_say_so(url: str, demo: dict[str, Report]) -> None:
    cid = store.save(demo["naltrexone"], url=url)
    page = CompoundPage(cid, url)
    assert "not looked up" in one(page.widget, "impulator-compound-pdb").value


def test_pdb_frame_separates_notes() -> None:
    compound = SimpleNamespace(
        pdb=[{"source": "X", "entries": [{"molecule_chembl_id": "C1", "score": 1}, {"note": "n"}]}]
    )
    frame, notes, source = pdb_frame(compound)  # type: ignore[arg-type]
    assert (len(frame), notes, source) == (1, ["n"], "X")


def test_the_activities_table_pages_and_sorts(url: str, demo: dict[str, Report]) -> None:
    big = many_rows(demo["naltrexone"], 60)
    cid = store.save(big, url=url)
    page = CompoundPage(cid, url)
    table = one(page.widget, "impulator-compound-activities")
    assert f"rows 1-{PAGE_SIZE} of 60" in table.value
    assert page.previous.disabled and not page.next.disabled
    page.next.click()
    page.next.click()
    assert "rows 51-60 of 60" in table.value and page.next.disabled
    page.sort.value = "pActivity, highest first"
    assert "rows 1-25 of 60" in table.value
    top = sort_activities(page.rows, "pActivity, highest first")["pactivity"].iloc[0]
    assert f"{top:.2f}" in table.value.split("</tr>")[1]
    assert "No activity rows" in activities_html(pd.DataFrame())


def test_values_are_escaped(url: str, demo: dict[str, Report]) -> None:
    cid = store.save(demo["dasatinib"], name="<script>x</script>", url=url)
    page = CompoundPage(cid, url)
    header = one(page.widget, "impulator-compound-header").value
    assert "<script>" not in header and "&lt;script&gt;" in header


def test_a_drawing_failure_is_a_sentence(
    url: str, demo: dict[str, Report], monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = store.save(demo["dasatinib"], url=url)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("impulator.ui._compound.header_html", broken)
    page = CompoundPage(cid, url)
    assert "Something went wrong (RuntimeError): boom" in page.message.value


def test_structure_helpers() -> None:
    assert depict_svg(None) == "" and depict_svg("C1CC") == ""
    assert embed_3d("c1ccccc1").GetNumConformers() == 1
    with pytest.raises(ValueError, match="cannot read"):
        embed_3d("C1CC")
    found = drug_likeness("CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC")
    assert not found["veber"] and found["lipinski_violations"] >= 2 and not found["lipinski"]


# -- PostgreSQL: another user's compound -----------------------------------------------------


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster) -> dict[str, str]:
    return new_platform(
        postgres,
        "impulator_ui_compound",
        {
            "alice": ("cmp_alice", "chemist", ["cmp_team"]),
            "vera": ("cmp_vera", "viewer", ["cmp_others"]),
            "tom": ("cmp_tom", "viewer", ["cmp_team"]),
        },
    )


def test_only_those_the_compound_is_shared_with_see_it(
    platform: dict[str, str], demo: dict[str, Report]
) -> None:
    cid = store.save(demo["dasatinib"], url=platform["alice"])
    assert (
        "DASATINIB" in one(show_compound(cid, platform["alice"]), "impulator-compound-header").value
    )
    for user in ("vera", "tom"):
        page = CompoundPage(cid, platform[user])
        assert f"Compound {cid} was not found or not shared with you" in page.message.value
    store.share(cid, "cmp_team", url=platform["alice"])
    page = CompoundPage(cid, platform["tom"])
    assert page.message.value == ""
    assert "cmp_team" in one(page.widget, "impulator-compound-header").value
    assert "not found" in CompoundPage(cid, platform["vera"]).message.value
