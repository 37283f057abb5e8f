"""The result of one analysis: rows (SCIENCE.md section 9), summary and provenance (10)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from impulator._errors import InvalidInput
from impulator.chem import FLAG_NAMES, Structure

__all__ = [
    "PROTOTYPE_COLUMNS",
    "RESULT_COLUMNS",
    "Report",
    "best_class",
    "best_row",
    "best_rows",
    "default_name",
    "json_ready",
]

#: The results table, in display order (SCIENCE.md section 9).
RESULT_COLUMNS: tuple[str, ...] = (
    # identity
    "molecule_chembl_id",
    "pref_name",
    "canonical_smiles",
    "inchikey",
    "similarity",
    "standard_type",
    "value_nm",
    "pactivity",
    "n_records",
    "pactivity_spread",
    "target_chembl_id",
    "target_pref_name",
    "target_organism",
    "assay_chembl_id",
    "assay_type",
    "document_chembl_id",
    "pubmed_id",
    # descriptors
    "mw",
    "tpsa",
    "nha",
    "npol",
    "qed",
    "hbd",
    "hba",
    "logp",
    "aromatic_rings",
    "rotatable_bonds",
    "ro5_violations",
    # flags
    *FLAG_NAMES,
    *(f"{f}_matches" for f in FLAG_NAMES),
    # PDB
    "pdb_structures",
    "pdb_ligands",
    "pdb_score",
    # indices and planes
    "sei",
    "bei",
    "nsei",
    "nbei",
    "nbei_log",
    "le",
    "lle",
    "modulus_sei_bei",
    "angle_sei_bei",
    "slope_sei_bei",
    "angle_label",
    "modulus_nsei_nbei",
    "angle_nsei_nbei",
    "slope_nsei_nbei",
    # cohort statistics
    "z_sei",
    "z_bei",
    "z_nsei",
    "z_nbei",
    "percentile_sei",
    "percentile_bei",
    "percentile_nsei",
    "percentile_nbei",
    "outlier_sei",
    "outlier_bei",
    "outlier_nsei",
    "outlier_nbei",
    "outlier_count",
    "imp_candidate",
    "imp_confidence",
    # scores
    "efficiency_score",
    "angle_score",
    "distance_score",
    "pdb_evidence_used",
    "interference_score",
    "weight_efficiency",
    "weight_angle",
    "weight_distance",
    "weight_pdb",
    "weight_interference",
    "efficiency_contribution",
    "angle_contribution",
    "distance_contribution",
    "pdb_contribution",
    "interference_contribution",
    "base_score",
    "qed_multiplier",
    "final_score",
    "classification",
    "priority",
    "scoring_model",
    "invalid_reason",
)

#: The prototype's CSV column names, for ``Report.to_csv(flavour="prototype")``.
PROTOTYPE_COLUMNS: dict[str, str] = {
    "molecule_chembl_id": "ChEMBL_ID",
    "pref_name": "Molecule_Name",
    "canonical_smiles": "SMILES",
    "similarity": "Similarity",
    "standard_type": "Activity_Type",
    "value_nm": "Activity_Value_nM",
    "pactivity": "pActivity",
    "target_chembl_id": "Target_ChEMBL_ID",
    "target_pref_name": "Target_Name",
    "mw": "Molecular_Weight",
    "tpsa": "TPSA",
    "nha": "Heavy_Atoms",
    "npol": "NPOL",
    "qed": "QED",
    "sei": "SEI",
    "bei": "BEI",
    "nsei": "NSEI",
    "nbei": "NBEI",
    "modulus_sei_bei": "Modulus_SEI_BEI",
    "angle_sei_bei": "Angle_SEI_BEI",
    "modulus_nsei_nbei": "Modulus_NSEI_NBEI",
    "angle_nsei_nbei": "Angle_NSEI_NBEI",
    "outlier_count": "Outlier_Count",
    "imp_candidate": "Is_IMP_Candidate",
    "imp_confidence": "IMP_Confidence",
    "pains": "PAINS_Alert",
    "aggregator": "Aggregator_Alert",
    "redox": "Redox_Alert",
    "fluorescence": "Fluorescence_Alert",
    "thiol_reactive": "Thiol_Reactive_Alert",
    "pdb_structures": "PDB_Structures",
    "pdb_score": "PDB_Score",
    "efficiency_score": "Efficiency_Score",
    "angle_score": "Angle_Score",
    "distance_score": "Distance_Score",
    "interference_score": "Interference_Score",
    "qed_multiplier": "QED_Multiplier",
}
# Model-specific names of the headline columns in the prototype's CSV.
_PROTOTYPE_SCORE_PREFIX = {"oqpla-2": "OQPLA", "imp-4": "IMP"}

Flavour = Literal["impulator", "prototype"]


@dataclass
class Report:
    """One analysis: the query, its scored neighbourhood, what was removed and why.

    Attributes:
        query: the query as given.
        structure: the standardised query (None when it could not be read).
        rows: one row per scored activity (``RESULT_COLUMNS``).
        summary: counts a chemist reads first (see ``impulator.analyze``).
        provenance: what produced these numbers (SCIENCE.md section 10).
        availability: neighbour counts per lower threshold when nothing was found.
    """

    query: str
    structure: Structure | None
    rows: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    availability: dict[float, int] = field(default_factory=dict)

    @property
    def model(self) -> str:
        """The scoring model id."""
        return str(self.provenance.get("scoring_model", ""))

    def to_csv(self, path: str | Path, flavour: Flavour = "impulator") -> Path:
        """Write the rows as CSV (UTF-8 with BOM, so Excel reads names and µ correctly).

        ``flavour="prototype"`` writes the old prototype's column names (SEI, BEI,
        Modulus_SEI_BEI, OQPLA_Final_Score or IMP_Final_Score, ...) for old spreadsheets.
        """
        if flavour not in ("impulator", "prototype"):
            raise InvalidInput(f"flavour must be 'impulator' or 'prototype', not {flavour!r}")
        out = Path(path)
        table = self.prototype_table() if flavour == "prototype" else self.rows
        table.to_csv(out, index=False, encoding="utf-8-sig")
        return out

    def prototype_table(self) -> pd.DataFrame:
        """The rows under the prototype's column names."""
        prefix = _PROTOTYPE_SCORE_PREFIX.get(self.model, self.model.upper())
        names = {
            **PROTOTYPE_COLUMNS,
            "base_score": f"{prefix}_Base_Score",
            "final_score": f"{prefix}_Final_Score",
            "classification": f"{prefix}_Classification",
            "priority": f"{prefix}_Priority",
        }
        columns = [c for c in names if c in self.rows.columns]
        return self.rows[columns].rename(columns=names)

    def to_json(self) -> str:
        """Summary, provenance, availability and rows as strict JSON (NaN becomes null)."""
        payload = {
            "query": self.query,
            "smiles": self.structure.smiles if self.structure else None,
            "inchikey": self.structure.inchikey if self.structure else None,
            "summary": self.summary,
            "provenance": self.provenance,
            "availability": {f"{k:.2f}": v for k, v in self.availability.items()},
            "rows": self.rows.to_dict(orient="records"),
        }
        return json.dumps(json_ready(payload), indent=2, allow_nan=False)

    def __repr__(self) -> str:
        best = self.summary.get("best_score")
        best_text = "n/a" if best is None else f"{best:.3f}"
        return (
            f"<Report {self.query!r}: {self.summary.get('neighbours', 0)} neighbours, "
            f"{len(self.rows)} rows, best {self.model} {best_text}>"
        )


def json_ready(value: Any) -> Any:
    """JSON-ready: numpy and pandas scalars unwrapped, NaN/NA as None."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- the best rows -------------------------------------------------------------------------------


def best_rows(rows: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """The rows of a report by final score, best first (rows without a score last, ties in
    table order); the ``limit`` best when given.

    Example:
        >>> frame = pd.DataFrame({"final_score": [0.2, 0.9, None, 0.9], "id": list("abcd")})
        >>> best_rows(frame)["id"].tolist(), best_rows(frame, 1)["id"].tolist()
        (['b', 'd', 'a', 'c'], ['b'])
    """
    if rows.empty or "final_score" not in rows.columns:
        ordered = rows
    else:
        scores = pd.to_numeric(rows["final_score"], errors="coerce")
        order = scores.reset_index(drop=True).sort_values(
            ascending=False, na_position="last", kind="stable"
        )
        ordered = rows.iloc[order.index.to_numpy()]
    return ordered if limit is None else ordered.head(limit)


def best_row(rows: pd.DataFrame) -> int | None:
    """Position of the best-scoring row (the first of equals; None when no row has a score).

    Example:
        >>> best_row(pd.DataFrame({"final_score": [0.2, float("nan"), 0.7, 0.7]}))
        2
        >>> best_row(pd.DataFrame({"final_score": [None]})), best_row(pd.DataFrame())
        (None, None)
    """
    if rows.empty or "final_score" not in rows.columns:
        return None
    scores = pd.to_numeric(rows["final_score"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(scores).any():
        return None
    return int(np.nanargmax(scores))


def best_class(rows: pd.DataFrame) -> str | None:
    """Classification of the best-scoring row (None when no row has a score).

    Example:
        >>> best_class(pd.DataFrame({"final_score": [0.2, 0.8], "classification": ["a", "b"]}))
        'b'
    """
    position = best_row(rows)
    if position is None or "classification" not in rows.columns:
        return None
    value = rows["classification"].iloc[position]
    return None if json_ready(value) is None else str(value)


def default_name(report: Report) -> str:
    """The query's ChEMBL preferred name when the rows know it, else the query text."""
    rows, query_id = report.rows, report.summary.get("query_chembl_id")
    if query_id and {"molecule_chembl_id", "pref_name"} <= set(rows.columns):
        names = rows.loc[rows["molecule_chembl_id"] == query_id, "pref_name"].dropna()
        names = names[names.astype(str).str.strip() != ""]
        if len(names):
            return str(names.iloc[0])
    return report.query
