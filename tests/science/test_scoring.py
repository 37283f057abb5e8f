"""Scoring models oqpla-2 and imp-4 (SCIENCE.md section 6), worked example and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from impulator.science import (
    MODELS,
    angle_score,
    classify,
    distance_score,
    get_model,
    interference_score,
    normalised_efficiency,
    pdb_score,
    score_cohort,
    score_components,
)

FLAGS = ("pains", "aggregator", "redox", "fluorescence", "thiol_reactive")


def _close(value: float, quoted: float, decimals: int) -> bool:
    """Agreement to the precision SCIENCE.md quotes (4 decimals: 5e-5, within 1e-4)."""
    return abs(value - quoted) <= 0.5 * 10.0**-decimals + 1e-12


def test_normalised_efficiency_reference_points() -> None:
    for z, expected in ((1, 0.462), (2, 0.762), (3, 0.905)):
        assert _close(normalised_efficiency(z), expected, 3)
        assert normalised_efficiency(z) == pytest.approx(2 / (1 + math.exp(-z)) - 1)
    assert normalised_efficiency(-2.0) == 0.0
    assert normalised_efficiency(0.0) == 0.0
    assert math.isnan(normalised_efficiency(float("nan")))


def test_imp4_worked_example() -> None:
    """SCIENCE.md: SEI 18.5, BEI 22.3, angle 50.3, modulus 28.97, best 38.2, QED 0.72,
    thiol flag only, 8 PDB structures (4/3/1), z_SEI 1.5, z_BEI 1.8."""
    efficiency = np.mean([normalised_efficiency(1.5), normalised_efficiency(1.8)])
    distance = distance_score(28.97, best=38.2)
    angle = angle_score(50.3)
    interference = interference_score(
        {
            "pains": False,
            "aggregator": False,
            "redox": False,
            "fluorescence": False,
            "thiol_reactive": True,
        }
    )
    pdb = pdb_score([1.5] * 4 + [2.5] * 3 + [3.5])
    assert _close(efficiency, 0.676, 3)
    assert _close(distance, 0.758, 3)
    assert _close(angle, 0.882, 3)
    assert _close(interference, 0.200, 3)
    assert _close(pdb, 0.922, 3)
    s = score_components(
        efficiency, angle, distance, qed=0.72, pdb=pdb, interference=interference, model="imp-4"
    )
    assert _close(s["base_score"], 0.6642, 4)
    assert _close(s["qed_multiplier"], 0.93, 2)
    assert _close(s["final_score"], 0.6177, 4)
    assert classify(s["final_score"]) == ("Moderate IMP", 3)
    contributions = sum(
        s[f"{c}_contribution"] for c in ("efficiency", "angle", "distance", "pdb", "interference")
    )
    assert contributions == pytest.approx(s["final_score"])


def test_oqpla2_weights_with_and_without_pdb() -> None:
    m = get_model("oqpla-2")
    assert sum(m.weights.values()) == pytest.approx(1.0)
    assert sum(m.weights_without_pdb.values()) == pytest.approx(1.0)
    assert m.weights_without_pdb["efficiency"] == 0.40 / 0.65  # exact fractions
    assert m.weights_without_pdb["efficiency"] == pytest.approx(0.6154, abs=1e-4)
    assert m.weights_without_pdb["angle"] == pytest.approx(0.1538, abs=1e-4)
    assert m.weights_without_pdb["distance"] == pytest.approx(0.2308, abs=1e-4)
    with_pdb = score_components(0.8, 0.6, 0.5, qed=0.4, pdb=0.9, model="oqpla-2")
    base = 0.5 * 0.8 + 0.125 * 0.6 + 0.1875 * 0.5 + 0.1875 * 0.9
    assert with_pdb["base_score"] == pytest.approx(base)
    assert with_pdb["final_score"] == pytest.approx(base * (0.5 + 0.5 * 0.4))
    assert with_pdb["pdb_evidence_used"] is True
    without = score_components(0.8, 0.6, 0.5, qed=0.4, pdb=0.9, model="oqpla-2", use_pdb=False)
    assert without["base_score"] == pytest.approx((0.4 * 0.8 + 0.1 * 0.6 + 0.15 * 0.5) / 0.65)
    unknown = score_components(0.8, 0.6, 0.5, qed=0.4, pdb=float("nan"), model="oqpla-2")
    assert unknown["base_score"] == pytest.approx(without["base_score"])
    assert unknown["pdb_evidence_used"] is False


def test_imp4_ignores_pdb_when_off_without_renormalising() -> None:
    on = score_components(0.5, 0.5, 0.5, qed=1.0, pdb=1.0, interference=0.0, model="imp-4")
    off = score_components(
        0.5, 0.5, 0.5, qed=1.0, pdb=1.0, interference=0.0, model="imp-4", use_pdb=False
    )
    assert on["base_score"] - off["base_score"] == pytest.approx(0.05)
    assert off["base_score"] == pytest.approx(0.45 * 0.5 + 0.2 * 0.5 + 0.15 * 0.5)
    assert off["weight_pdb"] == 0.0


def test_nan_component_makes_the_row_invalid() -> None:
    s = score_components(float("nan"), 0.5, 0.5, qed=0.5, pdb=0.5, model="oqpla-2")
    assert math.isnan(s["final_score"])
    assert classify(s["final_score"]) == ("Invalid", None)
    # A component the model does not weigh cannot invalidate it.
    s = score_components(
        0.5, 0.5, 0.5, qed=0.5, pdb=0.5, interference=float("nan"), model="oqpla-2"
    )
    assert not math.isnan(s["final_score"])


@pytest.mark.parametrize(
    ("score", "label", "priority"),
    [
        (1.0, "Exceptional IMP", 1),
        (0.9, "Exceptional IMP", 1),
        (0.8999, "Strong IMP", 2),
        (0.7, "Strong IMP", 2),
        (0.5, "Moderate IMP", 3),
        (0.3, "Weak IMP", 4),
        (0.2999, "Not IMP", 5),
        (0.0, "Not IMP", 5),
        (float("nan"), "Invalid", None),
    ],
)
def test_bands_are_left_inclusive(score: float, label: str, priority: int | None) -> None:
    assert classify(score) == (label, priority)


def test_band_edges_survive_rounding() -> None:
    assert classify(0.1 + 0.2 + 0.4)[0] == "Strong IMP"  # 0.7000000000000001 or 0.69999...


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="oqpla-2, imp-4"):
        get_model("oqpla-9")
    assert set(MODELS) == {"oqpla-2", "imp-4"}
    for m in MODELS.values():
        assert m.high_means and "Invalid" in m.band_advice


def test_distance_score_edge_cases() -> None:
    assert distance_score([0.0, 0.0]).tolist() == [0.0, 0.0]
    assert distance_score([float("nan"), float("nan")]).tolist() == [0.0, 0.0]
    out = distance_score([2.0, float("nan"), 4.0])
    assert out[0] == 0.5 and np.isnan(out[1]) and out[2] == 1.0


def test_interference_unknown_flags_are_nan() -> None:
    df = pd.DataFrame({f: [True, None] for f in FLAGS})
    assert interference_score(df).iloc[0] == 1.0
    assert np.isnan(interference_score(df).iloc[1])
    assert np.isnan(interference_score({"pains": True}))


def _cohort(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sei = rng.normal(10, 3, n).clip(0.5)
    bei = rng.normal(20, 5, n).clip(0.5)
    df = pd.DataFrame(
        {
            "sei": sei,
            "bei": bei,
            "nsei": rng.normal(1.5, 0.4, n).clip(0.1),
            "nbei": rng.normal(0.35, 0.08, n).clip(0.01),
            "qed": rng.uniform(0.1, 0.95, n),
            "pdb_score": np.where(rng.uniform(size=n) < 0.3, rng.uniform(size=n), np.nan),
        }
    )
    for f in FLAGS:
        df[f] = rng.uniform(size=n) < 0.1
    return df


@pytest.mark.parametrize("model", ["oqpla-2", "imp-4"])
def test_score_cohort_columns_and_consistency(model: str) -> None:
    df = _cohort(50)
    out = score_cohort(df, model=model)
    expected = {
        "efficiency_score",
        "angle_score",
        "distance_score",
        "interference_score",
        "base_score",
        "qed_multiplier",
        "final_score",
        "classification",
        "priority",
        "scoring_model",
        "efficiency_contribution",
        "angle_contribution",
        "distance_contribution",
        "pdb_contribution",
        "interference_contribution",
        "invalid_reason",
    }
    assert expected <= set(out.columns)
    assert (out["scoring_model"] == model).all()
    contributions = out[[c for c in out.columns if c.endswith("_contribution")]].sum(axis=1)
    assert contributions.to_numpy() == pytest.approx(out["final_score"].to_numpy())
    assert out["modulus_sei_bei"].to_numpy() == pytest.approx(np.hypot(df["sei"], df["bei"]))
    assert out["distance_score"].max() == pytest.approx(1.0)
    labels, _ = classify(out["final_score"])
    assert (out["classification"] == labels).all()
    assert (out["invalid_reason"] == "").all()


def test_score_cohort_uses_given_angle_and_modulus() -> None:
    df = _cohort(5)
    df["angle_sei_bei"] = 45.0
    df["modulus_sei_bei"] = [1.0, 2.0, 3.0, 4.0, 8.0]
    out = score_cohort(df)
    assert (out["angle_score"] == 1.0).all()
    assert out["distance_score"].tolist() == [0.125, 0.25, 0.375, 0.5, 1.0]


def test_score_cohort_efficiency_is_mean_over_available_metrics() -> None:
    df = _cohort(20)
    df.loc[3, "nsei"] = np.nan
    out = score_cohort(df, use_pdb=False)
    from impulator.science import zscores

    n = {
        m: normalised_efficiency(zscores(df[m].to_numpy())) for m in ("sei", "bei", "nsei", "nbei")
    }
    expected = np.mean([n["sei"][3], n["bei"][3], n["nbei"][3]])
    assert out.loc[3, "efficiency_score"] == pytest.approx(expected)
    imp = score_cohort(df, model="imp-4", use_pdb=False)
    assert imp.loc[3, "efficiency_score"] == pytest.approx(np.mean([n["sei"][3], n["bei"][3]]))


def test_score_cohort_one_row() -> None:
    out = score_cohort(_cohort(1), use_pdb=False)
    assert out.loc[0, "efficiency_score"] == 0.0  # z = 0 in a one-row cohort
    assert out.loc[0, "distance_score"] == 1.0
    assert out.loc[0, "classification"] in {"Not IMP", "Weak IMP"}


def test_score_cohort_zero_variance() -> None:
    df = pd.concat([_cohort(1)] * 4, ignore_index=True)
    out = score_cohort(df)
    assert (out["efficiency_score"] == 0.0).all()
    assert out["final_score"].nunique() == 1


def test_score_cohort_all_nan_metric_is_invalid_and_explained() -> None:
    df = _cohort(6)
    df["sei"] = np.nan
    out = score_cohort(df, model="imp-4")
    assert (out["classification"] == "Invalid").all()
    assert out["priority"].isna().all()
    assert out["invalid_reason"].str.contains("angle").all()


def test_score_cohort_empty() -> None:
    out = score_cohort(_cohort(0))
    assert out.empty
    assert {"final_score", "classification", "priority"} <= set(out.columns)


def test_score_cohort_missing_required_columns() -> None:
    with pytest.raises(KeyError, match="qed"):
        score_cohort(pd.DataFrame({"sei": [1.0], "bei": [2.0]}))


@pytest.mark.slow
def test_score_cohort_ten_thousand_rows() -> None:
    df = _cohort(10_000, seed=7)
    for model in MODELS:
        out = score_cohort(df, model=model)
        assert len(out) == 10_000
        finals = out["final_score"].to_numpy()
        assert np.all((finals >= 0) & (finals <= 1))
        assert (
            out["classification"]
            .isin(["Exceptional IMP", "Strong IMP", "Moderate IMP", "Weak IMP", "Not IMP"])
            .all()
        )


finite_or_nan = st.one_of(st.floats(min_value=0, max_value=200), st.just(float("nan")))


@settings(max_examples=60, deadline=None)
@given(
    df=data_frames(
        columns=[
            column("sei", elements=finite_or_nan),
            column("bei", elements=finite_or_nan),
            column("nsei", elements=finite_or_nan),
            column("nbei", elements=finite_or_nan),
            column("qed", elements=st.floats(min_value=0, max_value=1)),
            column("pdb_score", elements=st.one_of(st.floats(0, 1), st.just(float("nan")))),
            *[column(f, elements=st.booleans()) for f in FLAGS],
        ],
        index=range_indexes(min_size=0, max_size=30),
    ),
    model=st.sampled_from(["oqpla-2", "imp-4"]),
    use_pdb=st.booleans(),
)
def test_final_score_is_in_unit_interval_or_nan(
    df: pd.DataFrame, model: str, use_pdb: bool
) -> None:
    out = score_cohort(df, model=model, use_pdb=use_pdb)
    finals = out["final_score"].to_numpy(dtype=float)
    ok = np.isnan(finals) | ((finals >= 0) & (finals <= 1 + 1e-12))
    assert ok.all()
    assert (out["classification"].eq("Invalid") == np.isnan(finals)).all()
