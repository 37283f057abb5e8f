"""A report's rows as database records and back: typed columns, the rest JSON, dtypes kept.

The columns users filter and sort by are typed (``TYPED_COLUMNS``); every other column of a
row goes into its ``data`` JSON, and only there, unless it holds one and the same plain value
(a string, number or boolean) in every row of the report, as the scoring weights or a
neighbourhood's organism often do: such a column is kept once per compound (``shared``, stored
with the compound) instead of in every row's JSON, which is what PostgreSQL parses and
compresses. Missing values (NaN, NA) are stored as NULL in
typed columns and left out of ``data`` (a key that is not there reads back as missing, as a
null would); they come back as NaN/NA. Numpy scalars are stored as plain numbers. The pandas
dtype of every column is kept with the compound, so a stored table comes back exactly as it was
saved (infinities, which JSON cannot hold, come back as NaN; scores never are infinite).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pandas as pd

from impulator.pipeline import RESULT_COLUMNS

__all__ = [
    "KEPT_IN_ROWS",
    "TYPED_COLUMNS",
    "RowRecords",
    "column_values",
    "data_json",
    "frame",
    "rebuild",
    "row_records",
]

#: Result-row columns stored as typed database columns (the rest is JSON in ``data``).
TYPED_COLUMNS: tuple[str, ...] = (
    "molecule_chembl_id",
    "target_chembl_id",
    "standard_type",
    "pactivity",
    "sei",
    "bei",
    "nsei",
    "nbei",
    "final_score",
    "classification",
    "priority",
    "imp_candidate",
    "scoring_model",
)
_FLOATS = frozenset({"pactivity", "sei", "bei", "nsei", "nbei", "final_score"})
#: ``data`` keys that queries read in SQL (the per-target summary): always in every row.
KEPT_IN_ROWS: frozenset[str] = frozenset({"target_pref_name"})


@dataclass
class RowRecords:
    """The rows of a report as plain Python columns (None for every missing value).

    ``dtypes`` lists (column, pandas dtype) in column order (a list: JSONB keeps no key order).
    ``shared`` holds the columns left out of every row's ``data``, each with its one value.
    """

    columns: dict[str, list[Any]]
    dtypes: list[tuple[str, str]]
    length: int
    shared: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.length

    def typed(self) -> list[tuple[Any, ...]]:
        """One tuple of ``TYPED_COLUMNS`` values per row (None where a column is absent)."""
        nothing = [None] * self.length
        columns = [
            _typed_column(name, self.columns[name]) if name in self.columns else nothing
            for name in TYPED_COLUMNS
        ]
        return list(zip(*columns, strict=True)) if self.length else []

    def data_texts(self) -> list[str]:
        """One ``data`` JSON text per row: the JSON of :meth:`data`'s dict, made by orjson.

        Plain columns (numbers, booleans, strings) are written by orjson; other objects by
        :func:`data_json`, cell by cell, as before; a row orjson refuses (a string that is
        not valid Unicode) falls back to :func:`data_json` whole.
        """
        rest = [c for c in self.columns if c not in TYPED_COLUMNS and c not in self.shared]
        if not rest:
            return ["{}"] * self.length
        # Columns missing in every row are left out at once; rows whose columns are all
        # complete need no per-value check.
        rest = [c for c in rest if any(v is not None for v in self.columns[c])]
        kinds = dict(self.dtypes)
        columns = [_encodable(self.columns[name], kinds.get(name)) for name in rest]
        gaps = [name for name, column in zip(rest, columns, strict=True) if None in column]
        texts = []
        for i, row in enumerate(zip(*columns, strict=True)):
            present = dict(zip(rest, row, strict=True))
            for name in gaps:
                if present[name] is None:
                    del present[name]
            try:
                texts.append(orjson.dumps(present).decode())
            except orjson.JSONEncodeError:
                plain = {name: self.columns[name][i] for name in present}
                texts.append(data_json(plain))
        return texts

    def data(self) -> list[dict[str, Any]]:
        """One ``data`` dict per row: every column neither typed nor shared, missing values
        left out."""
        rest = [c for c in self.columns if c not in TYPED_COLUMNS and c not in self.shared]
        if not rest:
            return [{} for _ in range(self.length)]
        values = zip(*(self.columns[c] for c in rest), strict=True)
        return [
            {name: v for name, v in zip(rest, row, strict=True) if v is not None} for row in values
        ]


def column_values(series: pd.Series) -> list[Any]:
    """Plain Python values of a column: numbers, str, bool, None for every missing value.

    Example:
        >>> column_values(pd.Series([1.5, float("nan")]))
        [1.5, None]
        >>> column_values(pd.Series([3, None], dtype="Int64"))
        [3, None]
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fbiu":
        array = series.to_numpy()
        values: list[Any] = array.tolist()
        if dtype.kind == "f":
            for i in np.flatnonzero(~np.isfinite(array)).tolist():
                values[i] = None
        return values
    objects = series.to_numpy(dtype=object, copy=True)
    missing = pd.isna(objects)
    if missing.any():
        objects[missing] = None
    out: list[Any] = objects.tolist()
    if isinstance(dtype, pd.StringDtype):
        return out  # str and None only
    for i, value in enumerate(out):
        if isinstance(value, np.generic):
            out[i] = value.item()
        if isinstance(out[i], float) and not np.isfinite(out[i]):
            out[i] = None
    return out


#: The exact types orjson writes as ``json.dumps`` does (subclasses, e.g. enums, are not).
_PLAIN = frozenset({float, str, bool})
_INT64 = (-(2**63), 2**64 - 1)  # orjson's integer range


def _encodable(values: list[Any], dtype: str | None) -> list[Any]:
    """A column's values for orjson: plain values as they are, others pre-encoded as JSON."""
    kind = pd.api.types.pandas_dtype(dtype) if dtype else np.dtype(object)
    if (
        isinstance(kind, pd.StringDtype)
        or pd.api.types.is_bool_dtype(kind)
        or pd.api.types.is_numeric_dtype(kind)
    ):
        return values  # column_values made them str, bool, int, finite float or None
    low, high = _INT64
    if all(v is None or type(v) in _PLAIN or (type(v) is int and low <= v <= high) for v in values):
        return values
    return [None if v is None else orjson.Fragment(data_json(v)) for v in values]


def _typed_column(name: str, values: list[Any]) -> list[Any]:
    """A typed column's values as its database type; as they are when they already are."""
    kind = _TYPED_KINDS.get(name, str)
    if all(v is None or type(v) is kind for v in values):
        return values  # the usual case: column_values made them so
    return [_typed(name, v) for v in values]


_TYPED_KINDS: dict[str, type] = {
    **dict.fromkeys(_FLOATS, float),
    "priority": int,
    "imp_candidate": bool,
}


def _typed(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _FLOATS:
        return float(value)
    if name == "priority":
        return int(value)
    if name == "imp_candidate":
        return bool(value)
    return str(value)


def row_records(rows: pd.DataFrame) -> RowRecords:
    """The rows of a report as plain columns, with their dtypes.

    Example:
        >>> frame = pd.DataFrame({"molecule_chembl_id": ["CHEMBL25"], "pactivity": [7.5],
        ...                       "qed": [float("nan")]})
        >>> r = row_records(frame)
        >>> r.typed()[0][:4], r.data()[0], r.dtypes[2]
        (('CHEMBL25', None, None, 7.5), {}, ('qed', 'float64'))
        >>> row_records(pd.DataFrame({"organism": ["Homo sapiens"] * 2, "n": [1, 2]})).shared
        {'organism': 'Homo sapiens'}
    """
    columns = _plain_columns(rows)
    return RowRecords(
        columns=columns,
        dtypes=[(str(c), str(dtype)) for c, dtype in rows.dtypes.items()],
        length=len(rows),
        shared=shared_values(columns, len(rows)),
    )


def _plain_columns(rows: pd.DataFrame) -> dict[str, list[Any]]:
    """:func:`column_values` of every column, in column order.

    Numpy columns of one dtype (most of a report's ~100) are converted together, as one
    2-D array: the same values, without pandas' cost per column.
    """
    if not rows.columns.is_unique:
        return {str(c): column_values(rows[c]) for c in rows.columns}
    by_dtype: dict[np.dtype[Any], list[int]] = {}
    strings: list[int] = []
    values: list[list[Any] | None] = [None] * len(rows.columns)
    for i, dtype in enumerate(rows.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "fbiu":
            by_dtype.setdefault(dtype, []).append(i)
        elif isinstance(dtype, pd.StringDtype):
            strings.append(i)
        else:
            values[i] = column_values(rows.iloc[:, i])
    if strings:  # str and None only, as column_values makes them
        objects = rows.iloc[:, strings].to_numpy(dtype=object, copy=True).T
        objects[pd.isna(objects)] = None
        for i, column_list in zip(strings, objects.tolist(), strict=True):
            values[i] = column_list
    for dtype, positions in by_dtype.items():
        array = rows.iloc[:, positions].to_numpy(dtype=dtype).T
        block: list[list[Any]] = array.tolist()
        if dtype.kind == "f":
            for column, row in zip(*np.nonzero(~np.isfinite(array)), strict=True):
                block[column][row] = None
        for i, column_list in zip(positions, block, strict=True):
            values[i] = column_list
    return {str(c): v for c, v in zip(rows.columns, values, strict=True) if v is not None}


def shared_values(columns: Mapping[str, list[Any]], length: int) -> dict[str, Any]:
    """The untyped columns that hold one plain value in all of ``length`` (2 or more) rows.

    Plain: a str (valid Unicode), bool, int or float, stored and read back as JSON unchanged;
    a float zero must have one sign in every row.
    """
    if length < 2:
        return {}
    shared = {}
    for name, values in columns.items():
        if name in TYPED_COLUMNS or name in KEPT_IN_ROWS:
            continue
        first = values[0]
        kind = type(first)
        if kind not in _SHAREABLE or not all(type(v) is kind and v == first for v in values):
            continue
        if kind is float and first == 0.0:
            sign = math.copysign(1.0, first)
            if any(math.copysign(1.0, v) != sign for v in values):
                continue
        if kind is str and not _unicode(first):
            continue
        shared[name] = first
    return shared


_SHAREABLE = frozenset({str, bool, int, float})


def _unicode(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: JSON columns refuse it
        return False
    return True


def data_json(data: Any) -> str:
    """A value (one row's ``data``, or one cell of an object column) as strict JSON text."""
    return json.dumps(data, allow_nan=False, separators=(",", ":"), default=str)


def rebuild(
    typed: Sequence[Sequence[Any]],
    data: Sequence[Mapping[str, Any]],
    dtypes: Sequence[Sequence[str]],
    shared: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The rows table from stored typed values, ``data`` and ``shared`` (the columns of one
    value for every row), with the saved dtypes.

    Without saved dtypes (rows written by other tools) the columns are ``RESULT_COLUMNS``
    that are present, with dtypes inferred.

    Example:
        >>> r = row_records(pd.DataFrame({"pactivity": [7.5, float("nan")], "n": [1, 2]}))
        >>> rebuild(r.typed(), r.data(), r.dtypes).to_dict("list")
        {'pactivity': [7.5, nan], 'n': [1, 2]}
    """
    kinds = {str(name): str(kind) for name, kind in dtypes}
    names = list(kinds) if kinds else _present(data)
    index = {name: i for i, name in enumerate(TYPED_COLUMNS)}
    shared = shared or {}
    columns = {
        name: [row[index[name]] for row in typed]
        if name in index
        else [shared[name]] * len(data)
        if name in shared
        else [row.get(name) for row in data]
        for name in names
    }
    return frame(columns, kinds)


def frame(columns: Mapping[str, list[Any]], dtypes: Mapping[str, str]) -> pd.DataFrame:
    """A DataFrame of plain columns (None for missing) with these dtypes (inferred if absent).

    Example:
        >>> frame({"n": [1, None]}, {"n": "Int64"})["n"].tolist()
        [1, <NA>]
    """
    series = {name: _series(values, dtypes.get(name)) for name, values in columns.items()}
    return pd.DataFrame(series, columns=list(columns))


def _present(data: Sequence[Mapping[str, Any]]) -> list[str]:
    keys = {k for row in data for k in row}
    return [c for c in RESULT_COLUMNS if c in keys or c in TYPED_COLUMNS]


def _series(values: list[Any], dtype: str | None) -> pd.Series:
    if dtype is None:
        series = pd.Series(values)
        return series.astype("float64") if series.isna().all() else series
    if dtype == "object":
        return pd.Series([np.nan if v is None else v for v in values], dtype=object)
    try:
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):  # e.g. a missing value in a column saved as int64
        return pd.Series(values)
