"""CSV, prototype CSV, SDF and Excel exports of real stored analyses (SQLite), and what an
export refuses (nothing selected, unknown ids, another user's compound on PostgreSQL)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

from impulator import exports, store
from impulator.pipeline import PROTOTYPE_COLUMNS, RESULT_COLUMNS, Report
from tests.postgres import PostgresCluster
from tests.ui.widgets import new_platform, save_reports

KEYS = ("naltrexone", "dasatinib", "testosterone", "apomorphine", "nothing")


@pytest.fixture(scope="module")
def saved(
    demo: dict[str, Report], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, int]]:
    """A SQLite store holding the five demo reports: (url, ids by key)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('exports') / 'impulator.sqlite'}"
    ids = save_reports(demo, KEYS, url)
    return url, ids


def _csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")


def test_csv_has_one_row_per_activity_record(
    saved: tuple[str, dict[str, int]], demo: dict[str, Report], tmp_path: Path
) -> None:
    url, ids = saved
    target = tmp_path / "out.csv"
    data = exports.compounds_csv(list(ids.values()), url, path=target)
    assert data.startswith("\ufeff".encode()), "Excel needs the byte-order mark"
    assert target.read_bytes() == data
    table = _csv(data)
    assert len(table) == sum(len(demo[k].rows) for k in KEYS)
    assert list(table.columns[:4]) == list(exports.ACTIVITY_ID_COLUMNS)
    assert set(RESULT_COLUMNS) <= set(table.columns)
    counts = table["compound_id"].value_counts().to_dict()
    assert counts[ids["naltrexone"]] == len(demo["naltrexone"].rows) == 13
    assert ids["nothing"] not in counts  # no neighbour, no row
    dasatinib = table[table["compound_id"] == ids["dasatinib"]]
    assert set(dasatinib["compound_name"]) == {"DASATINIB"}
    assert dasatinib["sei"].to_numpy() == pytest.approx(
        demo["dasatinib"].rows["sei"].to_numpy(dtype=float)
    )


def test_csv_keeps_the_order_given_and_each_compound_once(
    saved: tuple[str, dict[str, int]],
) -> None:
    url, ids = saved
    order = [ids["apomorphine"], ids["naltrexone"], ids["apomorphine"]]
    table = _csv(exports.compounds_csv(order, url))
    assert table["compound_id"].drop_duplicates().tolist() == order[:2]
    assert len(table) == 1 + 13


def test_prototype_csv_has_the_prototype_columns(
    saved: tuple[str, dict[str, int]], demo: dict[str, Report]
) -> None:
    url, ids = saved
    chosen = [ids["naltrexone"], ids["testosterone"]]  # oqpla-2 and imp-4
    table = _csv(exports.prototype_csv(chosen, url))
    assert len(table) == 13 + len(demo["testosterone"].rows)
    assert set(PROTOTYPE_COLUMNS.values()) <= set(table.columns)
    assert {"OQPLA_Final_Score", "IMP_Final_Score", "OQPLA_Classification"} <= set(table.columns)
    assert list(table.columns[-2:]) == list(exports.PROTOTYPE_EXTRA_COLUMNS)
    # The same names as Report.to_csv(flavour="prototype") writes.
    expected = demo["naltrexone"].prototype_table()
    mine = table[table["Impulator_Compound_ID"] == ids["naltrexone"]]
    assert list(expected.columns) == [c for c in mine.columns if c in expected.columns]
    assert mine["Modulus_SEI_BEI"].to_numpy() == pytest.approx(
        expected["Modulus_SEI_BEI"].to_numpy(dtype=float)
    )
    assert mine["IMP_Final_Score"].isna().all()


def test_sdf_reads_back_in_rdkit_with_its_properties(
    saved: tuple[str, dict[str, int]],
) -> None:
    url, ids = saved
    data = exports.compounds_sdf(list(ids.values()), url)
    mols = list(Chem.ForwardSDMolSupplier(io.BytesIO(data)))
    assert len(mols) == len(KEYS) and all(m is not None for m in mols)
    by_id = {int(m.GetProp("impulator_id")): m for m in mols}
    assert set(by_id) == set(ids.values())
    for mol in mols:
        assert set(exports.SDF_FIELDS) <= set(mol.GetPropNames())
    dasatinib = by_id[ids["dasatinib"]]
    stored = store.get(ids["dasatinib"], url=url)
    assert dasatinib.GetProp("_Name") == "DASATINIB"
    assert dasatinib.GetProp("inchikey") == stored.inchikey == Chem.MolToInchiKey(dasatinib)
    assert float(dasatinib.GetProp("best_score")) == pytest.approx(stored.best_score, abs=1e-4)
    assert dasatinib.GetProp("best_class") == stored.best_class
    assert float(dasatinib.GetProp("mw")) == pytest.approx(stored.mw, abs=1e-3)
    assert int(dasatinib.GetProp("n_rows")) == stored.n_rows == 2
    assert dasatinib.GetConformer().Is3D() is False
    apomorphine = by_id[ids["apomorphine"]]
    assert apomorphine.GetProp("flags") == "pains, redox, brenk"
    assert "worth pursuing" in apomorphine.GetProp("high_means")
    nothing = by_id[ids["nothing"]]
    assert nothing.GetProp("best_score") == "" and nothing.GetProp("best_class") == ""


def test_excel_has_a_compounds_and_an_activities_sheet(
    saved: tuple[str, dict[str, int]], demo: dict[str, Report], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    url, ids = saved
    target = tmp_path / "out.xlsx"
    data = exports.compounds_excel(list(ids.values()), url, path=target)
    assert data[:2] == b"PK" and target.read_bytes() == data
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["Compounds", "Activities"]
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    compounds, activities = sheets["Compounds"], sheets["Activities"]
    assert list(compounds.columns) == list(exports.COMPOUND_COLUMNS)
    assert compounds["compound_id"].tolist() == list(ids.values())
    assert len(activities) == sum(len(demo[k].rows) for k in KEYS)
    row = compounds.set_index("compound_id").loc[ids["testosterone"]]
    assert row["scoring_model"] == "imp-4" and row["flags"] == "thiol_reactive"
    assert "artifact" in row["high_means"]
    stored_at = datetime.strptime(row["stored_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stored_at).days) <= 1


def test_text_that_looks_like_a_formula_stays_text(demo: dict[str, Report], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    url = f"sqlite:///{tmp_path / 'impulator.sqlite'}"
    compound = store.save(demo["apomorphine"], name='=HYPERLINK("http://x","y")', url=url)
    table = _csv(exports.compounds_csv([compound], url))
    assert table["compound_name"].tolist() == ['\'=HYPERLINK("http://x","y")']
    book = load_workbook(io.BytesIO(exports.compounds_excel([compound], url)))
    cell = book["Compounds"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"


@pytest.mark.parametrize(
    "build",
    [exports.compounds_csv, exports.prototype_csv, exports.compounds_sdf, exports.compounds_excel],
)
def test_nothing_selected_or_an_unknown_id_is_said_in_words(
    saved: tuple[str, dict[str, int]], build: object
) -> None:
    url, ids = saved
    assert callable(build)
    with pytest.raises(ValueError, match="nothing to export: select at least one compound"):
        build([], url)
    with pytest.raises(exports.CompoundNotFound, match="no compound 999999"):
        build([ids["dasatinib"], 999999], url)
    with pytest.raises(ValueError, match="whole numbers"):
        build(["1"], url)


def test_export_file_names_the_file(saved: tuple[str, dict[str, int]]) -> None:
    url, ids = saved
    now = datetime(2026, 3, 1, 9, 5, tzinfo=UTC)
    csv = exports.export_file("csv", [ids["dasatinib"]], url, now=now)
    assert (csv.name, csv.mime) == ("impulator-compounds-20260301-0905.csv", "text/csv")
    proto = exports.export_file("prototype", [ids["dasatinib"]], url, now=now)
    assert proto.name == "impulator-compounds-prototype-20260301-0905.csv"
    assert exports.export_file("sdf", [ids["dasatinib"]], url, now=now).name.endswith(".sdf")
    assert exports.export_file("excel", [ids["dasatinib"]], url, now=now).name.endswith(".xlsx")
    pdf = exports.export_file("pdf", [ids["dasatinib"]], url)
    assert pdf.name == f"impulator-compound-{ids['dasatinib']}.pdf"
    assert pdf.data.startswith(b"%PDF")
    with pytest.raises(ValueError, match="select exactly one"):
        exports.export_file("pdf", list(ids.values()), url)


# -- PostgreSQL: the database decides what a user may export ---------------------------------


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster) -> dict[str, str]:
    return new_platform(
        postgres,
        "impulator_exports",
        {
            "alice": ("exp_alice", "chemist", ["exp_team"]),
            "bob": ("exp_bob", "chemist", ["exp_rivals"]),
            "carol": ("exp_carol", "viewer", ["exp_team"]),
        },
    )


def test_another_users_compound_is_refused_until_shared(
    platform: dict[str, str], demo: dict[str, Report]
) -> None:
    alices = store.save(demo["dasatinib"], url=platform["alice"])
    bobs = store.save(demo["naltrexone"], url=platform["bob"])
    assert len(_csv(exports.compounds_csv([alices], platform["alice"]))) == 2
    for build in (exports.compounds_csv, exports.compounds_sdf, exports.compounds_excel):
        with pytest.raises(exports.CompoundNotFound, match=f"no compound {alices}"):
            build([bobs, alices], platform["bob"])
    with pytest.raises(exports.CompoundNotFound):
        exports.compound_report_pdf(alices, platform["bob"])
    # Shared with her group, a viewer of that group exports it; Bob still cannot.
    with pytest.raises(exports.CompoundNotFound):
        exports.compounds_csv([alices], platform["carol"])
    store.share(alices, "exp_team", url=platform["alice"])
    mols = list(
        Chem.ForwardSDMolSupplier(io.BytesIO(exports.compounds_sdf([alices], platform["carol"])))
    )
    assert [m.GetProp("owner") for m in mols] == ["exp_alice"]
    with pytest.raises(exports.CompoundNotFound):
        exports.compounds_csv([alices], platform["bob"])
