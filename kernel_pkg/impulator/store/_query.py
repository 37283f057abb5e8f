"""Reading stored analyses: one compound in full, pages of compounds.

Every query simply selects: on PostgreSQL, row-level security shows each user their own
compounds, those shared with their groups, and everything to administrators. ``mine=True`` is
a convenience filter, not a security measure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from impulator._errors import CompoundNotFound, InvalidInput
from impulator.store._columns import LIST_COLUMNS, aware, compounds_frame
from impulator.store._models import (
    Compound,
    CompoundShare,
    Group,
    InterferenceRecord,
    Job,
    PdbEvidenceRecord,
    ResultRow,
)
from impulator.store._rows import TYPED_COLUMNS, rebuild
from impulator.store._save import DTYPES_KEY, SHARED_KEY
from impulator.store._search import text_conditions
from impulator.store._session import Tx, transaction

__all__ = [
    "FILTERS",
    "SORT_KEYS",
    "CompoundPage",
    "StoredCompound",
    "get",
    "get_many",
    "job_rows",
    "list_compounds",
]

_compounds = cast(sa.Table, Compound.__table__)
_c = _compounds.c
_r = cast(sa.Table, ResultRow.__table__).c

#: Keys ``list`` sorts by ("-" in front: descending).
SORT_KEYS: tuple[str, ...] = ("created_at", "name", "best_score", "mw", "n_rows")
#: Keys of the ``filter`` dict of ``list``.
FILTERS: tuple[str, ...] = (
    "min_score",
    "max_score",
    "classes",
    "has_flags",
    "min_mw",
    "max_mw",
    "target",
    "model",
    "text",
)


@dataclass
class StoredCompound:
    """One stored analysis: the compound's columns, its rows and its other records."""

    id: int
    owner: str
    name: str | None
    query: str
    parent_smiles: str | None
    inchikey: str | None
    chembl_id: str | None
    best_score: float | None
    best_class: str | None
    model_id: str | None
    mw: float | None
    n_rows: int
    n_flags: int
    created_at: datetime
    job_id: int | None
    provenance_key: str | None
    provenance: dict[str, Any]
    summary: dict[str, Any]
    rows: pd.DataFrame = field(repr=False)
    flags: list[dict[str, Any]] = field(default_factory=list, repr=False)
    pdb: list[dict[str, Any]] = field(default_factory=list, repr=False)
    shared_with: list[str] = field(default_factory=list)


@dataclass
class CompoundPage:
    """One page of compounds (``items``: one row per compound, ``LIST_COLUMNS``)."""

    items: pd.DataFrame
    total: int
    page: int
    limit: int
    pages: int


def get(compound_id: int, url: str | None = None) -> StoredCompound:
    """The stored compound ``compound_id`` with its rows (``RESULT_COLUMNS``), flags and PDB.

    Raises:
        CompoundNotFound: no such compound, or it is not shared with you.
    """
    with transaction(url, f"read compound {compound_id}") as tx:
        found = _read(tx, [compound_id])
    if not found:
        raise CompoundNotFound(compound_id)
    return found[0]


def get_many(compound_ids: Iterable[int], url: str | None = None) -> list[StoredCompound]:
    """The stored compounds ``compound_ids``, each as :func:`get` reads it, in one transaction.

    The compounds come in the order asked, each once; an id that does not exist or is not
    shared with you is left out (compare the ids to tell). The number of queries does not
    grow with the number of compounds: five for every 10,000 ids.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> get_many([3, 1], url=url)
        []
    """
    wanted = list(dict.fromkeys(int(i) for i in compound_ids))
    if not wanted:
        return []
    found: dict[int, StoredCompound] = {}
    with transaction(url, f"read {len(wanted)} compounds") as tx:
        for start in range(0, len(wanted), _CHUNK):
            found.update((c.id, c) for c in _read(tx, wanted[start : start + _CHUNK]))
    return [found[i] for i in wanted if i in found]


#: Ids read by one set of :func:`get_many`'s queries (within the bound-parameter limits of
#: SQLite, 32,766, and of PostgreSQL's protocol, 65,535).
_CHUNK = 10_000


def _read(tx: Tx, ids: Sequence[int]) -> list[StoredCompound]:
    """The visible compounds among ``ids`` (in id order), five queries whatever their number."""
    rows = tx.conn.execute(sa.select(_compounds).where(_c.id.in_(ids)).order_by(_c.id)).all()
    if not rows:
        return []
    values = [dict(r._mapping) for r in rows]
    present = [int(v["id"]) for v in values]
    typed = [_r[name] for name in TYPED_COLUMNS]
    stored = tx.conn.execute(
        sa.select(_r.compound_id, *typed, _r.data)
        .where(_r.compound_id.in_(present))
        .order_by(_r.compound_id, _r.id)
    ).all()
    rows_by: dict[int, list[Any]] = {}
    for r in stored:
        rows_by.setdefault(int(r[0]), []).append(r)
    flags = _records(
        tx,
        cast(sa.Table, InterferenceRecord.__table__),
        present,
        ("inchikey", "smiles", "flags", "matches"),
    )
    pdb = _records(
        tx, cast(sa.Table, PdbEvidenceRecord.__table__), present, ("source", "entries", "score")
    )
    groups = Group.__table__.c
    shares = CompoundShare.__table__.c
    shared: dict[int, list[str]] = {}
    for compound_id, name in tx.conn.execute(
        sa.select(shares.compound_id, groups.name)
        .join_from(CompoundShare.__table__, Group.__table__, shares.group_id == groups.id)
        .where(shares.compound_id.in_(present))
        .order_by(shares.compound_id, groups.name)
    ):
        shared.setdefault(int(compound_id), []).append(str(name))
    compounds = []
    for v in values:
        compound_id = int(v["id"])
        summary = dict(v["summary"] or {})
        dtypes = summary.pop(DTYPES_KEY, None) or []
        same_in_every_row = summary.pop(SHARED_KEY, None) or {}
        mine = rows_by.get(compound_id, [])
        compounds.append(
            StoredCompound(
                id=compound_id,
                owner=v["owner"],
                name=v["name"],
                query=v["query"],
                parent_smiles=v["parent_smiles"],
                inchikey=v["inchikey"],
                chembl_id=v["chembl_id"],
                best_score=v["best_score"],
                best_class=v["best_class"],
                model_id=v["model_id"],
                mw=v["mw"],
                n_rows=int(v["n_rows"] or 0),
                n_flags=int(v["n_flags"] or 0),
                created_at=aware(v["created_at"]),
                job_id=v["job_id"],
                provenance_key=v["provenance_key"],
                provenance=dict(v["provenance"] or {}),
                summary=summary,
                rows=rebuild(
                    [r[1:-1] for r in mine], [r[-1] or {} for r in mine], dtypes, same_in_every_row
                ),
                flags=flags.get(compound_id, []),
                pdb=pdb.get(compound_id, []),
                shared_with=shared.get(compound_id, []),
            )
        )
    return compounds


def job_rows(job_id: int, url: str | None = None) -> list[tuple[dict[str, Any], int, pd.DataFrame]]:
    """The compounds the children of batch job ``job_id`` stored, with their rows, in one query.

    One ``(child input_data, compound id, rows)`` per stored compound, by compound id; the
    rows are what :func:`get` reads (``RESULT_COLUMNS``, saved dtypes). Compounds not visible
    to you are left out.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> job_rows(1, url=url)
        []
    """
    jobs = cast(sa.Table, Job.__table__).c
    typed = [_r[name] for name in TYPED_COLUMNS]
    query = (
        sa.select(
            jobs.input_data,
            _c.id,
            _c.summary[DTYPES_KEY],
            _c.summary[SHARED_KEY],
            _r.id,
            *typed,
            _r.data,
        )
        .select_from(cast(sa.Table, Job.__table__))
        .join(_compounds, _c.job_id == jobs.id)
        .outerjoin(cast(sa.Table, ResultRow.__table__), _r.compound_id == _c.id)
        .where(jobs.parent_job_id == job_id)
        .order_by(_c.id, _r.id)
    )
    with transaction(url, f"read the rows of job {job_id}") as tx:
        stored = tx.conn.execute(query).all()
    by_compound: dict[int, list[Any]] = {}
    for r in stored:
        by_compound.setdefault(int(r[1]), []).append(r)
    found = []
    for compound_id, rows in by_compound.items():
        first = rows[0]
        dtypes, shared = first[2] or [], first[3] or {}
        present = [r for r in rows if r[4] is not None]  # None: a compound without rows
        table = rebuild([r[5:-1] for r in present], [r[-1] or {} for r in present], dtypes, shared)
        found.append((dict(first[0] or {}), compound_id, table))
    return found


def _records(
    tx: Tx, table: sa.Table, ids: Sequence[int], columns: tuple[str, ...]
) -> dict[int, list[dict[str, Any]]]:
    """The records of ``table`` for the compounds ``ids``, by compound, in id order."""
    chosen = [table.c[name] for name in columns]
    query = (
        sa.select(table.c.compound_id, *chosen)
        .where(table.c.compound_id.in_(ids))
        .order_by(table.c.compound_id, table.c.id)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for r in tx.conn.execute(query):
        record = dict(r._mapping)
        found.setdefault(int(record.pop("compound_id")), []).append(record)
    return found


# -- list ------------------------------------------------------------------------------------


def _order(sort: str) -> list[sa.ColumnElement[Any]]:
    key = sort[1:] if sort.startswith("-") else sort
    if key not in SORT_KEYS:
        allowed = ", ".join(SORT_KEYS)
        raise InvalidInput(f"cannot sort by {sort!r}: use one of {allowed} (prefix - to reverse)")
    column = _c[key]
    first = column.desc() if sort.startswith("-") else column.asc()
    return [first.nulls_last(), _c.id.desc()]


def _conditions(tx: Tx, filter: Mapping[str, Any] | None, mine: bool) -> list[Any]:
    f = dict(filter or {})
    unknown = sorted(set(f) - set(FILTERS))
    if unknown:
        raise InvalidInput(
            f"unknown filter {', '.join(map(repr, unknown))}: use {', '.join(FILTERS)}"
        )
    where: list[Any] = []
    if mine:
        where.append(_c.owner == tx.owner)
    for key, column, op in (
        ("min_score", _c.best_score, "ge"),
        ("max_score", _c.best_score, "le"),
        ("min_mw", _c.mw, "ge"),
        ("max_mw", _c.mw, "le"),
    ):
        if f.get(key) is not None:
            bound = float(f[key])
            where.append(column >= bound if op == "ge" else column <= bound)
    if f.get("classes"):
        classes = [f["classes"]] if isinstance(f["classes"], str) else list(f["classes"])
        where.append(_c.best_class.in_(classes))
    if f.get("has_flags") is not None:
        where.append(_c.n_flags > 0 if f["has_flags"] else _c.n_flags == 0)
    if f.get("model"):
        where.append(_c.model_id == str(f["model"]))
    if f.get("target"):
        where.append(
            sa.exists().where(_r.compound_id == _c.id, _r.target_chembl_id == str(f["target"]))
        )
    if f.get("text"):
        where.append(sa.or_(*text_conditions(tx, str(f["text"]))[0].values()))
    return where


def list_compounds(
    filter: Mapping[str, Any] | None = None,
    sort: str = "-created_at",
    page: int = 1,
    limit: int = 50,
    *,
    mine: bool = False,
    clamp: bool = False,
    url: str | None = None,
) -> CompoundPage:
    """One page of the compounds you can see (exported as ``impulator.store.list_compounds``).

    ``filter`` keys: ``min_score``, ``max_score``, ``classes`` (best classes), ``has_flags``,
    ``min_mw``, ``max_mw``, ``target`` (a target ChEMBL id among the rows), ``model``,
    ``text`` (read as :func:`impulator.store.search` reads it). ``sort``: one of
    ``SORT_KEYS``, ``-`` in front for descending; ties newest first. A ``page`` past the last
    one is empty, or with ``clamp`` the last page (a filter or a deletion can shrink the list
    a viewer is paging through); the returned ``page`` says which it is.

    Example:
        >>> import os, tempfile
        >>> from impulator import store
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> page = store.list_compounds({"min_score": 0.7}, sort="-best_score", url=url)
        >>> page.total, page.pages, list(page.items.columns[:3])
        (0, 0, ['id', 'name', 'owner'])
    """
    if page < 1 or limit < 1:
        raise InvalidInput(f"page and limit must be at least 1, not {page} and {limit}")
    order = _order(sort)
    with transaction(url, "list compounds") as tx:
        where = _conditions(tx, filter, mine)
        total = int(
            tx.conn.execute(
                sa.select(sa.func.count()).select_from(Compound.__table__).where(*where)
            ).scalar_one()
        )
        pages = -(-total // limit)
        if clamp and pages:
            page = min(page, pages)
        query = (
            sa.select(*(_c[name] for name in LIST_COLUMNS))
            .where(*where)
            .order_by(*order)
            .limit(limit)
            .offset((page - 1) * limit)
        )
        items = compounds_frame(tx.conn.execute(query).all())
    return CompoundPage(items, total, page, limit, pages)
