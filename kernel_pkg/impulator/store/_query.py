"""Reading stored analyses: one compound in full, pages of compounds.

Every query simply selects: on PostgreSQL, row-level security shows each user their own
compounds, those shared with their groups, and everything to administrators. ``mine=True`` is
a convenience filter, not a security measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    PdbEvidenceRecord,
    ResultRow,
)
from impulator.store._rows import TYPED_COLUMNS, rebuild
from impulator.store._save import DTYPES_KEY
from impulator.store._search import text_conditions
from impulator.store._session import Tx, transaction

__all__ = [
    "FILTERS",
    "SORT_KEYS",
    "CompoundPage",
    "StoredCompound",
    "get",
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
        found = tx.conn.execute(sa.select(_compounds).where(_c.id == compound_id)).first()
        if found is None:
            raise CompoundNotFound(compound_id)
        values = dict(found._mapping)
        summary = dict(values["summary"] or {})
        rows = _rows_of(tx, compound_id, summary.pop(DTYPES_KEY, None) or [])
        flag_columns = ("inchikey", "smiles", "flags", "matches")
        flags = _records(
            tx, cast(sa.Table, InterferenceRecord.__table__), compound_id, flag_columns
        )
        pdb = _records(
            tx,
            cast(sa.Table, PdbEvidenceRecord.__table__),
            compound_id,
            ("source", "entries", "score"),
        )
        groups = Group.__table__.c
        shares = CompoundShare.__table__.c
        shared_with = tx.conn.execute(
            sa.select(groups.name)
            .join_from(CompoundShare.__table__, Group.__table__, shares.group_id == groups.id)
            .where(shares.compound_id == compound_id)
            .order_by(groups.name)
        ).scalars()
        shared = [str(n) for n in shared_with]
    return StoredCompound(
        id=int(values["id"]),
        owner=values["owner"],
        name=values["name"],
        query=values["query"],
        parent_smiles=values["parent_smiles"],
        inchikey=values["inchikey"],
        chembl_id=values["chembl_id"],
        best_score=values["best_score"],
        best_class=values["best_class"],
        model_id=values["model_id"],
        mw=values["mw"],
        n_rows=int(values["n_rows"] or 0),
        n_flags=int(values["n_flags"] or 0),
        created_at=aware(values["created_at"]),
        job_id=values["job_id"],
        provenance_key=values["provenance_key"],
        provenance=dict(values["provenance"] or {}),
        summary=summary,
        rows=rows,
        flags=flags,
        pdb=pdb,
        shared_with=shared,
    )


def _rows_of(tx: Tx, compound_id: int, dtypes: Sequence[Sequence[str]]) -> pd.DataFrame:
    """A compound's result rows as saved (JSON parsed here, not in the shared server)."""
    typed = [_r[name] for name in TYPED_COLUMNS]
    stored = tx.conn.execute(
        sa.select(*typed, _r.data).where(_r.compound_id == compound_id).order_by(_r.id)
    ).all()
    return rebuild([r[:-1] for r in stored], [r[-1] or {} for r in stored], dtypes)


def _records(
    tx: Tx, table: sa.Table, compound_id: int, columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    chosen = [table.c[name] for name in columns]
    query = sa.select(*chosen).where(table.c.compound_id == compound_id).order_by(table.c.id)
    return [dict(r._mapping) for r in tx.conn.execute(query)]


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
