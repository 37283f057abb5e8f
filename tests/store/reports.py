"""Real reports from the demo ChEMBL fixture, analysed once per test session.

| key | query | what it exercises |
|---|---|---|
| naltrexone | CHEMBL19019, T 0.4, no PDB | 13 rows over 6 molecules, NaN PDB columns, a phenol |
| dasatinib | CHEMBL1421, T 0.4, PDB from the CCD | PDB evidence (1N1), target CHEMBL1862 |
| testosterone | CHEMBL386630, T 0.4, imp-4, no PDB | the query raises one flag (thiol-reactive) |
| apomorphine | CHEMBL53, T 0.4, no PDB | a catechol: three flags of its own |
| nothing | a C20 fatty acid, T 0.9 | no neighbours: an empty report |
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from impulator.pipeline import Report, analyze
from impulator.sources._chembl_local import ChemblDatabase
from impulator.sources._pdb_ccd import CcdPdbSource

__all__ = ["many_rows", "reports"]


@functools.cache
def reports(demo_dir: Path) -> dict[str, Report]:
    """The reports of the table above (computed once per data directory)."""
    demo = demo_dir / "demo"
    source = ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", demo / "chembl_demo.h5")
    return {
        "naltrexone": analyze("CHEMBL19019", source=source, similarity=0.4, pdb=False),
        "dasatinib": analyze(
            "CHEMBL1421", source=source, similarity=0.4, pdb_source=CcdPdbSource()
        ),
        "testosterone": analyze(
            "CHEMBL386630", source=source, similarity=0.4, model="imp-4", pdb=False
        ),
        "apomorphine": analyze("CHEMBL53", source=source, similarity=0.4, pdb=False),
        "nothing": analyze("CCCCCCCCCCCCCCCCCCCC(=O)O", source=source, pdb=False),
    }


def many_rows(report: Report, n: int) -> Report:
    """``report`` with its rows repeated to exactly ``n`` (a large, real-looking table)."""
    repeats = -(-n // len(report.rows))
    rows = pd.concat([report.rows] * repeats, ignore_index=True).iloc[:n].reset_index(drop=True)
    summary = {**report.summary, "rows": n}
    return Report(report.query, report.structure, rows, summary, dict(report.provenance))
