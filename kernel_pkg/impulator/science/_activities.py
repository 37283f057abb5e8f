"""Activities: units, pActivity and curation (SCIENCE.md section 2)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from impulator._errors import InvalidInput
from impulator.science._arrays import ArrayLike, FloatArray, as_float_array, ndim, unwrap

__all__ = [
    "ACTIVITY_COLUMNS",
    "CURATION_MODES",
    "DEFAULT_ACTIVITY_TYPES",
    "UNIT_FACTORS",
    "Curation",
    "curate_activities",
    "nanomolar_factor",
    "pactivity",
    "to_nanomolar",
]

CurationMode = Literal["curated", "prototype"]
CURATION_MODES: tuple[CurationMode, ...] = ("curated", "prototype")

#: Activity types scored by default (the user may choose any subset).
DEFAULT_ACTIVITY_TYPES = ("IC50", "EC50", "Ki", "Kd", "AC50", "GI50", "MIC")

#: Factors to nanomolar. Micro is accepted as "u", the micro sign (U+00B5) and Greek mu (U+03BC).
UNIT_FACTORS: dict[str, float] = {
    "pM": 1e-3,
    "nM": 1.0,
    "uM": 1e3,
    "µM": 1e3,
    "μM": 1e3,
    "mM": 1e6,
    "M": 1e9,
}

#: Columns ``curate_activities`` reads, named as in ChEMBL's ``activities`` table.
ACTIVITY_COLUMNS = (
    "molecule_chembl_id",
    "target_chembl_id",
    "standard_type",
    "standard_relation",
    "standard_value",
    "standard_units",
    "pchembl_value",
    "data_validity_comment",
    "activity_comment",
)

# ChEMBL's activity_comment values that mean "measured, found inactive".
_INACTIVE = re.compile(r"^\s*(inactive|not active|non[- ]?active|no activity|not significant)")
_KEPT_VALIDITY = "manually validated"
# pChEMBL is -log10(molar) rounded to two decimals: agreement within 0.01 is expected.
PCHEMBL_TOLERANCE = 0.01


def nanomolar_factor(unit: object) -> float:
    """Factor that converts a value in ``unit`` to nM; NaN when the unit is not a concentration.

    Example:
        >>> nanomolar_factor("µM"), nanomolar_factor("ug.mL-1")
        (1000.0, nan)
    """
    if not isinstance(unit, str):
        return float("nan")
    return UNIT_FACTORS.get(unit.strip(), float("nan"))


def to_nanomolar(value: ArrayLike, unit: object) -> Any:
    """Convert concentrations to nM; NaN where the unit cannot be converted.

    ``unit`` is one unit for all values, or one per value.

    Example:
        >>> to_nanomolar(2.5, "uM")
        2500.0
        >>> to_nanomolar([1, 1, 1], ["pM", "mM", "%"]).tolist()
        [0.001, 1000000.0, nan]
    """
    values = as_float_array(value)
    if isinstance(unit, str) or ndim(unit) == 0:
        factors: FloatArray | float = nanomolar_factor(unit)
    else:
        units = cast(Iterable[object], unit)
        factors = np.array([nanomolar_factor(u) for u in units], dtype=np.float64)
    return unwrap(values * factors, value)


def pactivity(value_nm: ArrayLike) -> Any:
    """pActivity = 9 - log10(value in nM); NaN for values <= 0 or missing.

    Example:
        >>> pactivity(10.0)
        8.0
        >>> pactivity([1.0, 0.0, -5.0]).tolist()
        [9.0, nan, nan]
    """
    values = as_float_array(value_nm)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(values > 0, 9.0 - np.log10(np.where(values > 0, values, 1.0)), np.nan)
    return unwrap(result, value_nm)


@dataclass
class Curation:
    """The outcome of curating activity records.

    Attributes:
        rows: the scored rows (see ``curate_activities``).
        removed: records removed, by rule, in the order the rules ran.
        records_in: number of records given.
        pchembl_disagreements: records whose pChEMBL value differs from
            9 - log10(value in nM) by more than 0.01 (the pChEMBL value is used).
        mode: ``"curated"`` or ``"prototype"``.
    """

    rows: pd.DataFrame
    removed: dict[str, int] = field(default_factory=dict)
    records_in: int = 0
    pchembl_disagreements: int = 0
    mode: CurationMode = "curated"

    @property
    def records_kept(self) -> int:
        """Records that passed every rule (before aggregation)."""
        return self.records_in - sum(self.removed.values())

    def summary(self) -> str:
        """One line per rule, for reports and logs."""
        lines = [f"{self.records_in} records in, {self.records_kept} kept ({self.mode})"]
        lines += [f"  {rule}: {count} removed" for rule, count in self.removed.items() if count]
        if self.pchembl_disagreements:
            lines.append(
                f"  {self.pchembl_disagreements} pChEMBL values disagree with the value in nM"
            )
        lines.append(f"  {len(self.rows)} rows to score")
        return "\n".join(lines)


def curate_activities(
    records: pd.DataFrame,
    mode: CurationMode = "curated",
    activity_types: Iterable[str] | None = DEFAULT_ACTIVITY_TYPES,
) -> Curation:
    """Turn ChEMBL activity records into rows to score, counting what each rule removed.

    ``records`` has the columns of ``ACTIVITY_COLUMNS`` (missing optional ones are treated
    as empty); other columns are carried through. Rules, in order: activity type not
    selected, no value, unit not convertible to nM, value <= 0; then, in ``"curated"`` mode
    only: relation other than '=', a data-validity comment other than "Manually validated",
    an activity comment meaning inactive.

    In ``"curated"`` mode, rows are aggregated to one per (molecule, target, activity type):
    the median pActivity, ``n_records`` and ``pactivity_spread`` (max - min). In
    ``"prototype"`` mode every surviving record is one row (``n_records`` = 1).
    Output columns added: ``value_nm``, ``pactivity``, ``n_records``, ``pactivity_spread``.

    Example:
        >>> records = pd.DataFrame({
        ...     "molecule_chembl_id": ["CHEMBL25"] * 3, "target_chembl_id": ["CHEMBL204"] * 3,
        ...     "standard_type": ["Ki"] * 3, "standard_relation": ["=", "=", ">"],
        ...     "standard_value": [10.0, 100.0, 5.0], "standard_units": ["nM"] * 3})
        >>> cur = curate_activities(records)
        >>> cur.rows["pactivity"].tolist(), cur.rows["n_records"].tolist(), cur.removed["relation"]
        ([7.5], [2], 1)
    """
    if mode not in CURATION_MODES:
        raise InvalidInput(f"curation mode must be one of {CURATION_MODES}, not {mode!r}")
    df = records.copy()
    for column in ACTIVITY_COLUMNS:
        if column not in df.columns:
            df[column] = np.nan if column in ("standard_value", "pchembl_value") else None
    df["standard_value"] = pd.to_numeric(df["standard_value"], errors="coerce")
    df["pchembl_value"] = pd.to_numeric(df["pchembl_value"], errors="coerce")
    df["value_nm"] = to_nanomolar(df["standard_value"].to_numpy(), df["standard_units"])

    removed: dict[str, int] = {}

    def drop(rule: str, mask: pd.Series) -> None:
        nonlocal df
        removed[rule] = int(mask.sum())
        df = df.loc[~mask]

    if activity_types is not None:
        selected = {t.strip().lower() for t in activity_types}
        drop(
            "activity_type", ~df["standard_type"].astype(str).str.strip().str.lower().isin(selected)
        )
    drop("missing_value", df["standard_value"].isna())
    drop("unit", df["value_nm"].isna())
    drop("non_positive", df["value_nm"] <= 0)
    if mode == "curated":
        relation = df["standard_relation"].astype("string").str.strip("'\" ")
        drop("relation", relation.ne("=").fillna(True).astype(bool))
        validity = df["data_validity_comment"].astype("string").str.strip().str.lower()
        drop("data_validity", validity.notna() & validity.ne(_KEPT_VALIDITY).fillna(True))
        comment = df["activity_comment"].astype("string").str.lower()
        drop("inactive", comment.str.match(_INACTIVE).fillna(False).astype(bool))

    computed = np.asarray(pactivity(df["value_nm"].to_numpy()), dtype=float)
    given = df["pchembl_value"].to_numpy(dtype=float)
    has_pchembl = ~np.isnan(given)
    disagreements = int(
        np.sum(np.abs(given[has_pchembl] - computed[has_pchembl]) > PCHEMBL_TOLERANCE + 1e-9)
    )
    df["pactivity"] = np.where(has_pchembl, given, computed)

    records_in = len(records)
    if mode == "prototype":
        rows = df.assign(n_records=1, pactivity_spread=0.0).reset_index(drop=True)
    else:
        rows = _aggregate(df)
    return Curation(rows, removed, records_in, disagreements, mode)


def _aggregate(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["molecule_chembl_id", "target_chembl_id", "standard_type"]
    if df.empty:
        return df.assign(n_records=pd.Series(dtype=int), pactivity_spread=pd.Series(dtype=float))
    grouped = df.groupby(keys, sort=False, dropna=False)["pactivity"]
    stats = grouped.agg(["median", "count", "min", "max"])
    # Keep the first record's other fields (assay, document...) as the row's context.
    first = df.drop_duplicates(keys).set_index(keys)
    first["pactivity"] = stats["median"]
    first["n_records"] = stats["count"].astype(int)
    first["pactivity_spread"] = stats["max"] - stats["min"]
    first["value_nm"] = 10.0 ** (9.0 - first["pactivity"])
    # The record-level fields now describe the aggregate, not the first record.
    first["standard_relation"] = "="
    first["standard_value"] = first["value_nm"]
    first["standard_units"] = "nM"
    first["pchembl_value"] = first["pactivity"]
    return first.reset_index()
