"""What a worker prepares for the store is what the column-by-column reading of a report gives.

``row_records`` converts a report's columns per dtype block, and ``flag_records`` /
``pdb_record`` read those plain columns instead of the DataFrame; these tests hold them to
the plain per-column reading (``column_values``, ``iterrows`` + ``json_ready``), types
included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from impulator.chem import FLAG_NAMES, descriptors, interference_flags
from impulator.pipeline import Report, json_ready, structure_profile
from impulator.store import prepare_report
from impulator.store._rows import column_values, row_records
from impulator.store._save import compound_values, flag_records, pdb_record
from tests.store.reports import many_rows, reports


@pytest.fixture(scope="module")
def analysed(demo_dir: Path) -> dict[str, Report]:
    return reports(demo_dir)


def typed(values: Any) -> Any:
    """Values with their exact types, so 1 and 1.0 and True differ."""
    return repr(values)


def test_row_values_are_those_of_each_column() -> None:
    frame = pd.DataFrame(
        {
            "name": pd.Series(["a", None, "c"], dtype="str"),
            "score": [1.5, float("nan"), float("inf")],
            "n": [1, 2, 3],
            "flag": [True, False, True],
            "count": pd.Series([3, None, 1], dtype="Int64"),
            "other": ["x", 2, np.float64(0.5)],
            "weight": np.array([1.0, 2.0, -0.0], dtype="float32"),
            "label": pd.Series(["p", "q", None], dtype="str"),
        }
    )
    records = row_records(frame)
    expected = {c: column_values(frame[c]) for c in frame.columns}
    assert list(records.columns) == list(expected)
    assert typed(records.columns) == typed(expected)
    # one str column alone (its array is read-only in pandas) and no rows at all
    alone = frame[["label"]]
    assert row_records(alone).columns == {"label": ["p", "q", None]}
    assert row_records(frame.iloc[:0]).columns == {c: [] for c in frame.columns}


def iterrows_flags(report: Report) -> list[dict[str, Any]]:
    """The interference records as the DataFrame's rows give them."""
    rows = report.rows
    if rows.empty or "inchikey" not in rows.columns:
        return []
    present = [f for f in FLAG_NAMES if f in rows.columns]
    return [
        {
            "inchikey": json_ready(row["inchikey"]),
            "smiles": json_ready(row.get("canonical_smiles")),
            "flags": {f: json_ready(row[f]) for f in present},
            "matches": {f: json_ready(row.get(f"{f}_matches")) for f in present},
        }
        for _, row in rows.dropna(subset=["inchikey"]).drop_duplicates("inchikey").iterrows()
    ]


@pytest.mark.parametrize("key", ["naltrexone", "dasatinib", "apomorphine", "nothing"])
def test_flag_and_pdb_records_are_those_of_the_rows(analysed: dict[str, Report], key: str) -> None:
    report = analysed[key]
    if key == "naltrexone":  # repeated rows: one record per structure, the first one's
        report = many_rows(report, 40)
    columns = row_records(report.rows).columns
    expected = iterrows_flags(report)
    assert typed(flag_records(report, columns)) == typed(expected)
    assert typed(flag_records(report)) == typed(expected)
    assert typed(pdb_record(report, columns)) == typed(pdb_record(report))
    if key == "dasatinib":
        entries = pdb_record(report, columns)["entries"]  # type: ignore[index]
        ids = report.rows["molecule_chembl_id"].drop_duplicates().tolist()
        assert [e["molecule_chembl_id"] for e in entries] == ids


def test_the_query_profile_gives_the_compound_columns(analysed: dict[str, Report]) -> None:
    for report in analysed.values():
        structure = report.structure
        assert structure is not None
        values = compound_values(report)
        fresh = interference_flags(structure.smiles)  # a new Structure: computed again
        assert values["mw"] == json_ready(descriptors(structure.smiles)["mw"])
        assert values["n_flags"] == sum(1 for f in FLAG_NAMES if getattr(fresh, f))
        assert structure_profile(structure) is structure_profile(structure)
        assert prepare_report(report).values["n_flags"] == values["n_flags"]
