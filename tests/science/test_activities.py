"""Activities: unit conversion, pActivity and both curation modes (SCIENCE.md section 2)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impulator.science import curate_activities, pactivity, to_nanomolar


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("pM", 1e-3),
        ("nM", 1.0),
        ("uM", 1e3),
        ("µM", 1e3),
        ("μM", 1e3),
        ("mM", 1e6),
        ("M", 1e9),
        (" nM ", 1.0),
    ],
)
def test_unit_factors(unit: str, factor: float) -> None:
    assert to_nanomolar(2.0, unit) == pytest.approx(2.0 * factor)


@pytest.mark.parametrize("unit", ["ug.mL-1", "%", "", None, "nm", "mg/kg", float("nan")])
def test_unconvertible_units_are_nan(unit: object) -> None:
    assert math.isnan(to_nanomolar(5.0, unit))


def test_pactivity() -> None:
    assert pactivity(10.0) == 8.0
    assert pactivity(1.0) == 9.0
    assert pactivity(1e9) == 0.0
    assert math.isnan(pactivity(0.0)) and math.isnan(pactivity(-1.0))
    assert math.isnan(pactivity(float("nan"))) and math.isnan(pactivity(None))
    assert pactivity(np.array([100.0, 1000.0])).tolist() == [7.0, 6.0]


def _record(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "molecule_chembl_id": "CHEMBL25",
        "target_chembl_id": "CHEMBL204",
        "standard_type": "Ki",
        "standard_relation": "=",
        "standard_value": 10.0,
        "standard_units": "nM",
        "pchembl_value": None,
        "data_validity_comment": None,
        "activity_comment": None,
    }
    base.update(overrides)
    return base


RECORDS = pd.DataFrame(
    [
        _record(),  # kept: 8.0
        _record(standard_value=100.0, pchembl_value=7.0),  # kept: 7.0
        _record(standard_relation=">", standard_value=5.0),  # relation
        _record(standard_relation="'='", standard_value=1.0),  # quoted '=' is '=': 9.0
        _record(data_validity_comment="Outside typical range"),  # validity
        _record(data_validity_comment="Manually validated", standard_value=1000.0),  # kept: 6.0
        _record(activity_comment="Not Active"),  # inactive
        _record(activity_comment="inactive"),  # inactive
        _record(standard_units="ug.mL-1"),  # unit
        _record(standard_value=0.0),  # non-positive
        _record(standard_value=None),  # missing value
        _record(standard_type="Potency"),  # type not selected
        _record(target_chembl_id="CHEMBL217", standard_value=1.0, standard_units="uM"),  # 6.0
        _record(standard_value=10.0, pchembl_value=7.5),  # pChEMBL disagrees: 7.5 used
    ]
)


def test_curated_mode_rules_and_counts() -> None:
    cur = curate_activities(RECORDS)
    assert cur.mode == "curated"
    assert cur.removed == {
        "activity_type": 1,
        "missing_value": 1,
        "unit": 1,
        "non_positive": 1,
        "relation": 1,
        "data_validity": 1,
        "inactive": 2,
    }
    assert cur.records_in == 14 and cur.records_kept == 6
    assert cur.pchembl_disagreements == 1
    rows = cur.rows.set_index("target_chembl_id")
    # CHEMBL204: 8.0, 7.0, 9.0, 6.0, 7.5 -> median 7.5 over 5 records, spread 3.0
    assert rows.loc["CHEMBL204", "pactivity"] == pytest.approx(7.5)
    assert rows.loc["CHEMBL204", "n_records"] == 5
    assert rows.loc["CHEMBL204", "pactivity_spread"] == pytest.approx(3.0)
    assert rows.loc["CHEMBL204", "value_nm"] == pytest.approx(10**1.5)
    assert rows.loc["CHEMBL217", "pactivity"] == pytest.approx(6.0)
    assert "inactive: 2 removed" in cur.summary()


def test_prototype_mode_keeps_every_convertible_positive_record() -> None:
    cur = curate_activities(RECORDS, mode="prototype")
    assert cur.removed == {"activity_type": 1, "missing_value": 1, "unit": 1, "non_positive": 1}
    assert len(cur.rows) == 10
    assert (cur.rows["n_records"] == 1).all()


def test_pchembl_value_is_used_when_present() -> None:
    cur = curate_activities(pd.DataFrame([_record(standard_value=12.0, pchembl_value=7.92)]))
    assert cur.rows.loc[0, "pactivity"] == 7.92
    assert cur.pchembl_disagreements == 0  # 9 - log10(12) = 7.9208


def test_all_types_when_none_selected_and_missing_columns() -> None:
    minimal = pd.DataFrame(
        {
            "molecule_chembl_id": ["a"],
            "target_chembl_id": ["t"],
            "standard_type": ["Potency"],
            "standard_relation": ["="],
            "standard_value": [100.0],
            "standard_units": ["nM"],
        }
    )
    assert len(curate_activities(minimal, activity_types=None).rows) == 1
    assert len(curate_activities(minimal).rows) == 0


def test_empty_records() -> None:
    cur = curate_activities(pd.DataFrame(columns=["standard_value"]))
    assert cur.rows.empty and cur.records_in == 0


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="curated"):
        curate_activities(RECORDS, mode="strict")  # type: ignore[arg-type]
