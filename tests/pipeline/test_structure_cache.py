"""Structures and profiles on disk: what a later process reads back is what it would compute."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from rdkit.Chem import rdFingerprintGenerator

from impulator.chem import Structure, descriptors, interference_flags, standardize
from impulator.pipeline import StructureCache, analyze, use_structure_cache
from impulator.pipeline import _analyze as analysis
from impulator.sources._chembl_local import ChemblDatabase
from impulator.sources._pdb_ccd import CcdPdbSource
from tests.conftest import DASATINIB


@pytest.fixture(scope="module")
def source(demo_dir: Path) -> ChemblDatabase:
    demo = demo_dir / "demo"
    return ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", demo / "chembl_demo.h5")


@pytest.fixture(scope="module")
def queries(source: ChemblDatabase) -> list[str]:
    """Dasatinib and two more compounds with activities, as the source writes them."""
    with source.engine.connect() as conn:
        smiles = conn.execute(
            sa.text(
                "SELECT cs.canonical_smiles FROM compound_structures cs WHERE EXISTS"
                " (SELECT 1 FROM activities a WHERE a.molregno = cs.molregno)"
                " ORDER BY cs.molregno LIMIT 2"
            )
        ).scalars()
        return [DASATINIB, *smiles]


def _fresh_process() -> None:
    # What a new kernel or batch worker starts with: no structures in memory.
    analysis._read_smiles.cache_clear()
    analysis._profile.cache_clear()


@pytest.fixture
def cache_folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    use_structure_cache(None)
    _fresh_process()


def test_a_stored_structure_is_the_computed_one(tmp_path: Path) -> None:
    computed = standardize("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
    profile = {"inchikey": computed.inchikey, **descriptors(computed)}
    profile.update(interference_flags(computed).as_dict())
    StructureCache(tmp_path).add(computed, profile)

    stored = StructureCache(tmp_path).get(computed.input)
    assert stored is not None
    assert (stored.smiles, stored.inchi, stored.inchikey, stored.excluded) == (
        computed.smiles,
        computed.inchi,
        computed.inchikey,
        computed.excluded,
    )
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    assert generator.GetFingerprint(stored.mol) == generator.GetFingerprint(computed.mol)
    assert stored._cache["profile"] == profile
    assert StructureCache(tmp_path).get("CCO") is None


def test_analyses_read_back_from_the_file_give_the_same_rows(
    source: ChemblDatabase, queries: list[str], cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdb = CcdPdbSource()
    use_structure_cache(None)
    _fresh_process()
    computed = [analyze(q, source=source, pdb_source=pdb).rows for q in queries]

    use_structure_cache(StructureCache(cache_folder))
    _fresh_process()
    filling = [analyze(q, source=source, pdb_source=pdb).rows for q in queries]
    (stored_file,) = cache_folder.glob("structures-*.sqlite")

    _fresh_process()
    calls: list[str] = []

    def counted(text: str) -> Structure:
        calls.append(text)
        return standardize(text)

    monkeypatch.setattr(analysis, "standardize", counted)
    read_back = [analyze(q, source=source, pdb_source=pdb).rows for q in queries[1:]]
    assert calls == []  # the queries (the source's SMILES) and neighbours came from the file
    assert stored_file.stat().st_size > 0
    for before, first in zip(computed, filling, strict=True):
        assert not before.empty
        pd.testing.assert_frame_equal(first, before, check_exact=True)
    for before, later in zip(computed[1:], read_back, strict=True):
        pd.testing.assert_frame_equal(later, before, check_exact=True)


def test_a_folder_that_cannot_be_written_leaves_analyses_as_without_it(
    source: ChemblDatabase, queries: list[str], cache_folder: Path
) -> None:
    if os.geteuid() == 0:
        blocked = cache_folder / "not-a-folder"
        blocked.write_text("a file where the cache folder should be")
    else:
        blocked = cache_folder / "read-only"
        blocked.mkdir(mode=0o500)
    use_structure_cache(StructureCache(blocked))
    _fresh_process()
    report = analyze(queries[1], source=source, pdb_source=CcdPdbSource())
    assert not report.rows.empty
    assert StructureCache(blocked).get(queries[1]) is None
