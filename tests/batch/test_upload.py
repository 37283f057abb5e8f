"""read_upload: an uploaded file's format, columns and first records, before validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from impulator.batch import RowError, read_batch, read_upload

DATA = Path(__file__).resolve().parents[1] / "data"
BATCH_20 = (DATA / "batch_20.csv").read_bytes()
SMALL_SDF = (DATA / "batch_small.sdf").read_bytes()
WATER = (
    "water\n\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n"
    "    0.0000    0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\nM  END\n"
)


def test_a_csv() -> None:
    upload = read_upload("batch_20.csv", BATCH_20)
    assert (upload.format, upload.sdf, upload.encoding, upload.delimiter) == (
        "table",
        False,
        "utf-8",
        ",",
    )
    assert upload.columns == ["Compound Name", "SMILES"] and upload.errors == []
    preview = upload.preview()
    assert preview["Row"].tolist() == [1, 2, 3, 4, 5]
    assert list(preview.columns) == ["Row", "Compound Name", "SMILES"]
    assert preview.iloc[2].tolist() == [3, "broken ring", "CC1CC(=O)N"]  # not validated here
    assert len(read_upload("batch_20.csv", BATCH_20, rows=None).records) == 20


def test_a_tsv_in_latin_1() -> None:
    data = "SMILES\tName\nCCO\tcaféine\nO\twater\n".encode("latin-1")
    upload = read_upload("compounds.tsv", data, rows=1)
    assert (upload.format, upload.encoding, upload.delimiter) == ("table", "latin-1", "\t")
    assert upload.columns == ["SMILES", "Name"]
    assert upload.preview().to_dict("records") == [{"Row": 1, "SMILES": "CCO", "Name": "caféine"}]


def test_an_sdf_by_its_ending_or_its_content() -> None:
    upload = read_upload("batch_small.sdf", SMALL_SDF)
    assert (upload.format, upload.sdf, upload.delimiter) == ("sdf", True, None)
    assert upload.columns == ["Name", "chembl_id"] and upload.errors == []
    preview = upload.preview()
    assert list(preview.columns) == ["Row", "Title", "Name", "chembl_id"]
    assert preview["Row"].tolist() == [1, 2, 3, 4]
    assert preview.iloc[0].tolist() == [1, "DASATINIB", "DASATINIB", "CHEMBL1421"]
    assert upload.records[0].molfile is not None and upload.records[0].molfile.endswith("M  END")
    assert read_upload("upload", SMALL_SDF).sdf  # no ending: a molfile inside says SDF
    assert not read_upload("upload", b"smiles\nCCO\n").sdf


def test_unreadable_rows_are_named_with_the_reason() -> None:
    table = read_upload("a.csv", b"name,smiles\nethanol,CCO\nmethyl, ethyl,CC\nwater,O\n")
    assert table.errors == [
        RowError(2, "", "the row has 3 cells but the header has 2; quote cells that contain a ','")
    ]
    assert table.preview()["Row"].tolist() == [1, 2, 3]  # the preview keeps its place
    sdf = read_upload("b.sdf", f"{WATER}$$$$\nno table\n\n\n$$$$\n{WATER}$$$$\n".encode())
    [error] = sdf.errors
    assert (error.row, error.input) == (2, "no table")
    assert error.reason == "the record has no 'M  END' line (a molfile ends so)"
    # the same rows and reasons as read_batch reports when it validates
    batch = read_batch(f"{WATER}$$$$\nno table\n\n\n$$$$\n".encode(), filename="b.sdf")
    assert batch.errors == [error]


def test_a_spreadsheet_or_an_archive_is_refused_in_a_sentence() -> None:
    sentence = "book.xlsx: impulator reads CSV/TSV tables and SDF files; save it as CSV"
    with pytest.raises(ValueError, match=sentence):
        read_upload("book.xlsx", b"PK\x03\x04 not a text file")
    with pytest.raises(ValueError, match=sentence):  # read_batch says the same
        read_batch(b"PK\x03\x04 not a text file", filename="book.xlsx")
    with pytest.raises(ValueError, match="uncompressed"):
        read_upload("compounds.csv.gz", b"\x1f\x8b")


def test_empty_and_limits() -> None:
    empty = read_upload("empty.csv", b"")
    assert (empty.columns, empty.records, empty.errors) == ([], [], [])
    assert empty.preview().columns.tolist() == ["Row"] and empty.preview().empty
    with pytest.raises(ValueError, match="rows must be at least 1"):
        read_upload("a.csv", BATCH_20, rows=0)
