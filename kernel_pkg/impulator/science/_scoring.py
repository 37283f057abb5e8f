"""Scoring models ``oqpla-2`` and ``imp-4`` (SCIENCE.md section 6).

Models are versioned: the model id travels with every score, and a changed formula gets a
new id rather than silently changing old numbers.
"""

from __future__ import annotations

import warnings
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from impulator._errors import InvalidInput
from impulator.science._arrays import (
    ArrayLike,
    Columns,
    as_float_array,
    output_like,
    unwrap,
    with_columns,
)
from impulator.science._planes import plane_geometry, zscores

__all__ = [
    "BANDS",
    "CLASS_COLOURS",
    "COMPONENTS",
    "DEFAULT_MODEL",
    "MODELS",
    "STRONG_CLASSES",
    "ScoringModel",
    "angle_score",
    "classify",
    "distance_score",
    "get_model",
    "interference_score",
    "normalised_efficiency",
    "score_cohort",
    "score_components",
]

#: Score components, in display order.
COMPONENTS = ("efficiency", "angle", "distance", "pdb", "interference")
_FLAGS = ("pains", "aggregator", "redox", "fluorescence", "thiol_reactive")

#: Lower bound of the Strong IMP band: a best class from this band up counts as "a strong IMP
#: or better" (the dashboards' headline count).
STRONG_SCORE = 0.7
#: Classification bands (left-inclusive lower bounds), their labels and priorities.
BANDS: tuple[tuple[float, str, int], ...] = (
    (0.9, "Exceptional IMP", 1),
    (STRONG_SCORE, "Strong IMP", 2),
    (0.5, "Moderate IMP", 3),
    (0.3, "Weak IMP", 4),
)
NOT_IMP, NOT_IMP_PRIORITY, INVALID = "Not IMP", 5, "Invalid"
#: The classes of the bands from ``STRONG_SCORE`` up, lowest band first.
STRONG_CLASSES: tuple[str, ...] = tuple(
    label for lower, label, _ in reversed(BANDS) if lower >= STRONG_SCORE
)
#: Colour (hex) of each class, best band first, then Not IMP and Invalid: the dashboards'
#: badges and charts and the PDF reports all use these.
CLASS_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        "Exceptional IMP": "#6a1b9a",
        "Strong IMP": "#1565c0",
        "Moderate IMP": "#2a9d8f",
        "Weak IMP": "#8d6e00",
        NOT_IMP: "#6b7280",
        INVALID: "#9e9e9e",
    }
)
# Scores that are mathematically on a band edge must not fall below it by rounding.
_BAND_EPS = 1e-12


@dataclass(frozen=True)
class ScoringModel:
    """A versioned scoring model.

    Attributes:
        id: stored with every score (e.g. ``"oqpla-2"``).
        title: what the score is called in the UI.
        efficiency_metrics: indices averaged into the efficiency component.
        weights: component weights when PDB evidence is used.
        weights_without_pdb: component weights when it is not.
        qed_floor: multiplier = qed_floor + (1 - qed_floor) x QED.
        high_means: one sentence on what a high score means, for the UI.
        band_advice: what each classification asks of the chemist under this model.
    """

    id: str
    title: str
    efficiency_metrics: tuple[str, ...]
    weights: Mapping[str, float]
    weights_without_pdb: Mapping[str, float]
    qed_floor: float
    high_means: str
    band_advice: Mapping[str, str]

    def multiplier(self, qed: ArrayLike) -> Any:
        """QED multiplier: ``qed_floor + (1 - qed_floor) x QED``."""
        q = as_float_array(qed)
        return unwrap(self.qed_floor + (1.0 - self.qed_floor) * q, qed)


def _weights(**w: float) -> Mapping[str, float]:
    return MappingProxyType({c: float(w.get(c, 0.0)) for c in COMPONENTS})


_OQPLA_WITHOUT_PDB = 0.65
OQPLA_2 = ScoringModel(
    id="oqpla-2",
    title="O[Q/P/L]A score",
    efficiency_metrics=("sei", "bei", "nsei", "nbei"),
    weights=_weights(efficiency=0.5, angle=0.125, distance=0.1875, pdb=0.1875),
    weights_without_pdb=_weights(
        efficiency=0.40 / _OQPLA_WITHOUT_PDB,
        angle=0.10 / _OQPLA_WITHOUT_PDB,
        distance=0.15 / _OQPLA_WITHOUT_PDB,
    ),
    qed_floor=0.5,
    high_means="High = an efficiency outlier with structural support: worth pursuing.",
    band_advice=MappingProxyType(
        {
            "Exceptional IMP": "pursue first",
            "Strong IMP": "pursue",
            "Moderate IMP": "worth a closer look",
            "Weak IMP": "low priority",
            NOT_IMP: "no efficiency signal",
            INVALID: "cannot be scored: see the reason",
        }
    ),
)
IMP_4 = ScoringModel(
    id="imp-4",
    title="IMP score",
    efficiency_metrics=("sei", "bei"),
    weights=_weights(efficiency=0.45, distance=0.20, angle=0.15, interference=0.15, pdb=0.05),
    weights_without_pdb=_weights(efficiency=0.45, distance=0.20, angle=0.15, interference=0.15),
    qed_floor=0.75,
    high_means="High = likely an artifact (an IMP): doubt this result before building on it.",
    band_advice=MappingProxyType(
        {
            "Exceptional IMP": "almost certainly an artifact: confirm orthogonally before use",
            "Strong IMP": "likely an artifact: counter-screen",
            "Moderate IMP": "doubtful: check assay interference",
            "Weak IMP": "some doubt",
            NOT_IMP: "no sign of an artifact",
            INVALID: "cannot be scored: see the reason",
        }
    ),
)

#: Scoring models by id.
MODELS: Mapping[str, ScoringModel] = MappingProxyType({m.id: m for m in (OQPLA_2, IMP_4)})
DEFAULT_MODEL = OQPLA_2.id


def get_model(model: str | ScoringModel) -> ScoringModel:
    """The model with this id (a ScoringModel passes through).

    Example:
        >>> get_model("imp-4").qed_floor
        0.75
    """
    if isinstance(model, ScoringModel):
        return model
    try:
        return MODELS[model]
    except KeyError:
        raise InvalidInput(
            f"unknown scoring model {model!r}; choose one of {', '.join(MODELS)}"
        ) from None


def normalised_efficiency(z: ArrayLike) -> Any:
    """n = clip(tanh(z / 2), 0, 1) = clip(2 sigmoid(z) - 1, 0, 1).

    Example:
        >>> [round(normalised_efficiency(z), 3) for z in (1, 2, 3, -1)]
        [0.462, 0.762, 0.905, 0.0]
    """
    return unwrap(np.clip(np.tanh(as_float_array(z) / 2.0), 0.0, 1.0), z)


def angle_score(angle: ArrayLike) -> Any:
    """clip(1 - |angle - 45| / 45, 0, 1): 1 on the 45° diagonal of the SEI-BEI plane.

    Example:
        >>> round(angle_score(50.3), 3)
        0.882
    """
    return unwrap(np.clip(1.0 - np.abs(as_float_array(angle) - 45.0) / 45.0, 0.0, 1.0), angle)


def distance_score(modulus: ArrayLike, best: float | None = None) -> Any:
    """clip(modulus / best, 0, 1); ``best`` defaults to the cohort's largest modulus.

    Every row scores 0 when the best modulus is <= 0 or NaN.

    Example:
        >>> round(distance_score(28.97, best=38.2), 3)
        0.758
        >>> distance_score([1.0, 2.0, 4.0]).tolist()
        [0.25, 0.5, 1.0]
    """
    m = as_float_array(modulus)
    if best is None:
        finite = m[np.isfinite(m)]
        best = float(finite.max()) if finite.size else float("nan")
    if not np.isfinite(best) or best <= 0:
        return unwrap(np.zeros_like(m), modulus)
    return unwrap(np.clip(m / best, 0.0, 1.0), modulus)


def interference_score(flags: pd.DataFrame | Mapping[str, Any]) -> Any:
    """Share of the five scored flags set (pains, aggregator, redox, fluorescence,
    thiol_reactive); NaN where a flag is unknown (missing, None or NA).

    Example:
        >>> interference_score({"pains": False, "aggregator": False, "redox": False,
        ...                     "fluorescence": False, "thiol_reactive": True})
        0.2
    """
    present = [flags[f] for f in _FLAGS if f in flags]
    like = output_like(*present)
    if len(present) < len(_FLAGS):
        shape = np.shape(_flag_array(present[0])) if present else ()
        return unwrap(np.full(shape, np.nan), like)
    total = np.sum(np.stack([_flag_array(v) for v in present]), axis=0)
    return unwrap(total / len(_FLAGS), like)


def _flag_array(values: Any) -> Any:
    # Booleans and numbers count; None, pd.NA and anything else are unknown.
    items = np.asarray(values, dtype=object)
    known = (bool, np.bool_, int, np.integer, float, np.floating)
    return np.array(
        [float(v) if isinstance(v, known) else np.nan for v in items.ravel()], dtype=float
    ).reshape(items.shape)


def score_components(
    efficiency: ArrayLike,
    angle: ArrayLike,
    distance: ArrayLike,
    qed: ArrayLike,
    pdb: ArrayLike = None,
    interference: ArrayLike = None,
    model: str | ScoringModel = DEFAULT_MODEL,
    use_pdb: bool = True,
) -> dict[str, Any]:
    """Combine component scores into base, multiplier and final score with one model.

    PDB evidence is used for a row when ``use_pdb`` is true and its ``pdb`` score is known
    (not NaN): ``oqpla-2`` then weighs it, otherwise renormalises the other weights;
    ``imp-4`` counts an unknown or unused PDB score as 0. A NaN in a weighted component
    makes the base NaN: such rows classify as "Invalid".

    Returns a dict with ``base_score``, ``qed_multiplier``, ``final_score``,
    ``pdb_evidence_used``, and ``weight_<c>`` and ``<c>_contribution`` for each component
    (contributions add up to the final score).

    Example (SCIENCE.md's imp-4 worked example):
        >>> s = score_components(efficiency=0.6757, angle=0.8822, distance=0.7584, qed=0.72,
        ...                      pdb=0.9219, interference=0.2, model="imp-4")
        >>> round(s["base_score"], 4), round(s["final_score"], 4)
        (0.6642, 0.6177)
    """
    m = get_model(model)
    like = output_like(efficiency, angle, distance, qed, pdb, interference)
    scores = {
        "efficiency": as_float_array(efficiency),
        "angle": as_float_array(angle),
        "distance": as_float_array(distance),
        "pdb": as_float_array(pdb),
        "interference": as_float_array(interference),
    }
    shape = np.broadcast_shapes(*(np.shape(v) for v in scores.values()))
    scores = {k: np.broadcast_to(v, shape) for k, v in scores.items()}
    # Rows without usable PDB evidence take the model's other weights (imp-4: pdb weight 0).
    use = np.broadcast_to(bool(use_pdb) & np.isfinite(scores["pdb"]), shape)

    out: dict[str, Any] = {}
    base = np.zeros(shape)
    weights = {}
    for c in COMPONENTS:
        w = np.where(use, m.weights[c], m.weights_without_pdb[c])
        weights[c] = w
        # A component with zero weight never poisons the base, even when it is NaN.
        term = np.where(w > 0, w * scores[c], 0.0)
        base = base + term
    multiplier = np.broadcast_to(as_float_array(m.multiplier(qed)), shape)
    final = base * multiplier
    out["base_score"] = unwrap(base, like)
    out["qed_multiplier"] = unwrap(multiplier, like)
    out["final_score"] = unwrap(final, like)
    out["pdb_evidence_used"] = use.copy() if np.ndim(use) else bool(use)
    for c in COMPONENTS:
        out[f"weight_{c}"] = unwrap(weights[c], like)
        contribution = np.where(weights[c] > 0, weights[c] * scores[c] * multiplier, 0.0)
        out[f"{c}_contribution"] = unwrap(contribution, like)
    return out


def classify(final_score: ArrayLike) -> tuple[Any, Any]:
    """Classification and priority of final scores.

    Bands (left-inclusive): >= 0.9 Exceptional IMP (1); >= 0.7 Strong IMP (2);
    >= 0.5 Moderate IMP (3); >= 0.3 Weak IMP (4); below, Not IMP (5); NaN, Invalid (no
    priority).

    Example:
        >>> classify(0.6177)
        ('Moderate IMP', 3)
        >>> labels, priority = classify([0.9, 0.1, float("nan")])
        >>> labels.tolist(), priority.tolist()
        (['Exceptional IMP', 'Not IMP', 'Invalid'], [1, 5, <NA>])
    """
    s = np.atleast_1d(as_float_array(final_score))
    conditions = [np.isnan(s)] + [s >= lower - _BAND_EPS for lower, _, _ in BANDS]
    labels = np.select(conditions, [INVALID] + [label for _, label, _ in BANDS], default=NOT_IMP)
    priority = np.select(conditions[1:], [p for _, _, p in BANDS], default=NOT_IMP_PRIORITY).astype(
        float
    )
    priority[np.isnan(s)] = np.nan
    priorities = pd.array(priority, dtype="Int64")
    if np.ndim(as_float_array(final_score)) == 0 and not isinstance(final_score, pd.Series):
        p = priorities[0]
        return str(labels[0]), (None if p is pd.NA else int(p))
    if isinstance(final_score, pd.Series):
        return (
            pd.Series(labels, index=final_score.index, name="classification"),
            pd.Series(priorities, index=final_score.index, name="priority"),
        )
    return labels, priorities


def score_cohort(
    df: pd.DataFrame, model: str | ScoringModel = DEFAULT_MODEL, use_pdb: bool = True
) -> pd.DataFrame:
    """Score every row of one cohort (all scored rows of one analysis) with one model.

    Input columns: ``sei``, ``bei``, ``nsei``, ``nbei``, ``qed`` (required);
    ``angle_sei_bei`` and ``modulus_sei_bei`` (derived from SEI and BEI when absent);
    ``pdb_score`` (NaN or absent: no evidence looked up); ``pains``, ``aggregator``,
    ``redox``, ``fluorescence``, ``thiol_reactive`` (absent: unknown). z-scores and the
    best modulus are taken over the cohort.

    Adds ``efficiency_score``, ``angle_score``, ``distance_score``, ``interference_score``,
    ``pdb_score`` (when absent), the outputs of ``score_components``, ``classification``,
    ``priority``, ``scoring_model`` and ``invalid_reason`` (empty unless Invalid).

    Example:
        >>> df = pd.DataFrame({"sei": [8.0, 12.0, 20.0], "bei": [20.0, 22.0, 30.0],
        ...                    "nsei": [1.5, 1.8, 2.5], "nbei": [0.3, 0.35, 0.5],
        ...                    "qed": [0.7, 0.6, 0.8]})
        >>> scored = score_cohort(df)
        >>> scored["classification"].tolist()
        ['Not IMP', 'Not IMP', 'Moderate IMP']
    """
    return with_columns(df, score_columns(df, len(df), model, use_pdb))


def score_columns(
    columns: Columns,
    n: int,
    model: str | ScoringModel = DEFAULT_MODEL,
    use_pdb: bool = True,
) -> dict[str, Any]:
    """The columns ``score_cohort`` adds or replaces, as arrays, for a cohort of ``n`` rows."""
    m = get_model(model)
    missing = [c for c in ("sei", "bei", "qed") if c not in columns]
    if missing:
        raise KeyError(f"score_cohort needs the columns {missing}; see its docstring")
    new: dict[str, Any] = {}
    if "angle_sei_bei" not in columns or "modulus_sei_bei" not in columns:
        modulus, angle = plane_geometry(
            as_float_array(columns["sei"]), as_float_array(columns["bei"])
        )
        new["modulus_sei_bei"] = columns.get("modulus_sei_bei", modulus)
        new["angle_sei_bei"] = columns.get("angle_sei_bei", angle)
    read: Columns = ChainMap(new, columns)

    normalised = []
    for metric in m.efficiency_metrics:
        if metric in read:
            normalised.append(normalised_efficiency(zscores(as_float_array(read[metric]))))
    stacked = np.vstack(normalised) if normalised and n else np.full((1, n), np.nan)
    with warnings.catch_warnings():
        # An all-NaN column (no index available) is meant to give NaN.
        warnings.simplefilter("ignore", RuntimeWarning)
        efficiency = np.nanmean(stacked, axis=0) if n else np.zeros(0)
    pdb = as_float_array(read["pdb_score"]) if "pdb_score" in read else np.full(n, np.nan)
    if "pdb_score" not in read:
        new["pdb_score"] = pdb
    new["efficiency_score"] = efficiency
    new["angle_score"] = angle_score(as_float_array(read["angle_sei_bei"]))
    new["distance_score"] = distance_score(as_float_array(read["modulus_sei_bei"]))
    new["interference_score"] = _interference_column(read, n)

    parts = score_components(
        efficiency=np.asarray(efficiency, dtype=float),
        angle=new["angle_score"],
        distance=new["distance_score"],
        qed=as_float_array(read["qed"]),
        pdb=pdb,
        interference=new["interference_score"],
        model=m,
        use_pdb=use_pdb,
    )
    for name, values in parts.items():
        new[name] = np.broadcast_to(values, (n,)) if n else np.zeros(0)
    new["classification"], new["priority"] = classify(new["final_score"])
    new["scoring_model"] = m.id
    new["invalid_reason"] = _invalid_reasons(read, m, n)
    return new


def _interference_column(columns: Columns, n: int) -> Any:
    # Plain boolean or numeric flag columns convert at once; anything else (None, NA, text)
    # goes through interference_score's value-by-value reading.
    present = [columns[f] for f in _FLAGS if f in columns]
    if len(present) == len(_FLAGS) and all(
        isinstance(v, (pd.Series, np.ndarray))
        and isinstance(v.dtype, np.dtype)
        and v.dtype.kind in "bif"
        for v in present
    ):
        flags = [np.asarray(v, dtype=float) for v in present]
        return np.sum(np.stack(flags), axis=0) / len(_FLAGS)
    if not present:
        return np.full(n, np.nan)
    frame = {f: columns[f] for f in _FLAGS if f in columns}
    return np.broadcast_to(as_float_array(interference_score(frame)), (n,))


def _invalid_reasons(columns: Columns, m: ScoringModel, n: int) -> list[str]:
    explanations = {
        "efficiency": "no efficiency index (pActivity, TPSA, MW, N+O or heavy atoms missing)",
        "angle": "no SEI-BEI angle (TPSA or MW missing or zero)",
        "distance": "no SEI-BEI modulus (TPSA or MW missing or zero)",
        "interference": "interference flags unknown",
        "pdb": "PDB score unknown",
    }
    reasons = [""] * n
    invalid = np.flatnonzero(np.isnan(np.asarray(columns["final_score"], dtype=float)))
    if not invalid.size:
        return reasons
    qed = np.atleast_1d(as_float_array(columns["qed"]))
    unexplained = {
        component: (np.asarray(columns[f"weight_{component}"], dtype=float) > 0)
        & np.isnan(np.asarray(columns[f"{component}_score"], dtype=float))
        for component in explanations
    }
    for i in invalid:
        why = [text for component, text in explanations.items() if unexplained[component][i]]
        if np.isnan(qed[i]):
            why.append("QED missing")
        reasons[i] = "; ".join(why) or f"not scorable by {m.id}"
    return reasons
