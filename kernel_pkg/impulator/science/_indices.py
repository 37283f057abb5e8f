"""Ligand-efficiency indices (SCIENCE.md section 4).

SEI and BEI are Abad-Zapatero & Metz (Drug Discov. Today 2005). NBEI as a ratio is the
prototype's scoring form; the log form ``nbei_log`` is what AtlasCBS plots. An index whose
denominator is zero, negative or missing is NaN, never inf and never 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from impulator.science._arrays import (
    ArrayLike,
    Columns,
    FloatArray,
    as_float_array,
    output_like,
    unwrap,
    with_columns,
)

__all__ = ["INDEX_NAMES", "LE_KCAL_PER_PACTIVITY", "add_efficiency_indices", "efficiency_indices"]

#: Keys returned by ``efficiency_indices``, in display order.
INDEX_NAMES = ("sei", "bei", "nsei", "nbei", "nbei_log", "le", "lle")

#: 2.303 RT at 300 K in kcal/mol: LE = 1.37 x pActivity / heavy atoms.
LE_KCAL_PER_PACTIVITY = 1.37


def _ratio(numerator: FloatArray, denominator: FloatArray, scale: float = 1.0) -> FloatArray:
    valid = np.isfinite(denominator) & (denominator > 0)
    safe = np.where(valid, denominator, 1.0)
    with np.errstate(invalid="ignore"):
        return np.where(valid, numerator / (safe / scale), np.nan)


def efficiency_indices(
    pactivity: ArrayLike,
    tpsa: ArrayLike,
    mw: ArrayLike,
    npol: ArrayLike,
    nha: ArrayLike,
    logp: ArrayLike = None,
) -> dict[str, Any]:
    """SEI, BEI, NSEI, NBEI, nBEI (log form), LE and LLE.

    | key | formula | NaN when |
    |---|---|---|
    | sei | pActivity / (tpsa / 100) | tpsa <= 0 or missing |
    | bei | pActivity / (mw / 1000) | mw <= 0 |
    | nsei | pActivity / npol | npol = 0 |
    | nbei | pActivity / nha | nha = 0 |
    | nbei_log | pActivity + log10(nha) | nha = 0 |
    | le | 1.37 x pActivity / nha | nha = 0 |
    | lle | pActivity - logp | logp not given |

    Scalars in, floats out; arrays in, arrays out; Series in, Series out.

    Example:
        >>> ix = efficiency_indices(7.5, tpsa=85.2, mw=342.1, npol=5, nha=24)
        >>> round(ix["sei"], 4), round(ix["bei"], 4), ix["nsei"], ix["nbei"]
        (8.8028, 21.9234, 1.5, 0.3125)
        >>> efficiency_indices(7.5, tpsa=0, mw=342.1, npol=0, nha=24)["sei"]
        nan
    """
    p = as_float_array(pactivity)
    tpsa_a, mw_a = as_float_array(tpsa), as_float_array(mw)
    npol_a, nha_a = as_float_array(npol), as_float_array(nha)
    logp_a = as_float_array(logp)
    valid_nha = np.isfinite(nha_a) & (nha_a > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        nbei_log = np.where(valid_nha, p + np.log10(np.where(valid_nha, nha_a, 1.0)), np.nan)
    nbei = _ratio(p, nha_a)
    result = {
        "sei": _ratio(p, tpsa_a, scale=100.0),
        "bei": _ratio(p, mw_a, scale=1000.0),
        "nsei": _ratio(p, npol_a),
        "nbei": nbei,
        "nbei_log": nbei_log,
        "le": LE_KCAL_PER_PACTIVITY * nbei,
        "lle": p - logp_a,
    }
    shape = np.broadcast_shapes(*(np.shape(v) for v in result.values()))
    like = output_like(pactivity, tpsa, mw, npol, nha, logp)
    return {k: unwrap(np.broadcast_to(v, shape), like) for k, v in result.items()}


def add_efficiency_indices(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with the index columns added (``INDEX_NAMES``).

    Reads ``pactivity``, ``tpsa``, ``mw``, ``npol``, ``nha`` and, when present, ``logp``.

    Example:
        >>> df = pd.DataFrame({"pactivity": [7.5], "tpsa": [85.2], "mw": [342.1],
        ...                    "npol": [5], "nha": [24]})
        >>> float(round(add_efficiency_indices(df).loc[0, "nbei_log"], 4))
        8.8802
    """
    return with_columns(df, index_columns(df))


def index_columns(columns: Columns) -> dict[str, FloatArray]:
    """The ``INDEX_NAMES`` columns as arrays, from a frame or a mapping of columns."""
    missing = [c for c in ("pactivity", "tpsa", "mw", "npol", "nha") if c not in columns]
    if missing:
        raise KeyError(f"add_efficiency_indices needs the columns {missing}")
    read = {c: as_float_array(columns[c]) for c in ("pactivity", "tpsa", "mw", "npol", "nha")}
    logp = as_float_array(columns["logp"]) if "logp" in columns else None
    indices = efficiency_indices(
        read["pactivity"], read["tpsa"], read["mw"], read["npol"], read["nha"], logp
    )
    n = len(read["pactivity"])
    return {name: np.broadcast_to(values, (n,)) for name, values in indices.items()}
