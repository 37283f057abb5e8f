"""Saving a report: one compound, its result rows, flags and PDB evidence, in one transaction.

A save is all or nothing. Its last statement is the audit-log entry. On PostgreSQL the result
rows travel by COPY into a temporary staging table, then one ``INSERT ... SELECT`` moves them
into ``result_rows`` (PostgreSQL refuses ``COPY FROM`` into a table with row-level security);
on SQLite they are inserted in one ``executemany``.

Duplicates are the same owner, InChIKey and provenance key (the settings and data that change
the numbers, see ``impulator.store._keys``). ``on_duplicate`` decides: ``"skip"`` returns the
stored compound's id and writes nothing; ``"replace"`` keeps that id (and its shares) and
rewrites everything else; ``"keep"`` stores another copy. On PostgreSQL a transaction-scoped
advisory lock on the duplicate key makes concurrent saves of the same analysis wait for each
other instead of both inserting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from impulator._errors import InvalidInput
from impulator.chem import FLAG_NAMES
from impulator.pipeline import best_class, default_name, structure_profile
from impulator.pipeline import json_ready as _plain
from impulator.store._keys import provenance_key
from impulator.store._models import (
    AuditEntry,
    Compound,
    InterferenceRecord,
    PdbEvidenceRecord,
    ResultRow,
)
from impulator.store._rows import TYPED_COLUMNS, RowRecords, column_values, row_records
from impulator.store._session import Tx, transaction

if TYPE_CHECKING:
    import pandas as pd

    from impulator.pipeline import Report

__all__ = [
    "DTYPES_KEY",
    "ON_DUPLICATE",
    "SHARED_KEY",
    "SaveResult",
    "row_summary",
    "save",
    "save_report",
    "write_rows",
    "write_rows_of",
]

#: What ``save`` may do with a duplicate.
ON_DUPLICATE: tuple[str, ...] = ("skip", "replace", "keep")
#: Key in the stored summary holding the rows' pandas dtypes (removed again by ``get``).
DTYPES_KEY = "_row_dtypes"
#: Key in the stored summary holding the columns of one value in every row, with that value
#: (left out of each row's ``data``; put back, and removed from the summary, by ``get``).
SHARED_KEY = "_row_shared"

_compounds = cast(sa.Table, Compound.__table__)
_rows = cast(sa.Table, ResultRow.__table__)
_flags = cast(sa.Table, InterferenceRecord.__table__)
_pdb = cast(sa.Table, PdbEvidenceRecord.__table__)
_audit = cast(sa.Table, AuditEntry.__table__)
_CHILDREN = (_rows, _flags, _pdb)


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the compound id and ``"inserted"``, ``"replaced"`` or ``"skipped"``."""

    compound_id: int
    action: str


def save(
    report: Report,
    name: str | None = None,
    on_duplicate: str = "skip",
    *,
    job_id: int | None = None,
    url: str | None = None,
    connection: sa.Connection | None = None,
) -> int:
    """Store ``report`` in the results database; returns the compound id.

    ``name`` defaults to the query's ChEMBL preferred name, else the query text. The whole
    save is one transaction (``connection``: run inside yours instead; you commit).

    Raises:
        PermissionDenied: the user may only read (a viewer).
        StoreUnavailable: the database cannot be reached or lost the connection; nothing
            was saved.

    Example:
        >>> import os, tempfile
        >>> import pandas as pd
        >>> from impulator import chem, store
        >>> from impulator.pipeline import Report
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> report = Report("CCO", chem.standardize("CCO"), pd.DataFrame())
        >>> first = store.save(report, "ethanol", url=url)
        >>> store.save(report, url=url) == first  # the same analysis: skipped
        True
    """
    return save_report(
        report, name, on_duplicate, job_id=job_id, url=url, connection=connection
    ).compound_id


def save_report(
    report: Report,
    name: str | None = None,
    on_duplicate: str = "skip",
    *,
    job_id: int | None = None,
    url: str | None = None,
    connection: sa.Connection | None = None,
) -> SaveResult:
    """:func:`save`, also saying whether the compound was inserted, replaced or skipped."""
    if on_duplicate not in ON_DUPLICATE:
        raise InvalidInput(
            f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}, not {on_duplicate!r}"
        )
    values = compound_values(report, name)
    records = row_records(report.rows)
    values["summary"] = row_summary(values["summary"], records)
    flags, pdb = flag_records(report), pdb_record(report)
    what = f"save {values['name']!r}"
    with transaction(url, what, write=True, connection=connection) as tx:
        owner = tx.owner
        if values["inchikey"]:
            _lock(tx, owner, values["inchikey"], values["provenance_key"])
        existing = _duplicate(tx, owner, values["inchikey"], values["provenance_key"])
        if existing is not None and on_duplicate == "skip":
            return SaveResult(existing, "skipped")
        row = {**values, "owner": owner, "job_id": job_id}
        if existing is not None and on_duplicate == "replace":
            compound_id, action = existing, "replaced"
            for table in _CHILDREN:
                tx.conn.execute(table.delete().where(table.c.compound_id == compound_id))
            tx.conn.execute(
                _compounds.update()
                .where(_compounds.c.id == compound_id)
                .values(**row, created_at=sa.func.now())
            )
        else:
            inserted = tx.conn.execute(_compounds.insert().values(**row).returning(_compounds.c.id))
            compound_id, action = int(inserted.scalar_one()), "inserted"
        write_rows(tx, owner, compound_id, records)
        children = {"owner": owner, "compound_id": compound_id}
        if flags:
            tx.conn.execute(_flags.insert(), [{**children, **f} for f in flags])
        if pdb is not None:
            tx.conn.execute(_pdb.insert().values(**children, **pdb))
        details = {
            "action": action,
            "name": values["name"],
            "inchikey": values["inchikey"],
            "rows": len(records),
            "flag_records": len(flags),
            "pdb_records": 0 if pdb is None else 1,
        }
        # The audit entry is the last statement of the transaction.
        tx.conn.execute(
            _audit.insert().values(
                actor=owner, action="save", target=f"compound:{compound_id}", details=details
            )
        )
    return SaveResult(compound_id, action)


def row_summary(summary: dict[str, Any], records: RowRecords) -> dict[str, Any]:
    """The compound's stored summary: the report's, with what reading its rows back needs."""
    stored = {**summary, DTYPES_KEY: records.dtypes}
    if records.shared:
        stored[SHARED_KEY] = records.shared
    return stored


def _lock(tx: Tx, owner: str, inchikey: str, key: str | None) -> None:
    if not tx.postgres:
        return  # SQLite: the write lock taken at BEGIN IMMEDIATE serialises saves
    digest = hashlib.sha256(f"{owner}\0{inchikey}\0{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    tx.conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def _duplicate(tx: Tx, owner: str, inchikey: str | None, key: str | None) -> int | None:
    if not inchikey:
        return None
    c = _compounds.c
    found = tx.conn.execute(
        sa.select(c.id)
        .where(c.owner == owner, c.inchikey == inchikey, c.provenance_key == key)
        .order_by(c.id)
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


# -- the compound row --------------------------------------------------------------------------


def compound_values(report: Report, name: str | None = None) -> dict[str, Any]:
    """The ``compounds`` columns of a report (without owner, job and id)."""
    structure = report.structure
    summary = _plain(dict(report.summary))
    mw, n_flags = None, 0
    if structure is not None:
        # The analysis profiled the query already (it is its own neighbour when the source
        # holds it), or a structure file did: reused, not computed again.
        profile = structure_profile(structure)
        mw = _plain(profile.get("mw"))
        n_flags = sum(1 for flag in FLAG_NAMES if profile[flag])
    return {
        "query": report.query,
        "parent_smiles": structure.smiles if structure is not None else None,
        "inchikey": structure.inchikey if structure is not None else None,
        "chembl_id": summary.get("query_chembl_id"),
        "name": name if name else default_name(report),
        "provenance": _plain(dict(report.provenance)),
        "summary": summary,
        "best_score": summary.get("best_score"),
        "model_id": report.model or None,
        "provenance_key": provenance_key(report.provenance),
        "best_class": best_class(report.rows),
        "mw": mw,
        "n_rows": len(report.rows),
        "n_flags": n_flags,
    }


# -- children ------------------------------------------------------------------------------------


def flag_records(
    report: Report, columns: Mapping[str, list[Any]] | None = None
) -> list[dict[str, Any]]:
    """One interference record per unique structure (InChIKey) of the rows.

    ``columns``: the rows' plain values as :func:`row_records` made them, when at hand (read
    instead of the DataFrame; the records are the same).
    """
    if columns is None:
        columns = _plain_columns(report.rows, _FLAG_COLUMNS)
    keys = columns.get("inchikey")
    if not keys:
        return []
    present = [f for f in FLAG_NAMES if f in columns]
    nothing = [None] * len(keys)
    smiles = columns.get("canonical_smiles", nothing)
    matches = {f: columns.get(f"{f}_matches", nothing) for f in present}
    records, seen = [], set()
    for i, key in enumerate(keys):
        if key is None or key in seen:  # missing, or the structure has its record
            continue
        seen.add(key)
        records.append(
            {
                "inchikey": key,
                "smiles": smiles[i],
                "flags": {f: columns[f][i] for f in present},
                "matches": {f: matches[f][i] for f in present},
            }
        )
    return records


_FLAG_COLUMNS = (
    "inchikey",
    "canonical_smiles",
    *FLAG_NAMES,
    *(f"{f}_matches" for f in FLAG_NAMES),
)
_PDB_COLUMNS = ("molecule_chembl_id", "inchikey", "pdb_structures", "pdb_ligands", "pdb_score")


def _plain_columns(rows: pd.DataFrame, names: Sequence[str]) -> dict[str, list[Any]]:
    """:func:`column_values` of those of ``names`` that ``rows`` has."""
    return {name: column_values(rows[name]) for name in names if name in rows.columns}


def pdb_record(
    report: Report, columns: Mapping[str, list[Any]] | None = None
) -> dict[str, Any] | None:
    """PDB evidence per molecule of the rows, and the notes of lookups that failed.

    None when the analysis did not look PDB up (and nothing failed). ``columns`` as for
    :func:`flag_records`.
    """
    source = report.provenance.get("pdb_source")
    notes = list(report.summary.get("pdb_notes") or [])
    if (source in (None, "off")) and not notes:
        return None
    if columns is None:
        columns = _plain_columns(report.rows, _PDB_COLUMNS)
    entries: list[dict[str, Any]] = []
    if all(name in columns for name in _PDB_COLUMNS):
        ids, keys, structures, ligands, scores = (columns[name] for name in _PDB_COLUMNS)
        seen = set()
        for i, molecule in enumerate(ids):
            if molecule in seen:  # one entry per molecule, its first row's
                continue
            seen.add(molecule)
            entries.append(
                {
                    "molecule_chembl_id": molecule,
                    "inchikey": keys[i],
                    "structures": structures[i],
                    "ligands": ligands[i],
                    "score": scores[i],
                }
            )
    entries.extend({"note": str(n)} for n in notes)
    found = [e["score"] for e in entries if isinstance(e.get("score"), int | float)]
    return {"source": source, "entries": entries, "score": max(found) if found else None}


# -- result rows -------------------------------------------------------------------------------


def write_rows(tx: Tx, owner: str, compound_id: int, records: RowRecords) -> None:
    """Insert a compound's result rows: COPY through a staging table on PostgreSQL."""
    if tx.postgres and len(records):
        _copy_rows(tx, owner, compound_id, records)
    else:
        write_rows_of(tx, owner, [(compound_id, records)])


def write_rows_of(tx: Tx, owner: str, compounds: Sequence[tuple[int, RowRecords]]) -> None:
    """Insert the result rows of several compounds in one statement (one COPY on PostgreSQL).

    Rows get their ids in the order given: compound by compound, each in its rows' order.
    """
    compounds = [(compound_id, records) for compound_id, records in compounds if len(records)]
    if not compounds:
        return
    if tx.postgres:
        _copy_many(tx, owner, compounds)
        return
    tx.conn.execute(
        _rows.insert(),
        [
            {
                "owner": owner,
                "compound_id": compound_id,
                **dict(zip(TYPED_COLUMNS, t, strict=True)),
                "data": d,
            }
            for compound_id, records in compounds
            for t, d in zip(records.typed(), records.data(), strict=True)
        ],
    )


_STAGING = "impulator_staging_rows"
#: PostgreSQL's largest ``toast_tuple_target``: rows up to a page are stored uncompressed.
_PAGE_TUPLE = 8160
#: Bytes a staged row takes in a sort besides its JSON (typed values, tuple headers).
_ROW_OVERHEAD = 400
_COPY_TYPES = {"double precision": "float8", "integer": "int4", "boolean": "bool", "text": "text"}
_TYPED_SQL = {
    "pactivity": "double precision",
    "sei": "double precision",
    "bei": "double precision",
    "nsei": "double precision",
    "nbei": "double precision",
    "final_score": "double precision",
    "priority": "integer",
    "imp_candidate": "boolean",
}


def _copy_rows(tx: Tx, owner: str, compound_id: int, records: RowRecords) -> None:
    """One compound's rows by :func:`_copy_many`."""
    _copy_many(tx, owner, [(compound_id, records)])


def _copy_many(tx: Tx, owner: str, compounds: Sequence[tuple[int, RowRecords]]) -> None:
    """COPY into a temporary staging table, then one INSERT ... SELECT into result_rows."""
    conn = tx.conn
    columns = ", ".join(TYPED_COLUMNS)
    sql_types = [_TYPED_SQL.get(c, "text") for c in TYPED_COLUMNS]
    definition = ", ".join(f"{c} {t}" for c, t in zip(TYPED_COLUMNS, sql_types, strict=True))
    # data is staged as text and checked once, by the INSERT's cast to json.
    # Staged rows up to a page are kept as they are: compressing a row's JSON on the way in
    # and decompressing it on the way out would only cost time (result_rows compresses).
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {_STAGING} (position integer, compound_id integer, {definition}, "
        f"data text) WITH (toast_tuple_target = {_PAGE_TUPLE}) ON COMMIT DROP"
    )
    raw: Any = conn.connection.driver_connection
    staged_bytes = position = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY {_STAGING} (position, compound_id, {columns}, data) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["int4", "int4", *(_COPY_TYPES[t] for t in sql_types), "text"])
        for compound_id, records in compounds:
            texts = records.data_texts()
            staged_bytes += sum(map(len, texts)) + _ROW_OVERHEAD * len(texts)
            for typed, data in zip(records.typed(), texts, strict=True):
                copy.write_row((position, compound_id, *typed, data))
                position += 1
    # Enough memory to order the staged rows without spilling them to disk (this statement
    # only: the transaction's own setting comes back right after).
    previous = conn.exec_driver_sql("SELECT current_setting('work_mem')").scalar_one()
    conn.exec_driver_sql(
        f"SELECT set_config('work_mem', '{max(staged_bytes // 1024, 4096)}kB', true)"
    )
    conn.execute(
        sa.text(
            f"INSERT INTO result_rows (owner, compound_id, {columns}, data) "
            f"SELECT :owner, compound_id, {columns}, CAST(data AS json) FROM {_STAGING} "
            "ORDER BY position"
        ),
        {"owner": owner},
    )
    conn.execute(sa.text("SELECT set_config('work_mem', :previous, true)"), {"previous": previous})
    conn.exec_driver_sql(f"DROP TABLE {_STAGING}")
