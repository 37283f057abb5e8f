"""Scalars in, scalars out; arrays in, arrays out; Series in, Series out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "ArrayLike",
    "Columns",
    "FloatArray",
    "as_float_array",
    "ndim",
    "output_like",
    "unwrap",
    "with_columns",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
#: A DataFrame, or a mapping of column names to arrays (the columns computed so far).
Columns: TypeAlias = Any
ArrayLike: TypeAlias = (
    float | int | Sequence[Any] | FloatArray | npt.NDArray[Any] | pd.Series | None
)


def as_float_array(values: object) -> FloatArray:
    """``values`` as a float array; None and non-numeric entries become NaN."""
    if values is None:
        return np.array(np.nan)
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        flat = pd.to_numeric(pd.Series(np.ravel(np.asarray(values, dtype=object))), errors="coerce")
        return flat.to_numpy(dtype=float, na_value=np.nan).reshape(np.shape(cast(Any, values)))


def unwrap(result: FloatArray, like: object) -> Any:
    """Shape ``result`` like the input ``like``: a float for a scalar, a Series for a Series."""
    if isinstance(like, pd.Series):
        return pd.Series(np.asarray(result, dtype=float), index=like.index, name=like.name)
    if np.ndim(result) == 0 and (like is None or ndim(like) == 0):
        return float(result)
    return np.asarray(result, dtype=float)


def output_like(*inputs: object) -> object:
    """The input whose kind the output takes: the first Series, else the first array, else None."""
    for value in inputs:
        if isinstance(value, pd.Series):
            return value
    for value in inputs:
        if value is not None and ndim(value) > 0:
            return value
    return None


def ndim(value: object) -> int:
    """Number of dimensions of anything (0 for scalars and None)."""
    return int(np.ndim(cast(Any, value)))


def with_columns(df: pd.DataFrame, new: Mapping[str, Any]) -> pd.DataFrame:
    """A copy of ``df`` with the ``new`` columns (arrays of ``len(df)`` or scalars).

    A name ``df`` already has is replaced where it stands; the others are appended in order.
    The appended columns are built into one frame and joined once: assigning dozens of
    columns one by one copies the frame's bookkeeping each time.
    """
    appended = {name: values for name, values in new.items() if name not in df.columns}
    out = pd.concat([df, pd.DataFrame(appended, index=df.index)], axis=1) if appended else df.copy()
    for name, values in new.items():
        if name not in appended:
            out[name] = values
    return out
