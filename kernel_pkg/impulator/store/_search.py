"""Finding stored compounds by name, ChEMBL id, InChIKey or substructure.

How :func:`search` reads its text (see :func:`search_paths`):

| text | path |
|---|---|
| ``CHEMBL1421``, ``IMPDEMO-000012`` | ChEMBL id: the compound's, or a molecule in its rows |
| ``ZBNZXTGUTAYRHI-UHFFFAOYSA-N`` | InChIKey of the query compound |
| ``ZBNZXTGUTAYRHI`` (14 capitals) | InChIKey first block (connectivity), and name |
| any other text | name, case-insensitive substring |
| text RDKit reads as SMARTS | also substructure of the query compound (``c1ccccc1O``) |

Substructure search runs RDKit in Python over the compounds visible to the user, newest
first, in pages; it stops after ``SUBSTRUCTURE_SCAN_LIMIT`` compounds and says so in the
result's ``attrs["note"]``. Like every query, it sees only what the database shows the user.
"""

from __future__ import annotations

import re
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
from rdkit import Chem, rdBase

from impulator._errors import InvalidInput
from impulator.store._columns import LIST_COLUMNS, compounds_frame
from impulator.store._models import Compound, ResultRow
from impulator.store._session import Tx, transaction

__all__ = ["SUBSTRUCTURE_SCAN_LIMIT", "search", "search_paths", "text_conditions"]

_c = cast(sa.Table, Compound.__table__).c
_r = cast(sa.Table, ResultRow.__table__).c

#: Most compounds a substructure search tests before it stops.
SUBSTRUCTURE_SCAN_LIMIT = 100_000
_SCAN_PAGE = 2_000

_CHEMBL_ID = re.compile(r"^(CHEMBL\d+|IMPDEMO-\d+)$", re.IGNORECASE)
_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")
_INCHIKEY_BLOCK = re.compile(r"^[A-Z]{14}$")


def search_paths(text: str) -> tuple[str, ...]:
    """Which ways :func:`search` reads ``text``.

    Example:
        >>> search_paths("CHEMBL1421"), search_paths("ZBNZXTGUTAYRHI-UHFFFAOYSA-N")
        (('chembl_id',), ('inchikey',))
        >>> search_paths("ZBNZXTGUTAYRHI"), search_paths("dasatinib")
        (('inchikey_block', 'name'), ('name',))
        >>> search_paths("c1ccccc1O"), search_paths("CCO")
        (('name', 'substructure'), ('name', 'substructure'))
    """
    text = text.strip()
    if _CHEMBL_ID.match(text):
        return ("chembl_id",)
    if _INCHIKEY.match(text):
        return ("inchikey",)
    if _INCHIKEY_BLOCK.match(text):
        return ("inchikey_block", "name")
    return ("name", "substructure") if _smarts(text) is not None else ("name",)


def _smarts(text: str) -> Chem.Mol | None:
    if not text or any(ch.isspace() for ch in text):
        return None
    with rdBase.BlockLogs():
        return Chem.MolFromSmarts(text)


def text_conditions(
    tx: Tx, text: str, limit: int | None = None
) -> tuple[dict[str, Any], str | None]:
    """WHERE conditions for ``text``, one per path (see the module's table), and a note."""
    text = text.strip()
    if not text:
        raise InvalidInput("search text is empty: give a name, ChEMBL id, InChIKey or SMARTS")
    parts: dict[str, Any] = {}
    note = None
    for path in search_paths(text):
        if path == "chembl_id":
            chembl = text.upper()
            in_rows = sa.exists().where(_r.compound_id == _c.id, _r.molecule_chembl_id == chembl)
            parts[path] = sa.or_(_c.chembl_id == chembl, in_rows)
        elif path == "inchikey":
            parts[path] = _c.inchikey == text
        elif path == "inchikey_block":
            parts[path] = _c.inchikey.like(f"{text}-%")
        elif path == "name":
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parts[path] = sa.func.lower(_c.name).like(f"%{escaped.lower()}%", escape="\\")
        else:
            ids, note = _substructure_ids(tx, text, limit)
            parts[path] = _c.id.in_(ids)
    return parts, note


def _substructure_ids(tx: Tx, smarts: str, limit: int | None) -> tuple[list[int], str | None]:
    pattern = _smarts(smarts)
    assert pattern is not None
    matches: list[int] = []
    verdicts: dict[str, bool] = {}
    scanned, last = 0, None
    while scanned < SUBSTRUCTURE_SCAN_LIMIT:
        query = sa.select(_c.id, _c.parent_smiles).where(_c.parent_smiles.is_not(None))
        if last is not None:
            query = query.where(_c.id < last)
        batch = tx.conn.execute(
            query.order_by(_c.id.desc()).limit(min(_SCAN_PAGE, SUBSTRUCTURE_SCAN_LIMIT - scanned))
        ).all()
        if not batch:
            return matches, None
        for compound_id, smiles in batch:
            if smiles not in verdicts:
                with rdBase.BlockLogs():
                    mol = Chem.MolFromSmiles(smiles)
                verdicts[smiles] = mol is not None and mol.HasSubstructMatch(pattern)
            if verdicts[smiles]:
                matches.append(int(compound_id))
                if limit is not None and len(matches) >= limit:
                    return matches, None
        scanned += len(batch)
        last = batch[-1][0]
    note = (
        f"substructure search stopped after the newest {SUBSTRUCTURE_SCAN_LIMIT:,} compounds; "
        "narrow the search (a name, ChEMBL id or InChIKey) to look further back"
    )
    return matches, note


def search(text: str, limit: int = 50, url: str | None = None) -> pd.DataFrame:
    """Compounds matching ``text``, newest first (``LIST_COLUMNS`` plus ``matched_by``).

    The module's table says how a text is read; ``matched_by`` names the paths that matched
    (comma-separated).
    ``attrs["note"]`` says when a substructure search stopped early.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> search("c1ccccc1O", url=url).empty
        True
    """
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    with transaction(url, "search compounds") as tx:
        conditions, note = text_conditions(tx, text, limit)
        flags = [sa.case((c, 1), else_=0).label(f"by_{p}") for p, c in conditions.items()]
        query = (
            sa.select(*(_c[name] for name in LIST_COLUMNS), *flags)
            .where(sa.or_(*conditions.values()))
            .order_by(_c.created_at.desc(), _c.id.desc())
            .limit(limit)
        )
        rows = tx.conn.execute(query).all()
    paths, width = list(conditions), len(LIST_COLUMNS)
    matched = [",".join(p for p, hit in zip(paths, r[width:], strict=True) if hit) for r in rows]
    frame = compounds_frame([r[:width] for r in rows], {"matched_by": matched})
    if note:
        frame.attrs["note"] = note
    return frame
