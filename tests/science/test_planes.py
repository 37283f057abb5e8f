"""Efficiency planes, cohort statistics, IQR outliers and IMP confidence (SCIENCE.md 5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impulator.science import (
    add_cohort_statistics,
    add_efficiency_indices,
    add_planes,
    angle_label,
    imp_confidence,
    iqr_outliers,
    plane_geometry,
    zscores,
)

REFERENCE = {"pactivity": 7.5, "tpsa": 85.2, "mw": 342.1, "npol": 5, "nha": 24}


def test_planes_of_reference_example() -> None:
    table = add_planes(add_efficiency_indices(pd.DataFrame([REFERENCE])))
    row = table.iloc[0]
    assert row["modulus_sei_bei"] == pytest.approx(math.hypot(8.8028, 21.9234), abs=1e-3)
    assert row["slope_sei_bei"] == pytest.approx(10 * 85.2 / 342.1)
    assert row["angle_sei_bei"] == pytest.approx(
        math.degrees(math.atan2(21.9234, 8.8028)), abs=1e-3
    )
    assert row["modulus_nsei_nbei"] == pytest.approx(math.hypot(1.5, 0.3125))
    assert row["angle_nsei_nbei"] == pytest.approx(math.degrees(math.atan2(0.3125, 1.5)))
    assert row["slope_nsei_nbei"] == pytest.approx(5 / 24)
    assert row["angle_label"] == "fair"  # 68.1 degrees: 60-70


def test_angle_is_a_property_of_the_molecule() -> None:
    rows = pd.DataFrame([{**REFERENCE, "pactivity": p} for p in (4.0, 6.5, 9.0)])
    table = add_planes(add_efficiency_indices(rows))
    assert table["angle_sei_bei"].nunique() == 1
    assert table["modulus_sei_bei"].is_monotonic_increasing


def test_zero_tpsa_has_an_angle_but_no_modulus() -> None:
    table = add_planes(add_efficiency_indices(pd.DataFrame([{**REFERENCE, "tpsa": 0.0}])))
    assert table.loc[0, "angle_sei_bei"] == 0.0
    assert table.loc[0, "angle_label"] == "poor (too hydrophobic)"
    assert np.isnan(table.loc[0, "modulus_sei_bei"])


def test_planes_from_indices_alone() -> None:
    table = add_planes(pd.DataFrame({"sei": [10.0], "bei": [10.0], "nsei": [1.0], "nbei": [2.0]}))
    assert table.loc[0, "angle_sei_bei"] == pytest.approx(45.0)
    assert table.loc[0, "angle_label"] == "excellent"


@given(
    tpsa=st.floats(min_value=0.5, max_value=500, allow_nan=False),
    mw=st.floats(min_value=10, max_value=2000, allow_nan=False),
    p=st.floats(min_value=0.1, max_value=14, allow_nan=False),
)
def test_angle_equals_arctan_of_slope(tpsa: float, mw: float, p: float) -> None:
    row = {"pactivity": p, "tpsa": tpsa, "mw": mw, "npol": 3, "nha": 20}
    table = add_planes(add_efficiency_indices(pd.DataFrame([row])))
    expected = math.degrees(math.atan(10 * tpsa / mw))
    assert table.loc[0, "angle_sei_bei"] == pytest.approx(expected, abs=1e-9)
    # ... and equals the atan2 of the indices, since pActivity cancels.
    _, angle = plane_geometry(table.loc[0, "sei"], table.loc[0, "bei"])
    assert angle == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("angle", "label"),
    [
        (45.0, "excellent"),
        (40.0, "excellent"),
        (50.0, "excellent"),
        (35.0, "good"),
        (30.0, "good"),
        (55.0, "good"),
        (60.0, "good"),
        (25.0, "fair"),
        (20.0, "fair"),
        (65.0, "fair"),
        (70.0, "fair"),
        (19.9, "poor (too hydrophobic)"),
        (0.0, "poor (too hydrophobic)"),
        (70.1, "poor (too polar)"),
        (89.0, "poor (too polar)"),
        (float("nan"), "unknown"),
    ],
)
def test_angle_labels(angle: float, label: str) -> None:
    assert angle_label(angle) == label


def test_zscores_sample_sd() -> None:
    x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
    z = zscores(x)
    sd = np.std(x, ddof=1)
    assert z == pytest.approx((np.array(x) - 5.0) / sd)


def test_zscores_edge_cases() -> None:
    assert zscores([3.0]).tolist() == [0.0]  # one-row cohort: sd undefined
    assert zscores([3.0, 3.0, 3.0]).tolist() == [0.0, 0.0, 0.0]  # zero variance
    z = zscores([1.0, float("nan"), 3.0])
    assert z[0] == pytest.approx(-1 / math.sqrt(2)) and np.isnan(z[1])
    assert np.isnan(zscores([float("nan")] * 3)).all()  # all-NaN metric
    assert zscores([]).size == 0


def test_iqr_outliers_upper_tail_only() -> None:
    x = [-100.0, 1.0, 2.0, 3.0, 4.0, 5.0, 100.0, float("nan")]
    q1, q3 = np.percentile([-100, 1, 2, 3, 4, 5, 100], [25, 75])
    flags = iqr_outliers(x)
    assert flags.tolist() == [False, False, False, False, False, False, True, False]
    assert q3 + 1.5 * (q3 - q1) < 100
    assert q1 - 1.5 * (q3 - q1) > -100


def test_iqr_outliers_edge_cases() -> None:
    assert iqr_outliers([5.0]).tolist() == [False]
    assert iqr_outliers([5.0, 5.0, 5.0]).tolist() == [False] * 3
    assert iqr_outliers([float("nan")] * 2).tolist() == [False, False]
    assert iqr_outliers([]).tolist() == []


def test_cohort_statistics_and_candidates() -> None:
    df = pd.DataFrame(
        {
            "sei": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0, 9.0],
            "bei": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 90.0, 95.0],
            "nsei": [1.0] * 10,
            "nbei": [0.1 * i for i in range(1, 11)],
        }
    )
    out = add_cohort_statistics(df)
    # Q1 = 3.25, Q3 = 7.75: the fence is 14.5 for SEI and BEI.
    assert out["outlier_count"].tolist() == [0] * 8 + [2, 1]
    assert out["outlier_bei"].tolist() == [False] * 8 + [True, True]
    assert out["imp_candidate"].tolist() == [False] * 8 + [True, False]
    assert out["z_nsei"].tolist() == [0.0] * 10
    assert out["percentile_sei"].iloc[8] == pytest.approx(100.0)
    assert out["z_sei"].to_numpy() == pytest.approx(zscores(df["sei"].to_numpy()))


def test_cohort_statistics_one_row_and_empty() -> None:
    one = add_cohort_statistics(pd.DataFrame({"sei": [5.0], "bei": [9.0]}))
    assert one["z_sei"].tolist() == [0.0]
    assert one["outlier_count"].tolist() == [0]
    empty = add_cohort_statistics(pd.DataFrame({"sei": [], "bei": []}))
    assert empty.empty and "imp_candidate" in empty.columns


def test_imp_confidence() -> None:
    labels = imp_confidence(
        [False, True, True, True, True, True, True], [0.9, float("nan"), 0.71, 0.7, 0.51, 0.5, 0.1]
    )
    assert labels.tolist() == ["Not IMP", "Unknown", "High", "Medium", "Medium", "Low", "Low"]
    series = imp_confidence(pd.Series([True], index=[7]), pd.Series([0.8], index=[7]))
    assert series.index.tolist() == [7]
