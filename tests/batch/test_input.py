"""read_batch: every row validated up front; invalid ones kept with their exact number and reason.

No Dask here: reading and validating is pure (RDKit and the ChEMBL structure pipeline).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impulator.batch import ALIASES, BatchTooLarge, read_batch
from impulator.config import get_settings
from tests.conftest import DASATINIB
from tests.hostile_inputs import hostile_strings

DATA = Path(__file__).resolve().parents[1] / "data"
BATCH_20 = DATA / "batch_20.csv"
SMALL_SDF = DATA / "batch_small.sdf"
DASATINIB_KEY = "ZBNZXTGUTAYRHI-UHFFFAOYSA-N"
VALUES = {
    "smiles": DASATINIB,
    "inchi": "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3",
    "inchikey": DASATINIB_KEY,
    "chembl_id": "CHEMBL1421",
    "name": "dasatinib",
}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("role", "alias"), [(role, alias) for role, aliases in ALIASES.items() for alias in aliases]
)
def test_every_alias_is_recognised_whatever_its_case_and_spacing(
    tmp_path: Path, role: str, alias: str
) -> None:
    header = alias.replace("_", " ").upper()  # "CANONICAL SMILES", "MOLECULE CHEMBL ID"
    batch = read_batch(write(tmp_path / "in.csv", f'"{header}"\n"{VALUES[role]}"\n'))
    assert batch.columns == {"query": header}
    [row] = batch.rows
    assert (row.row, row.kind, batch.errors) == (1, role, [])


def test_structures_win_over_identifiers_over_names(tmp_path: Path) -> None:
    text = "compound_name,ChEMBL ID,InChIKey,isomeric_smiles\nDASATINIB,CHEMBL1421,{k},{s}\n"
    batch = read_batch(write(tmp_path / "in.csv", text.format(k=DASATINIB_KEY, s=DASATINIB)))
    assert batch.columns == {"query": "isomeric_smiles", "name": "compound_name"}
    [row] = batch.rows
    assert (row.kind, row.query, row.name, row.inchikey) == (
        "smiles",
        DASATINIB,
        "DASATINIB",
        DASATINIB_KEY,
    )
    by_id = read_batch(write(tmp_path / "ids.csv", "id,chembl_id\nD1,chembl1421\n"))
    assert by_id.columns == {"query": "chembl_id", "name": "id"}
    assert (by_id.rows[0].query, by_id.rows[0].kind) == ("CHEMBL1421", "chembl_id")


def test_column_overrides_and_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "in.csv", "label,mol,other\nfirst,CCO,x\nsecond,CCN,y\n")
    batch = read_batch(path, column="mol", name_column="label")
    assert [(r.query, r.kind, r.name) for r in batch.rows] == [
        ("CCO", "smiles", "first"),
        ("CCN", "smiles", "second"),
    ]
    assert read_batch(path, column="label", kind="name").rows[0].kind == "name"
    with pytest.raises(ValueError, match=r"no column 'smiles'; its columns: 'label', 'mol'"):
        read_batch(path, column="smiles")
    with pytest.raises(ValueError, match="no column 'nom'"):
        read_batch(path, column="mol", name_column="nom")
    with pytest.raises(ValueError, match="no column holds the compounds") as raised:
        read_batch(path)
    message = str(raised.value)
    assert "'label', 'mol', 'other'" in message and "canonical_smiles" in message
    assert "column='NAME'" in message


def test_bom_semicolons_tabs_and_latin1(tmp_path: Path) -> None:
    text = "Name;SMILES\ncaféine;Cn1c(=O)c2c(ncn2C)n(C)c1=O\n"
    for encoding in ("utf-8-sig", "utf-8", "latin-1"):
        batch = read_batch(write(tmp_path / f"{encoding}.csv", text, encoding))
        assert batch.columns == {"query": "SMILES", "name": "Name"}, encoding
        assert batch.rows[0].name == "caféine", encoding
        assert batch.rows[0].inchikey == "RYYVLZVUVIJVGH-UHFFFAOYSA-N"
    tsv = read_batch(write(tmp_path / "in.tsv", "smiles\tname\nCCO\tethanol, absolute\n"))
    assert (tsv.rows[0].query, tsv.rows[0].name) == ("CCO", "ethanol, absolute")


def test_rows_3_and_17_of_the_20_row_file_are_the_bad_ones() -> None:
    batch = read_batch(BATCH_20)
    assert (batch.total, len(batch.rows), batch.source) == (20, 18, "batch_20.csv")
    assert [(e.row, e.input) for e in batch.errors] == [
        (3, "CC1CC(=O)N"),
        (17, "CC(=O)(=O)Nc1ccccc1"),
    ]
    assert batch.errors[0].reason == "unreadable SMILES: ring bond 1 is opened but never closed"
    assert batch.errors[1].reason == "unreadable SMILES: atom 2 (C) has 6 bonds, more than C allows"
    assert [r.row for r in batch.rows] == [n for n in range(1, 21) if n not in (3, 17)]
    # The salt and the repeat share their parent's InChIKey: 16 structures to analyse.
    assert len({r.inchikey for r in batch.rows}) == 16


def test_numbers_stay_exact_with_blank_lines_quoted_line_breaks_and_bad_rows(
    tmp_path: Path,
) -> None:
    text = 'name,smiles\n"two\nlines",CCO\n\nthird,C1CC\nfour,CCN,extra\n,\nsix,\n'
    batch = read_batch(write(tmp_path / "in.csv", text))
    assert [(r.row, r.name) for r in batch.rows] == [(1, "two\nlines")]
    assert [(e.row, e.reason.split(":")[0]) for e in batch.errors] == [
        (3, "unreadable SMILES"),
        (4, "the row has 3 cells but the header has 2; quote cells that contain a ','"),
        (6, "empty cell"),
    ]
    assert batch.total == 4  # rows 2 and 5 are blank: skipped, not counted


def test_sdf_with_a_broken_record() -> None:
    batch = read_batch(SMALL_SDF)
    assert batch.columns == {"query": "molfile", "name": "Name"}
    assert [(r.row, r.kind, r.name) for r in batch.rows] == [
        (1, "molfile", "DASATINIB"),
        (2, "molfile", "IMIPRAMINE"),
        (4, "molfile", "FLUOXETINE"),
    ]
    assert batch.rows[0].inchikey == DASATINIB_KEY
    assert batch.rows[0].query.startswith("DASATINIB\n") and batch.rows[0].query.endswith("M  END")
    [error] = batch.errors
    assert error.row == 3 and error.input.startswith("broken record\\n")
    assert error.reason == (
        "RDKit could not read this molfile record: bond 1 joins atoms 1 and 99, "
        "but the record has 3 atoms"
    )
    by_property = read_batch(SMALL_SDF, column="chembl_id", name_column="Name")
    assert [r.query for r in by_property.rows] == ["CHEMBL1421", "CHEMBL11", "CHEMBL41"]
    assert [(e.row, e.input, e.reason) for e in by_property.errors] == [
        (3, "none", "not a ChEMBL id (CHEMBL followed by digits, e.g. CHEMBL1421)")
    ]


def test_a_dataframe_numbers_rows_by_position(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"Molecule Name": ["a", "b", None, "d"], "smiles": ["CCO", np.nan, "CCN", 42]},
        index=[10, 20, 30, 40],
    )
    batch = read_batch(frame)
    assert batch.source == "DataFrame" and batch.columns == {
        "query": "smiles",
        "name": "Molecule Name",
    }
    assert [(r.row, r.name) for r in batch.rows] == [(1, "a"), (3, None)]
    assert [(e.row, e.reason) for e in batch.errors] == [
        (2, "empty cell"),
        (4, "not a structure but a int (42)"),
    ]


def test_a_list_recognises_each_entry() -> None:
    entries = [
        DASATINIB,
        "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3",
        DASATINIB_KEY.lower(),
        "CHEMBL1421",
        "IMPDEMO-000123",
        "dasatinib",
        "ICI-118551",
        "acetylsalicylic acid",
        "C1CC",
        None,
        "<b>bold</b>",
    ]
    batch = read_batch(entries)
    assert [(r.row, r.kind) for r in batch.rows] == [
        (1, "smiles"),
        (2, "inchi"),
        (3, "inchikey"),
        (4, "chembl_id"),
        (5, "chembl_id"),
        (6, "name"),
        (7, "name"),
        (8, "name"),
    ]
    assert batch.rows[2].query == DASATINIB_KEY and batch.rows[2].inchikey == DASATINIB_KEY
    assert [(e.row, e.reason.split(" (")[0]) for e in batch.errors] == [
        (9, "unreadable SMILES: ring bond 1 is opened but never closed"),
        (10, "empty entry"),
        (11, "not a SMILES, InChI, InChIKey, ChEMBL id or compound name"),
    ]
    assert read_batch(["C1CC"], kind="name").rows[0].kind == "name"
    with pytest.raises(ValueError, match="kind must be one of"):
        read_batch(["CCO"], kind="peptide")


def test_bytes_with_a_file_name(tmp_path: Path) -> None:
    csv_batch = read_batch("smiles;name\nCCO;ethanol\n".encode("utf-8-sig"), filename="up.csv")
    assert (csv_batch.source, csv_batch.rows[0].name) == ("up.csv", "ethanol")
    sdf_batch = read_batch(SMALL_SDF.read_bytes(), filename="upload.sdf")
    assert [r.row for r in sdf_batch.rows] == [1, 2, 4] and sdf_batch.source == "upload.sdf"
    assert [r.row for r in read_batch(SMALL_SDF.read_bytes()).rows] == [1, 2, 4]


def test_limits_refuse_large_batches_before_reading_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Binary junk: read, it would fail otherwise. The size alone refuses it.
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\xff" * 1_000)
    with pytest.raises(BatchTooLarge) as raised:
        read_batch(junk, max_bytes=1_000)
    message = str(raised.value)
    assert "junk.csv is 2,000 bytes; a batch may be at most 1,000 bytes" in message
    assert "IMPULATOR_BATCH_MAX_BYTES" in message
    assert "Split it" in message
    # A 100 MB upload (sparse: no disk used) against the default 50 MB.
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(100_000_000)
    with pytest.raises(BatchTooLarge, match=r"huge.csv is 100.0 MB; a batch may be at most 50.0"):
        read_batch(huge)
    with pytest.raises(BatchTooLarge, match="more than 3 compounds"):
        read_batch(["CCO"] * 4, max_rows=3)
    with pytest.raises(BatchTooLarge, match="IMPULATOR_BATCH_MAX_ROWS"):
        read_batch(BATCH_20, max_rows=19)
    monkeypatch.setenv("IMPULATOR_BATCH_MAX_ROWS", "2")
    with pytest.raises(BatchTooLarge, match="more than 2 compounds"):
        read_batch(pd.DataFrame({"smiles": ["C", "CC", "CCC"]}))
    assert len(read_batch(["C", "CC"]).rows) == 2


def test_settings_read_the_batch_limits() -> None:
    assert (get_settings({}).batch_max_rows, get_settings({}).batch_max_bytes) == (
        10_000,
        50_000_000,
    )
    env = {"IMPULATOR_BATCH_MAX_ROWS": "500", "IMPULATOR_BATCH_MAX_BYTES": "1_000_000"}
    assert get_settings(env).batch_max_rows == 500
    assert get_settings(env).batch_max_bytes == 1_000_000
    with pytest.raises(ValueError, match="IMPULATOR_BATCH_MAX_ROWS='lots': give a positive"):
        get_settings({"IMPULATOR_BATCH_MAX_ROWS": "lots"})


def test_no_compounds(tmp_path: Path) -> None:
    for text in ("", "\n\n", "smiles\n", "smiles,name\n,\n\n"):
        with pytest.raises(ValueError, match="has no compounds"):
            read_batch(write(tmp_path / "empty.csv", text))
    with pytest.raises(ValueError, match="list has no compounds"):
        read_batch([])
    with pytest.raises(FileNotFoundError, match="pass a list"):
        read_batch("CCO")
    with pytest.raises(TypeError, match="not a int"):
        read_batch(42)
    with pytest.raises(ValueError, match="save it as CSV"):
        read_batch(b"PK\x03\x04 a spreadsheet", filename="compounds.xlsx")


def test_hostile_strings_as_a_list_and_as_a_csv_column(tmp_path: Path) -> None:
    strings = hostile_strings()
    batch = read_batch(strings)
    assert sorted([r.row for r in batch.rows] + [e.row for e in batch.errors]) == list(
        range(1, len(strings) + 1)
    )
    assert all(e.reason for e in batch.errors) and len(batch.errors) > 900
    assert all(len(e.input) <= 100 for e in batch.errors)

    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "smiles"])
        writer.writerows([i, s] for i, s in enumerate(strings, start=1))
    from_file = read_batch(path)
    numbers = [r.row for r in from_file.rows] + [e.row for e in from_file.errors]
    assert sorted(numbers) == list(range(1, len(strings) + 1))
    # Each row is labelled by its own id: nothing was shifted by quoted line breaks.
    assert all(r.name == str(r.row) for r in from_file.rows)


def test_validation_can_show_its_progress(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(read_batch(BATCH_20, progress=True).rows) == 18
    assert "validating batch_20.csv" in capsys.readouterr().err
