"""Saving many reports in one transaction, prepared where they were computed.

``prepare_report`` turns a report into exactly what :func:`impulator.store.save` would write
(the compound's columns with its descriptors and flag count, the rows as typed values and
JSON texts, the interference and PDB records). A Dask worker calls it next to ``analyze``, so
the process that writes to the database never recomputes a descriptor or re-encodes a row.

``save_many`` writes several prepared reports in one transaction, one statement per table
for all of them (the result rows of all of them in one COPY, by the routine ``save`` uses;
reports that duplicate an earlier report of the same call are written in a later round, each
round one COPY). What it stores is what ``save`` stores for each report, duplicates included: an
earlier report of the same call counts as stored before a later one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from impulator._errors import InvalidInput
from impulator.store._models import (
    AuditEntry,
    Compound,
    InterferenceRecord,
    PdbEvidenceRecord,
    ResultRow,
)
from impulator.store._rows import RowRecords, row_records
from impulator.store._save import (
    ON_DUPLICATE,
    SaveResult,
    compound_values,
    flag_records,
    pdb_record,
    row_summary,
    write_rows_of,
)
from impulator.store._session import Tx, transaction

if TYPE_CHECKING:
    from impulator.pipeline import Report

__all__ = ["PreparedReport", "prepare_report", "save_many"]


@dataclass(frozen=True)
class _Tables:
    compounds: sa.Table
    rows: sa.Table
    flags: sa.Table
    pdb: sa.Table
    audit: sa.Table


_TABLES = _Tables(
    *(
        cast(sa.Table, model.__table__)
        for model in (Compound, ResultRow, InterferenceRecord, PdbEvidenceRecord, AuditEntry)
    )
)


@dataclass(eq=False)
class _EncodedRows(RowRecords):
    """Row records whose typed values and JSON texts were computed once, where they were made.

    Pickles small enough to travel from a worker: plain lists, no DataFrame.
    """

    typed_values: list[tuple[Any, ...]] | None = None
    json_texts: list[str] | None = None

    def typed(self) -> list[tuple[Any, ...]]:
        if self.typed_values is None:
            self.typed_values = super().typed()
        return self.typed_values

    def data_texts(self) -> list[str]:
        if self.json_texts is None:
            self.json_texts = super().data_texts()
        return self.json_texts


@dataclass(frozen=True)
class PreparedReport:
    """A report as the database rows :func:`impulator.store.save` makes of it.

    Attributes:
        values: the ``compounds`` columns (``name`` is the report's default name).
        records: the result rows (typed values and ``data`` JSON, dtypes in the summary).
        flags: one interference record per unique structure of the rows.
        pdb: the PDB evidence record, or None when PDB was not looked up.
    """

    values: dict[str, Any]
    records: RowRecords
    flags: list[dict[str, Any]]
    pdb: dict[str, Any] | None

    @property
    def rows(self) -> int:
        """How many result rows the report has."""
        return len(self.records)


def prepare_report(report: Report) -> PreparedReport:
    """What :func:`impulator.store.save` would write for ``report``, computed here.

    Example:
        >>> import pandas as pd
        >>> from impulator import chem
        >>> from impulator.pipeline import Report
        >>> prepared = prepare_report(Report("CCO", chem.standardize("CCO"), pd.DataFrame()))
        >>> prepared.values["inchikey"], prepared.rows, prepared.flags
        ('LFQSCWFLJHTTHZ-UHFFFAOYSA-N', 0, [])
    """
    values = compound_values(report, None)
    plain = row_records(report.rows)
    records = _EncodedRows(**{f.name: getattr(plain, f.name) for f in fields(RowRecords)})
    records.typed()
    records.data_texts()
    values["summary"] = row_summary(values["summary"], records)
    # The flag and PDB records from the plain columns just made, not the DataFrame again.
    flags = flag_records(report, records.columns)
    return PreparedReport(values, records, flags, pdb_record(report, records.columns))


@dataclass
class _Item:
    """One report of a ``save_many`` call: its position, what to write and for which job."""

    index: int
    values: dict[str, Any]
    prepared: PreparedReport
    job_id: int | None

    def key(self) -> tuple[str, str | None] | None:
        """The duplicate key (None: never a duplicate, it has no InChIKey)."""
        inchikey = self.values["inchikey"]
        return (inchikey, self.values["provenance_key"]) if inchikey else None


def save_many(
    reports: Sequence[Report | PreparedReport],
    names: Sequence[str | None] | None = None,
    on_duplicate: str = "skip",
    *,
    job_ids: Sequence[int | None] | None = None,
    url: str | None = None,
    connection: sa.Connection | None = None,
) -> list[SaveResult]:
    """Store several reports in one transaction; one :class:`SaveResult` per report, in order.

    Each report is stored as :func:`impulator.store.save_report` would store it, with its
    ``names[i]`` and ``job_ids[i]``; ``on_duplicate`` applies to compounds stored before and
    to earlier reports of the same call. Reports may be :func:`prepare_report`'s output
    (computed on a worker). All or nothing: one transaction (``connection``: yours).

    Raises:
        InvalidInput: an unknown ``on_duplicate``, or ``names``/``job_ids`` of another length.
        PermissionDenied: the user may only read (a viewer).
        StoreUnavailable: the database cannot be reached; nothing was saved.

    Example:
        >>> import os, tempfile
        >>> import pandas as pd
        >>> from impulator import chem, store
        >>> from impulator.pipeline import Report
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> report = Report("CCO", chem.standardize("CCO"), pd.DataFrame())
        >>> [r.action for r in store.save_many([report, report], ["a", "b"], url=url)]
        ['inserted', 'skipped']
    """
    if on_duplicate not in ON_DUPLICATE:
        raise InvalidInput(
            f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}, not {on_duplicate!r}"
        )
    count = len(reports)
    names = [None] * count if names is None else list(names)
    job_ids = [None] * count if job_ids is None else list(job_ids)
    if len(names) != count or len(job_ids) != count:
        raise InvalidInput(
            f"{count} reports need as many names and job ids, not {len(names)} and {len(job_ids)}"
        )
    items = []
    for index, (report, name, job_id) in enumerate(zip(reports, names, job_ids, strict=True)):
        prepared = report if isinstance(report, PreparedReport) else prepare_report(report)
        values = {**prepared.values, "name": name or prepared.values["name"]}
        items.append(_Item(index, values, prepared, job_id))
    results: list[SaveResult | None] = [None] * count
    if not items:
        return []
    with transaction(url, f"save {count} compounds", write=True, connection=connection) as tx:
        owner = tx.owner
        _lock_all(tx, owner, items)
        audit: list[dict[str, Any]] = []
        for round_ in _rounds(items, on_duplicate):
            audit += _save_round(tx, owner, round_, on_duplicate, results)
        if audit:  # the audit entries are the last statement of the transaction
            tx.conn.execute(_TABLES.audit.insert(), audit)
    return [r for r in results if r is not None]


def _rounds(items: list[_Item], on_duplicate: str) -> list[list[_Item]]:
    """Items in rounds where no two share a duplicate key, in their order (``keep``: one)."""
    if on_duplicate == "keep":
        return [items]
    seen: dict[tuple[str, str | None], int] = defaultdict(int)
    rounds: list[list[_Item]] = []
    for item in items:
        key = item.key()
        number = 0
        if key is not None:
            number = seen[key]
            seen[key] += 1
        while len(rounds) <= number:
            rounds.append([])
        rounds[number].append(item)
    return rounds


def _lock_all(tx: Tx, owner: str, items: list[_Item]) -> None:
    """The advisory locks ``save`` takes, for every key at once, in one order (no deadlock)."""
    if not tx.postgres:
        return  # SQLite: the write lock taken at BEGIN IMMEDIATE serialises saves
    ids = set()
    for item in items:
        key = item.key()
        if key is not None:
            # The same lock id as ``save`` takes for one compound.
            digest = hashlib.sha256(f"{owner}\0{key[0]}\0{key[1]}".encode()).digest()
            ids.add(int.from_bytes(digest[:8], "big", signed=True))
    if ids:
        tx.conn.execute(
            sa.text(
                "SELECT pg_advisory_xact_lock(lock_id) FROM "
                "unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS wanted(lock_id, n) ORDER BY n"
            ),
            {"ids": sorted(ids)},
        )


def _existing(tx: Tx, owner: str, items: list[_Item]) -> dict[tuple[str, str | None], int]:
    """The first stored compound of each duplicate key among ``items`` (one query)."""
    inchikeys = sorted({key[0] for item in items if (key := item.key()) is not None})
    if not inchikeys:
        return {}
    c = _TABLES.compounds.c
    found: dict[tuple[str, str | None], int] = {}
    for compound_id, inchikey, provenance in tx.conn.execute(
        sa.select(c.id, c.inchikey, c.provenance_key)
        .where(c.owner == owner, c.inchikey.in_(inchikeys))
        .order_by(c.id)
    ):
        found.setdefault((inchikey, provenance), int(compound_id))
    return found


def _save_round(
    tx: Tx,
    owner: str,
    items: list[_Item],
    on_duplicate: str,
    results: list[SaveResult | None],
) -> list[dict[str, Any]]:
    """Save items of which no two are duplicates of each other; their audit entries."""
    tables = _TABLES
    existing = {} if on_duplicate == "keep" else _existing(tx, owner, items)
    inserts: list[_Item] = []
    replaces: list[tuple[_Item, int]] = []
    for item in items:
        key = item.key()
        found = existing.get(key) if key is not None else None
        if found is None or on_duplicate == "keep":
            inserts.append(item)
        elif on_duplicate == "skip":
            results[item.index] = SaveResult(found, "skipped")
        else:
            replaces.append((item, found))
    written: list[tuple[_Item, int, str]] = []
    if replaces:
        ids = [compound_id for _, compound_id in replaces]
        for table in (tables.rows, tables.flags, tables.pdb):
            tx.conn.execute(table.delete().where(table.c.compound_id.in_(ids)))
        columns = [*replaces[0][0].values, "owner", "job_id"]
        tx.conn.execute(
            tables.compounds.update()
            .where(tables.compounds.c.id == sa.bindparam("replaced_id"))
            .values(
                {
                    **{name: sa.bindparam(f"new_{name}") for name in columns},
                    "created_at": sa.func.now(),
                }
            ),
            [
                {
                    "replaced_id": compound_id,
                    **{f"new_{k}": v for k, v in _compound_row(item, owner).items()},
                }
                for item, compound_id in replaces
            ],
        )
        written += [(item, compound_id, "replaced") for item, compound_id in replaces]
    if inserts:
        new_ids = tx.conn.execute(
            tables.compounds.insert().returning(
                tables.compounds.c.id, sort_by_parameter_order=True
            ),
            [_compound_row(item, owner) for item in inserts],
        ).scalars()
        written += [
            (item, int(compound_id), "inserted")
            for item, compound_id in zip(inserts, new_ids, strict=True)
        ]
    flags: list[dict[str, Any]] = []
    pdb: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    written.sort(key=lambda w: w[0].index)
    # Every compound's rows in one statement, in the order of the reports.
    write_rows_of(
        tx, owner, [(compound_id, item.prepared.records) for item, compound_id, _ in written]
    )
    for item, compound_id, action in written:
        prepared = item.prepared
        children = {"owner": owner, "compound_id": compound_id}
        flags += [{**children, **f} for f in prepared.flags]
        if prepared.pdb is not None:
            pdb.append({**children, **prepared.pdb})
        results[item.index] = SaveResult(compound_id, action)
        details = {
            "action": action,
            "name": item.values["name"],
            "inchikey": item.values["inchikey"],
            "rows": len(prepared.records),
            "flag_records": len(prepared.flags),
            "pdb_records": 0 if prepared.pdb is None else 1,
        }
        audit.append(
            {
                "actor": owner,
                "action": "save",
                "target": f"compound:{compound_id}",
                "details": details,
            }
        )
    if flags:
        tx.conn.execute(tables.flags.insert(), flags)
    if pdb:
        tx.conn.execute(tables.pdb.insert(), pdb)
    return audit


def _compound_row(item: _Item, owner: str) -> dict[str, Any]:
    return {**item.values, "owner": owner, "job_id": item.job_id}
