"""The classes of the score bands: their colours, and which count as strong."""

from __future__ import annotations

import re

import numpy as np

from impulator import science, store
from impulator.exports import _draw
from impulator.science import BANDS, CLASS_COLOURS, STRONG_CLASSES, classify
from impulator.ui import _theme


def test_every_class_has_a_colour_in_band_order() -> None:
    labels, _ = classify(np.array([*np.linspace(0, 1, 101), np.nan]))
    assert set(labels) <= set(CLASS_COLOURS)
    assert list(CLASS_COLOURS) == [label for _, label, _ in BANDS] + ["Not IMP", "Invalid"]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in CLASS_COLOURS.values())
    assert len(set(CLASS_COLOURS.values())) == len(CLASS_COLOURS)


def test_the_pages_and_the_reports_use_these_colours() -> None:
    assert _theme.CLASS_COLOURS is CLASS_COLOURS and _draw.CLASS_COLOURS is CLASS_COLOURS
    assert _theme.badge("Strong IMP").endswith('style="background:#1565c0">Strong IMP</span>')


def test_strong_classes_are_unchanged() -> None:
    assert STRONG_CLASSES == ("Strong IMP", "Exceptional IMP")
    assert store.STRONG_CLASSES is STRONG_CLASSES


def test_strong_classes_are_the_classes_of_scores_from_the_strong_band_up() -> None:
    scores = np.linspace(0, 1, 1001)
    labels, _ = classify(scores)
    floor = science._scoring.STRONG_SCORE
    assert set(labels[scores >= floor]) == set(STRONG_CLASSES)
    assert not set(labels[scores < floor - 1e-9]) & set(STRONG_CLASSES)
    ordered = [label for lower, label, _ in sorted(BANDS) if label in STRONG_CLASSES]
    assert list(STRONG_CLASSES) == ordered  # lowest band first
