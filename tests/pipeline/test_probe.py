"""``pipeline.probe``: neighbour counts per similarity threshold, on the demo ChEMBL fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from impulator import UnknownCompound, pipeline
from impulator.sources import ChemblDatabase
from tests.conftest import DASATINIB


@pytest.fixture(scope="module")
def source(demo_dir: Path) -> ChemblDatabase:
    demo = demo_dir / "demo"
    return ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", demo / "chembl_demo.h5")


def test_probe_counts_agree_with_the_analysis(source: ChemblDatabase) -> None:
    counts = pipeline.probe(DASATINIB, 0.55, source=source)
    assert list(counts) == [1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4]
    values = list(counts.values())
    assert values == sorted(values) and values[0] >= 1  # dasatinib itself at 1.0
    report = pipeline.analyze(DASATINIB, source=source, similarity=0.55, pdb=False)
    assert report.summary["neighbours"] == counts[0.55]


def test_probe_refuses_what_analyze_refuses(source: ChemblDatabase) -> None:
    with pytest.raises(ValueError, match="type a SMILES"):
        pipeline.probe("  ", source=source)
    with pytest.raises(UnknownCompound):
        pipeline.probe("CHEMBL999999999", source=source)
