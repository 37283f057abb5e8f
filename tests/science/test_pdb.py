"""PDB evidence score (SCIENCE.md section 8): every worked example."""

from __future__ import annotations

import pytest

from impulator.science import pdb_evidence, pdb_score, resolution_bin

HIGH, MEDIUM, POOR = 1.5, 2.5, 3.5


@pytest.mark.parametrize(
    ("high", "medium", "poor", "expected"),
    [
        (4, 3, 1, 0.922),
        (1, 2, 0, 0.717),
        (0, 0, 1, 0.350),
        (6, 2, 0, 0.969),
        (0, 2, 0, 0.575),
        (5, 0, 0, 1.0),
    ],
)
def test_worked_examples(high: int, medium: int, poor: int, expected: float) -> None:
    resolutions = [HIGH] * high + [MEDIUM] * medium + [POOR] * poor
    assert abs(pdb_score(resolutions) - expected) <= 5e-4


def test_structures_without_resolution_count_but_do_not_score() -> None:
    ev = pdb_evidence([None, float("nan")])
    assert ev.n_structures == 2 and ev.n_resolved == 0 and ev.score == 0.0
    mixed = pdb_evidence([None, HIGH])
    assert mixed.n_structures == 2 and mixed.n_resolved == 1
    assert mixed.score == pdb_score([HIGH])


def test_no_structures() -> None:
    assert pdb_score([]) == 0.0


@pytest.mark.parametrize(
    ("resolution", "expected"),
    [(1.99, "high"), (2.0, "medium"), (3.0, "medium"), (3.01, "poor"), (None, None), (0.0, None)],
)
def test_resolution_bins(resolution: float | None, expected: str | None) -> None:
    assert resolution_bin(resolution) == expected


def test_evidence_as_dict() -> None:
    d = pdb_evidence([HIGH] * 4 + [MEDIUM] * 3 + [POOR]).as_dict()
    assert d["n_high"] == 4 and d["n_medium"] == 3 and d["n_poor"] == 1
    assert d["quality_score"] == pytest.approx(6.75 / 8)
