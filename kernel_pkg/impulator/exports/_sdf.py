"""SDF export: one record per compound, its structure with the numbers a chemist sorts by."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdkit import Chem
from rdkit.Chem import rdDepictor

from impulator.exports._load import compounds_table, load_compounds, write

__all__ = ["SDF_FIELDS", "compounds_sdf"]

#: The SD fields of each record (from ``compounds_table``), in order: SD name -> column.
SDF_FIELDS: dict[str, str] = {
    "impulator_id": "compound_id",
    "name": "name",
    "query": "query",
    "chembl_id": "chembl_id",
    "inchikey": "inchikey",
    "smiles": "smiles",
    "best_score": "best_score",
    "best_class": "best_class",
    "scoring_model": "scoring_model",
    "high_means": "high_means",
    "mw": "mw",
    "n_rows": "n_rows",
    "n_flags": "n_flags",
    "flags": "flags",
    "imp_candidate_rows": "imp_candidate_rows",
    "owner": "owner",
    "stored_at": "stored_at",
    "bioactivity_source": "bioactivity_source",
}


def _field(value: Any) -> str:
    """An SD field value on one line ("" when missing)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    return " ".join(str(value).split())


def _molecule(smiles: str | None) -> Chem.Mol:
    """The structure with 2D coordinates (an empty molecule when there is none)."""
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        return Chem.Mol()
    rdDepictor.Compute2DCoords(mol)
    return mol


def compounds_sdf(
    ids: Iterable[Any], url: str | None = None, *, path: str | Path | None = None
) -> bytes:
    """An SD file of the compounds ``ids``: each standardised parent structure (2D) with
    the fields of ``SDF_FIELDS`` (ids, InChIKey, best score and class, model, MW, rows,
    flags, ...). The title line is the compound's name. Reads back with RDKit's
    ``SDMolSupplier``; a compound stored without a structure is an empty record.

    Raises:
        ValueError: nothing selected.
        CompoundNotFound: an id does not exist or is not shared with you.

    Example:
        >>> sorted(SDF_FIELDS)[:3]
        ['best_class', 'best_score', 'bioactivity_source']
    """
    table = compounds_table(load_compounds(ids, url))
    buffer = io.StringIO()
    writer = Chem.SDWriter(buffer)
    try:
        for record in table.to_dict("records"):
            mol = _molecule(record["smiles"])
            mol.SetProp("_Name", _field(record["name"]) or f"compound {record['compound_id']}")
            for sd_name, column in SDF_FIELDS.items():
                mol.SetProp(sd_name, _field(record[column]))
            writer.write(mol)
    finally:
        writer.close()
    return write(buffer.getvalue().encode("utf-8"), path)
