"""Efficiency planes, cohort statistics, IQR outliers and IMP candidates (SCIENCE.md section 5).

The angle in the SEI-BEI plane is ``arctan(10 x tpsa / mw)``: a property of the molecule, not of
its activity (both indices share pActivity, which cancels). The modulus carries the activity.
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

__all__ = [
    "COHORT_METRICS",
    "add_cohort_statistics",
    "add_imp_confidence",
    "add_planes",
    "angle_label",
    "imp_confidence",
    "iqr_outliers",
    "plane_geometry",
    "zscores",
]

#: The four indices whose cohort statistics drive outliers and efficiency scores.
COHORT_METRICS = ("sei", "bei", "nsei", "nbei")

#: Outlier rule: x > Q3 + IQR_FACTOR x IQR (upper tail only).
IQR_FACTOR = 1.5
#: Rows with at least this many outlying metrics are IMP candidates.
IMP_CANDIDATE_MIN_OUTLIERS = 2


def plane_geometry(x: ArrayLike, y: ArrayLike) -> tuple[Any, Any]:
    """Modulus ``sqrt(x² + y²)`` and angle ``atan2(y, x)`` in degrees of points in a plane.

    Example:
        >>> modulus, angle = plane_geometry(3.0, 4.0)
        >>> modulus, round(angle, 2)
        (5.0, 53.13)
    """
    xa, ya = as_float_array(x), as_float_array(y)
    like = output_like(x, y)
    return unwrap(np.hypot(xa, ya), like), unwrap(np.degrees(np.arctan2(ya, xa)), like)


def _slope(numerator: FloatArray, denominator: FloatArray, scale: float) -> FloatArray:
    valid = np.isfinite(denominator) & (denominator > 0) & np.isfinite(numerator)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid, scale * numerator / np.where(valid, denominator, 1.0), np.nan)


def add_planes(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with the geometry of both efficiency planes.

    Adds ``modulus_sei_bei``, ``angle_sei_bei``, ``slope_sei_bei`` (10 x tpsa / mw),
    ``angle_label``, and ``modulus_nsei_nbei``, ``angle_nsei_nbei``, ``slope_nsei_nbei``
    (npol / nha). When the descriptors are present the angles come from the molecule
    (``arctan(slope)``), so a molecule with no polar surface still gets its 0° angle;
    otherwise from the indices (``atan2``).

    Example:
        >>> df = pd.DataFrame({"sei": [8.8028], "bei": [21.9234], "nsei": [1.5], "nbei": [0.3125],
        ...                    "tpsa": [85.2], "mw": [342.1], "npol": [5], "nha": [24]})
        >>> float(round(add_planes(df).loc[0, "angle_sei_bei"], 2))
        68.12
    """
    return with_columns(df, plane_columns(df))


def plane_columns(columns: Columns) -> dict[str, Any]:
    """The columns ``add_planes`` adds, as arrays, from a frame or a mapping of columns."""
    new: dict[str, Any] = {}
    for x, y, name, num, den, scale in (
        ("sei", "bei", "sei_bei", "tpsa", "mw", 10.0),
        ("nsei", "nbei", "nsei_nbei", "npol", "nha", 1.0),
    ):
        xa, ya = as_float_array(columns[x]), as_float_array(columns[y])
        modulus, angle = plane_geometry(xa, ya)
        if num in columns and den in columns:
            slope = _slope(as_float_array(columns[num]), as_float_array(columns[den]), scale)
            angle = np.degrees(np.arctan(slope))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = ya / xa
        new[f"modulus_{name}"] = modulus
        new[f"angle_{name}"] = angle
        new[f"slope_{name}"] = slope
    new["angle_label"] = angle_label(np.atleast_1d(new["angle_sei_bei"]))
    return new


def angle_label(angle: ArrayLike) -> Any:
    """Read an SEI-BEI angle: 40-50° excellent, 30-40 or 50-60 good, 20-30 or 60-70 fair,
    below 20 poor (too hydrophobic), above 70 poor (too polar); NaN is "unknown".

    Example:
        >>> angle_label(45.0), angle_label(72.0)
        ('excellent', 'poor (too polar)')
    """
    a = as_float_array(angle)
    off = np.abs(a - 45.0)
    labels = np.select(
        [np.isnan(a), off <= 5, off <= 15, off <= 25, a < 45],
        ["unknown", "excellent", "good", "fair", "poor (too hydrophobic)"],
        default="poor (too polar)",
    )
    if isinstance(angle, pd.Series):
        return pd.Series(labels, index=angle.index, name="angle_label")
    return str(labels) if np.ndim(labels) == 0 else labels


def zscores(values: ArrayLike) -> Any:
    """z = (x - mean) / sd over the non-NaN values, sample sd (ddof = 1).

    z is 0 where the sd is 0 or undefined (one value); NaN stays NaN.

    Example:
        >>> zscores([1.0, 2.0, 3.0]).tolist()
        [-1.0, 0.0, 1.0]
        >>> zscores([5.0]).tolist(), zscores([2.0, 2.0, float("nan")]).tolist()
        ([0.0], [0.0, 0.0, nan])
    """
    x = np.atleast_1d(as_float_array(values))
    finite = x[np.isfinite(x)]
    mean = finite.mean() if finite.size else np.nan
    sd = finite.std(ddof=1) if finite.size > 1 else np.nan
    if not np.isfinite(sd) or sd == 0:
        z = np.where(np.isnan(x), np.nan, 0.0)
    else:
        z = (x - mean) / sd
    if isinstance(values, pd.Series):
        return pd.Series(z, index=values.index, name=values.name)
    return z


def iqr_outliers(values: ArrayLike) -> Any:
    """Upper-tail IQR outliers: x > Q3 + 1.5 x IQR (quartiles by linear interpolation).

    NaN is never an outlier.

    Example:
        >>> iqr_outliers([1.0, 2.0, 3.0, 4.0, 100.0]).tolist()
        [False, False, False, False, True]
    """
    x = np.atleast_1d(as_float_array(values))
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        flags = np.zeros(x.shape, dtype=bool)
    else:
        q1, q3 = np.percentile(finite, [25, 75], method="linear")
        with np.errstate(invalid="ignore"):
            flags = np.nan_to_num(x, nan=-np.inf) > q3 + IQR_FACTOR * (q3 - q1)
    if isinstance(values, pd.Series):
        return pd.Series(flags, index=values.index)
    return flags


def add_cohort_statistics(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with z-scores, percentiles and outliers of the cohort's metrics.

    The cohort is every row of ``df`` (all scored rows of one analysis). For each of SEI,
    BEI, NSEI and NBEI present: ``z_<m>``, ``percentile_<m>`` (0-100, ties averaged),
    ``outlier_<m>``; then ``outlier_count`` (0-4) and ``imp_candidate`` (>= 2 outliers).

    Example:
        >>> df = pd.DataFrame({"sei": [1.0, 2.0, 3.0, 4.0, 100.0],
        ...                    "bei": [1.0, 2.0, 3.0, 4.0, 90.0]})
        >>> add_cohort_statistics(df)["imp_candidate"].tolist()
        [False, False, False, False, True]
    """
    return with_columns(df, cohort_columns(df, len(df)))


def cohort_columns(columns: Columns, n: int) -> dict[str, Any]:
    """The columns ``add_cohort_statistics`` adds, as arrays, for a cohort of ``n`` rows."""
    new: dict[str, Any] = {}
    count = np.zeros(n, dtype=int)
    for metric in COHORT_METRICS:
        if metric not in columns:
            continue
        values = np.atleast_1d(as_float_array(columns[metric]))
        new[f"z_{metric}"] = zscores(values)
        new[f"percentile_{metric}"] = _percentile_ranks(values)
        flags = iqr_outliers(values)
        new[f"outlier_{metric}"] = flags
        count += flags.astype(int)
    new["outlier_count"] = count
    new["imp_candidate"] = count >= IMP_CANDIDATE_MIN_OUTLIERS
    return new


def _percentile_ranks(values: FloatArray) -> FloatArray:
    # pandas' rank(pct=True): ties averaged, NaN stays NaN and is not counted.
    return np.asarray(pd.Series(values).rank(pct=True).to_numpy(dtype=float) * 100.0)


def imp_confidence(imp_candidate: ArrayLike, final_score: ArrayLike) -> Any:
    """Confidence that a row is an IMP: "Not IMP" unless a candidate; then "Unknown" for a
    NaN score, "High" above 0.7, "Medium" above 0.5, else "Low".

    Example:
        >>> imp_confidence([True, True, False, True], [0.8, 0.6, 0.95, float("nan")]).tolist()
        ['High', 'Medium', 'Not IMP', 'Unknown']
    """
    candidate = np.atleast_1d(np.asarray(imp_candidate, dtype=bool))
    score = np.atleast_1d(as_float_array(final_score))
    labels = np.select(
        [~candidate, np.isnan(score), score > 0.7, score > 0.5],
        ["Not IMP", "Unknown", "High", "Medium"],
        default="Low",
    )
    if isinstance(final_score, pd.Series):
        return pd.Series(labels, index=final_score.index, name="imp_confidence")
    return labels


def add_imp_confidence(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with ``imp_confidence`` (from ``imp_candidate``, ``final_score``)."""
    return with_columns(df, {"imp_confidence": confidence_column(df)})


def confidence_column(columns: Columns) -> Any:
    """The ``imp_confidence`` column as an array, from a frame or a mapping of columns."""
    candidate = columns["imp_candidate"]
    score = columns["final_score"]
    return imp_confidence(
        np.asarray(
            candidate.to_numpy(dtype=bool) if isinstance(candidate, pd.Series) else candidate,
            dtype=bool,
        ),
        np.asarray(
            score.to_numpy(dtype=float) if isinstance(score, pd.Series) else score, dtype=float
        ),
    )
