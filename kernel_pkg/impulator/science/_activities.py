"""Activities: units, pActivity and curation (SCIENCE.md section 2)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from impulator._errors import InvalidInput
from impulator.science._arrays import (
    ArrayLike,
    FloatArray,
    as_float_array,
    ndim,
    unwrap,
    with_columns,
)

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
    # Every rule's mask is computed over all records, and the survivors are taken once at the
    # end: each rule counts only what the rules before it left (as if applied in turn).
    n = len(records)
    new: dict[str, Any] = {}
    for column in ACTIVITY_COLUMNS:
        if column not in records.columns:
            new[column] = np.nan if column in ("standard_value", "pchembl_value") else None

    def read(column: str) -> pd.Series:
        if column in records.columns:
            return records[column]
        numeric = column in ("standard_value", "pchembl_value")
        return pd.Series(new[column], index=records.index, dtype=float if numeric else object)

    standard_value = pd.to_numeric(read("standard_value"), errors="coerce")
    pchembl_value = pd.to_numeric(read("pchembl_value"), errors="coerce")
    value_nm = np.asarray(
        to_nanomolar(standard_value.to_numpy(), read("standard_units")), dtype=float
    ).reshape(n)

    removed: dict[str, int] = {}
    kept = np.ones(n, dtype=bool)

    def drop(rule: str, mask: Any) -> None:
        hit = np.asarray(mask, dtype=bool) & kept
        removed[rule] = int(hit.sum())
        kept[hit] = False

    if activity_types is not None:
        selected = frozenset(t.strip().lower() for t in activity_types)
        drop(
            "activity_type",
            ~_by_value(read("standard_type"), ("activity_type", selected), _type_selected),
        )
    drop("missing_value", standard_value.isna().to_numpy(dtype=bool))
    drop("unit", np.isnan(value_nm))
    with np.errstate(invalid="ignore"):
        drop("non_positive", value_nm <= 0)
    if mode == "curated":
        drop("relation", _by_value(read("standard_relation"), ("relation",), _not_equals))
        drop(
            "data_validity",
            _by_value(read("data_validity_comment"), ("data_validity",), _not_validated),
        )
        drop("inactive", _by_value(read("activity_comment"), ("inactive",), _says_inactive))

    value_nm = value_nm[kept]
    computed = np.asarray(pactivity(value_nm), dtype=float).reshape(len(value_nm))
    given = pchembl_value.to_numpy(dtype=float, na_value=np.nan)[kept]
    has_pchembl = ~np.isnan(given)
    disagreements = int(
        np.sum(np.abs(given[has_pchembl] - computed[has_pchembl]) > PCHEMBL_TOLERANCE + 1e-9)
    )
    new["standard_value"] = standard_value[kept]
    new["pchembl_value"] = pchembl_value[kept]
    new["value_nm"] = value_nm
    new["pactivity"] = np.where(has_pchembl, given, computed)
    df = with_columns(records[kept], new)

    if mode == "prototype":
        rows = df.assign(n_records=1, pactivity_spread=0.0).reset_index(drop=True)
    else:
        rows = _aggregate(df)
    return Curation(rows, removed, n, disagreements, mode)


# The text rules, each from a column to one boolean per record (True: the rule removes it
# (inverted for activity_type: True means selected)).
def _type_selected(types: pd.Series, selected: frozenset[str]) -> Any:
    return types.astype(str).str.strip().str.lower().isin(selected)


def _not_equals(relation: pd.Series) -> Any:
    return relation.astype("string").str.strip("'\" ").ne("=").fillna(True).astype(bool)


def _not_validated(validity: pd.Series) -> Any:
    text = validity.astype("string").str.strip().str.lower()
    return text.notna() & text.ne(_KEPT_VALIDITY).fillna(True)


def _says_inactive(comment: pd.Series) -> Any:
    return comment.astype("string").str.lower().str.match(_INACTIVE).fillna(False).astype(bool)


# Outcomes of the text rules by (rule, column dtype, value). Activity records repeat a few
# values (types, relations, comments) endlessly; each takes the rule's pandas path once.
_TEXT_OUTCOMES: dict[tuple[Any, ...], bool] = {}
_TEXT_OUTCOMES_MAX = 50_000


def _by_value(
    column: pd.Series, rule: tuple[Any, ...], test: Callable[..., Any]
) -> npt.NDArray[np.bool_]:
    """``test(column, *rule[1:])`` as a boolean array, computed once per distinct value."""
    args = rule[1:]
    if not (column.dtype == object or isinstance(column.dtype, pd.StringDtype)):
        return np.asarray(test(column, *args), dtype=bool)
    values = column.tolist()
    try:
        keys = [(rule, column.dtype, _value_key(v)) for v in values]
        outcome = {key: _TEXT_OUTCOMES.get(key) for key in keys}
    except TypeError:  # an unhashable value: the whole column the plain way
        return np.asarray(test(column, *args), dtype=bool)
    unseen = {key: v for key, v in zip(keys, values, strict=True) if outcome[key] is None}
    if unseen:
        fresh = pd.Series(list(unseen.values()), dtype=column.dtype)
        outcomes = np.asarray(test(fresh, *args), dtype=bool).tolist()
        computed = dict(zip(unseen, outcomes, strict=True))
        outcome.update(computed)
        if len(_TEXT_OUTCOMES) > _TEXT_OUTCOMES_MAX:
            _TEXT_OUTCOMES.clear()
        _TEXT_OUTCOMES.update(computed)
    return np.array([outcome[key] for key in keys], dtype=bool)


def _value_key(value: Any) -> tuple[Any, ...]:
    # The type keeps 1, 1.0 and True apart; NaN (never equal to itself) gets a key of its own.
    if isinstance(value, float) and value != value:
        return ("nan", type(value).__name__)
    return (type(value).__name__, value)


def _aggregate(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["molecule_chembl_id", "target_chembl_id", "standard_type"]
    if df.empty:
        return df.assign(n_records=pd.Series(dtype=int), pactivity_spread=pd.Series(dtype=float))
    if any(df[key].dtype == object or df[key].isna().any() for key in keys):
        # groupby's own path: missing keys, and keys of mixed types (which its index retypes)
        return _aggregate_by_groupby(df, keys)
    # Groups in order of first appearance (as groupby(sort=False) and drop_duplicates).
    codes = _group_codes(df, keys)
    values = df["pactivity"].to_numpy(dtype=float)
    order = np.lexsort((values, codes))  # by group, then by pActivity (NaN last)
    sorted_codes, sorted_values = codes[order], values[order]
    groups = int(codes.max()) + 1
    counts = np.bincount(codes[~np.isnan(values)], minlength=groups)
    starts = np.searchsorted(sorted_codes, np.arange(groups))
    median, low, high = (np.full(groups, np.nan) for _ in range(3))
    has = counts > 0
    lower = sorted_values[starts[has] + (counts[has] - 1) // 2]
    upper = sorted_values[starts[has] + counts[has] // 2]
    median[has] = np.where(counts[has] % 2, lower, (lower + upper) / 2)
    low[has] = sorted_values[starts[has]]
    high[has] = sorted_values[starts[has] + counts[has] - 1]
    first = np.unique(codes, return_index=True)[1]
    # Keep the first record's other fields (assay, document...) as the row's context.
    head = df.take(first)[keys + [c for c in df.columns if c not in keys]]
    value_nm = 10.0 ** (9.0 - median)
    out = with_columns(
        head,
        {
            "pactivity": median,
            "n_records": counts.astype(int),
            "pactivity_spread": high - low,
            "value_nm": value_nm,
            # The record-level fields now describe the aggregate, not the first record.
            "standard_relation": "=",
            "standard_value": value_nm,
            "standard_units": "nM",
            "pchembl_value": median,
        },
    )
    return out.reset_index(drop=True)


def _group_codes(df: pd.DataFrame, keys: list[str]) -> Any:
    seen: dict[tuple[Any, ...], int] = {}
    columns = [df[key].tolist() for key in keys]
    return np.fromiter(
        (seen.setdefault(key, len(seen)) for key in zip(*columns, strict=True)),
        dtype=np.intp,
        count=len(df),
    )


def _aggregate_by_groupby(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = df.groupby(keys, sort=False, dropna=False)["pactivity"]
    stats = grouped.agg(["median", "count", "min", "max"])
    first = df.drop_duplicates(keys).set_index(keys)
    first["pactivity"] = stats["median"]
    first["n_records"] = stats["count"].astype(int)
    first["pactivity_spread"] = stats["max"] - stats["min"]
    first["value_nm"] = 10.0 ** (9.0 - first["pactivity"])
    first["standard_relation"] = "="
    first["standard_value"] = first["value_nm"]
    first["standard_units"] = "nM"
    first["pchembl_value"] = first["pactivity"]
    return first.reset_index()
