"""impulator.analyze end to end on the demo ChEMBL fixture (real ChEMBL-schema SQLite)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import impulator
from impulator import InvalidStructure, SourceUnavailable, UnknownCompound
from impulator.pipeline import RESULT_COLUMNS, analyze
from impulator.pipeline._analyze import _profile
from impulator.sources._chembl_local import ChemblDatabase
from impulator.sources._pdb_ccd import CcdPdbSource
from tests.conftest import DASATINIB


@pytest.fixture(scope="module")
def source(demo_dir: Path) -> ChemblDatabase:
    demo = demo_dir / "demo"
    return ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", demo / "chembl_demo.h5")


def test_dasatinib_has_its_abl1_ki_scored(source: ChemblDatabase) -> None:
    report = analyze(DASATINIB, source=source, pdb_source=CcdPdbSource())
    rows = report.rows
    assert list(rows.columns) == list(RESULT_COLUMNS)
    abl1 = rows[
        (rows["molecule_chembl_id"] == "CHEMBL1421") & (rows["target_chembl_id"] == "CHEMBL1862")
    ]
    assert len(abl1) == 1
    row = abl1.iloc[0]
    assert row["standard_type"] == "Ki"
    assert row["value_nm"] == pytest.approx(0.457, rel=0.01)
    assert row["pactivity"] == pytest.approx(9.34, abs=0.005)
    assert row["pref_name"] == "DASATINIB"
    assert row["similarity"] == pytest.approx(1.0)
    assert row["classification"] in {
        "Exceptional IMP",
        "Strong IMP",
        "Moderate IMP",
        "Weak IMP",
        "Not IMP",
    }
    assert 0 <= row["final_score"] <= 1
    assert row["scoring_model"] == "oqpla-2"
    assert row["pdb_structures"] >= 1 and "1N1" in row["pdb_ligands"]  # CCD: 1N1 from 2GQG
    assert report.summary["neighbours"] >= 1
    assert report.summary["rows"] == len(rows)
    assert report.provenance["bioactivity_source"].startswith("demo: MoleculeACE 3.0.0")
    assert report.provenance["pdb_source"].startswith("wwPDB CCD")
    assert report.provenance["fingerprint"].startswith("Morgan r2 2048")


@pytest.mark.parametrize("query", ["CHEMBL1421", "dasatinib", "ZBNZXTGUTAYRHI-UHFFFAOYSA-N"])
def test_names_and_identifiers_resolve_to_the_same_analysis(
    source: ChemblDatabase, query: str
) -> None:
    by_smiles = analyze(DASATINIB, source=source, pdb=False)
    by_name = analyze(query, source=source, pdb=False)
    assert by_name.summary["query_chembl_id"] == "CHEMBL1421"
    pd.testing.assert_frame_equal(by_name.rows, by_smiles.rows)


def test_imp4_and_prototype_curation(source: ChemblDatabase) -> None:
    report = analyze(DASATINIB, source=source, model="imp-4", curation="prototype", pdb=False)
    assert (report.rows["scoring_model"] == "imp-4").all()
    assert report.provenance["curation"] == "prototype"
    assert report.provenance["pdb_source"] == "off"
    assert not report.rows["pdb_evidence_used"].any()


def test_summary_counts_add_up(source: ChemblDatabase) -> None:
    report = analyze(DASATINIB, source=source, similarity=0.4, pdb=False)
    s = report.summary
    assert s["activities_kept"] == s["activities_in"] - sum(s["removed"].values())
    assert sum(s["classification_counts"].values()) == s["rows"] == len(report.rows)
    assert s["imp_candidate_rows"] == int(report.rows["imp_candidate"].sum())
    best = report.rows["final_score"].max()
    assert s["best_score"] == pytest.approx(best)


def test_no_neighbours_reports_the_availability_probe(source: ChemblDatabase) -> None:
    report = analyze("CCCCCCCCCCCCCCCCCCCC(=O)O", source=source, similarity=0.9, pdb=False)
    assert report.rows.empty and list(report.rows.columns) == list(RESULT_COLUMNS)
    assert list(report.availability) == [0.8, 0.7, 0.6, 0.5, 0.4]
    assert all(n >= 0 for n in report.availability.values())


def test_descriptors_and_flags_are_computed_once_across_analyses(source: ChemblDatabase) -> None:
    analyze(DASATINIB, source=source, pdb=False)
    before = _profile.cache_info()
    analyze(DASATINIB, source=source, pdb=False)
    after = _profile.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


def test_bad_queries_are_clear(source: ChemblDatabase) -> None:
    with pytest.raises(InvalidStructure, match="nor is it a name or synonym known to"):
        analyze("notamolecule", source=source)
    with pytest.raises(InvalidStructure, match="ring bond 1"):
        analyze("C1CC", source=source)
    with pytest.raises(UnknownCompound, match="CHEMBL999999999"):
        analyze("CHEMBL999999999", source=source)
    with pytest.raises(ValueError, match=r"between 0\.40 and 1\.00"):
        analyze(DASATINIB, source=source, similarity=0.2)
    with pytest.raises(ValueError, match="unknown scoring model"):
        analyze(DASATINIB, source=source, model="oqpla-9")


def test_corrupted_index_is_a_clear_error(demo_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    db = ChemblDatabase(f"sqlite:///{demo_dir / 'demo' / 'chembl_demo.sqlite'}", broken)
    with pytest.raises(SourceUnavailable, match="rebuild it with `impulator data index`"):
        analyze(DASATINIB, source=db)


def test_not_a_chembl_database(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("create table t (x)").connection.commit()
    with pytest.raises(SourceUnavailable, match="not a ChEMBL database"):
        ChemblDatabase(f"sqlite:///{path}")


def test_csv_flavours(source: ChemblDatabase, tmp_path: Path) -> None:
    report = analyze(DASATINIB, source=source, pdb=False)
    ours = pd.read_csv(report.to_csv(tmp_path / "rows.csv"), encoding="utf-8-sig")
    assert list(ours.columns) == list(RESULT_COLUMNS) and len(ours) == len(report.rows)
    old = pd.read_csv(
        report.to_csv(tmp_path / "old.csv", flavour="prototype"), encoding="utf-8-sig"
    )
    assert {"SEI", "BEI", "Modulus_SEI_BEI", "OQPLA_Final_Score"} <= set(old.columns)
    assert np.allclose(old["SEI"], report.rows["sei"], equal_nan=True)
    imp = analyze(DASATINIB, source=source, model="imp-4", pdb=False)
    assert "IMP_Final_Score" in imp.prototype_table().columns
    with pytest.raises(ValueError, match="flavour"):
        report.to_csv(tmp_path / "x.csv", flavour="excel")  # type: ignore[arg-type]


def test_json_is_strict(source: ChemblDatabase) -> None:
    import json

    text = analyze(DASATINIB, source=source, pdb=False).to_json()
    assert "NaN" not in text
    data = json.loads(text)
    assert data["inchikey"] == "ZBNZXTGUTAYRHI-UHFFFAOYSA-N"
    assert data["provenance"]["rdkit"]
    assert data["provenance"]["descriptor_rule"].startswith("descriptors on neutral S=O/P=O")


def test_default_source_is_the_demo_with_no_configuration(demo_env: Path) -> None:
    report = impulator.analyze(DASATINIB)
    assert report.provenance["bioactivity_source"].startswith("demo: MoleculeACE 3.0.0")
    assert "CHEMBL1421" in set(report.rows["molecule_chembl_id"])
    assert not math.isnan(report.summary["best_score"])


def test_missing_demo_inputs_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from impulator.config import get_settings
    from impulator.sources import _demo
    from impulator.sources._open import ensure_demo

    monkeypatch.setenv("IMPULATOR_DATA_DIR", str(tmp_path))

    def not_installed(name: str, prefix: str) -> list[Path]:
        raise _demo._unavailable(f"{name} is not installed")

    monkeypatch.setattr(_demo, "_distribution_files", not_installed)
    with pytest.raises(SourceUnavailable, match="pip install --no-deps"):
        ensure_demo(get_settings())
    assert not (tmp_path / "demo" / "chembl_demo.sqlite").exists()


def test_source_frames_keep_their_shape_when_empty_and_their_order(
    source: ChemblDatabase,
) -> None:
    from impulator.sources import ACTIVITY_RECORD_COLUMNS, MOLECULE_COLUMNS

    empty = source.activities([])
    assert list(empty.columns) == list(ACTIVITY_RECORD_COLUMNS) and empty.empty
    assert empty["standard_value"].dtype == float and str(empty["pubmed_id"].dtype) == "Int64"
    assert empty["molecule_chembl_id"].dtype == object
    none = source.molecules([])
    assert list(none.columns) == list(MOLECULE_COLUMNS) and none["full_mwt"].dtype == float
    ids = ["CHEMBL1421", "CHEMBL553", "CHEMBL490"]
    assert source.molecules(ids)["molecule_chembl_id"].tolist() == ids
    assert source.molecules(ids[::-1])["molecule_chembl_id"].tolist() == ids[::-1]
