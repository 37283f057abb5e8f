"""Efficiency indices: SCIENCE.md section 4, its reference example and the invalid cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impulator.science import INDEX_NAMES, add_efficiency_indices, efficiency_indices

# The prototype's unit test (SCIENCE.md section 4).
REFERENCE = {"pactivity": 7.5, "tpsa": 85.2, "mw": 342.1, "npol": 5, "nha": 24}


def test_reference_example() -> None:
    ix = efficiency_indices(**REFERENCE)
    assert ix["sei"] == pytest.approx(8.8028, abs=1e-4)
    assert ix["bei"] == pytest.approx(21.9234, abs=1e-4)
    assert ix["nsei"] == pytest.approx(1.5, abs=1e-4)
    assert ix["nbei"] == pytest.approx(0.3125, abs=1e-4)
    assert ix["nbei_log"] == pytest.approx(8.8802, abs=1e-4)
    assert ix["le"] == pytest.approx(1.37 * 7.5 / 24, abs=1e-9)
    assert math.isnan(ix["lle"])  # no logP given
    assert efficiency_indices(**REFERENCE, logp=2.5)["lle"] == pytest.approx(5.0)


def test_scalars_in_floats_out() -> None:
    ix = efficiency_indices(**REFERENCE)
    assert set(ix) == set(INDEX_NAMES)
    assert all(type(v) is float for v in ix.values())


def test_arrays_in_arrays_out() -> None:
    ix = efficiency_indices(
        np.array([7.5, 6.0]), np.array([85.2, 0.0]), 342.1, np.array([5, 0]), 24
    )
    assert isinstance(ix["sei"], np.ndarray)
    assert ix["sei"].shape == (2,)
    assert ix["sei"][0] == pytest.approx(8.8028, abs=1e-4)
    assert np.isnan(ix["sei"][1])
    assert ix["bei"][1] == pytest.approx(6.0 / 0.3421)


def test_series_in_series_out_keeps_index() -> None:
    p = pd.Series([7.5, 8.0], index=["a", "b"])
    ix = efficiency_indices(p, 85.2, 342.1, 5, 24)
    assert isinstance(ix["bei"], pd.Series)
    assert list(ix["bei"].index) == ["a", "b"]


@pytest.mark.parametrize(
    ("changes", "nan_keys"),
    [
        ({"tpsa": 0.0}, {"sei"}),
        ({"tpsa": -3.0}, {"sei"}),
        ({"tpsa": None}, {"sei"}),
        ({"mw": 0.0}, {"bei"}),
        ({"npol": 0}, {"nsei"}),
        ({"nha": 0}, {"nbei", "nbei_log", "le"}),
        ({"pactivity": float("nan")}, {"sei", "bei", "nsei", "nbei", "nbei_log", "le"}),
        ({"tpsa": float("inf")}, {"sei"}),
    ],
)
def test_invalid_inputs_give_nan_never_inf_or_zero(
    changes: dict[str, float | None], nan_keys: set[str]
) -> None:
    ix = efficiency_indices(**{**REFERENCE, **changes}, logp=1.0)  # type: ignore[arg-type]
    for key, value in ix.items():
        assert not math.isinf(value), key
        if key in nan_keys:
            assert math.isnan(value), key
        elif key != "lle" or "pactivity" not in changes:
            assert value != 0 and not math.isnan(value), key


def test_dataframe_form_adds_columns() -> None:
    df = pd.DataFrame([REFERENCE, {**REFERENCE, "tpsa": 0.0}])
    out = add_efficiency_indices(df)
    assert list(out.columns[: len(df.columns)]) == list(df.columns)
    assert set(INDEX_NAMES) <= set(out.columns)
    assert out.loc[0, "sei"] == pytest.approx(8.8028, abs=1e-4)
    assert np.isnan(out.loc[1, "sei"])
    assert "sei" not in df.columns  # the input is not modified


def test_dataframe_form_empty_and_missing_columns() -> None:
    empty = pd.DataFrame(columns=["pactivity", "tpsa", "mw", "npol", "nha"])
    assert add_efficiency_indices(empty).empty
    with pytest.raises(KeyError, match="tpsa"):
        add_efficiency_indices(pd.DataFrame({"pactivity": [7.0]}))


positive = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
pact = st.floats(min_value=0.1, max_value=14, allow_nan=False)


@given(
    p=pact,
    k=st.floats(min_value=0.1, max_value=10),
    tpsa=positive,
    mw=positive,
    npol=st.integers(1, 60),
    nha=st.integers(1, 200),
)
def test_indices_scale_linearly_with_pactivity(
    p: float, k: float, tpsa: float, mw: float, npol: int, nha: int
) -> None:
    one = efficiency_indices(p, tpsa, mw, npol, nha)
    scaled = efficiency_indices(k * p, tpsa, mw, npol, nha)
    for key in ("sei", "bei", "nsei", "nbei", "le"):
        assert scaled[key] == pytest.approx(k * one[key], rel=1e-9)
