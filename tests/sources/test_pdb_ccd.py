"""CcdPdbSource: ligand codes and model entries from biotite's Chemical Component Dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest

from impulator.chem import standardize
from impulator.sources import PdbSource
from impulator.sources import _pdb_ccd as pdb_ccd
from impulator.sources._pdb_ccd import (
    CcdKeyCache,
    CcdPdbSource,
    _formula_index,
    ccd_inchikey,
    heavy_formula,
)

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
ATP = "Nc1ncnc2c1ncn2[C@@H]1O[C@H](COP(=O)(O)OP(=O)(O)OP(=O)(O)O)[C@@H](O)[C@H]1O"
S_IBUPROFEN = "CC(C)Cc1ccc([C@H](C)C(=O)O)cc1"
RACEMIC_IBUPROFEN = "CC(C)Cc1ccc(C(C)C(=O)O)cc1"


@pytest.fixture(scope="module")
def ccd() -> CcdPdbSource:
    return CcdPdbSource()


def test_satisfies_the_protocol(ccd: CcdPdbSource) -> None:
    assert isinstance(ccd, PdbSource)
    assert ccd.name.startswith("wwPDB CCD (biotite ")


def test_aspirin_is_ain_from_its_model_entry(ccd: CcdPdbSource) -> None:
    lookup = ccd.lookup(standardize(ASPIRIN))
    assert lookup.ligand_codes == ("AIN",)
    assert [(e.pdb_id, e.resolution, e.ligand_code) for e in lookup.entries] == [
        ("1OXR", None, "AIN")
    ]
    assert lookup.source == ccd.name
    assert "no resolutions" in lookup.note
    assert lookup.details["query_inchikey"] == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"


def test_atp_stereo_comes_from_the_ccd_coordinates(ccd: CcdPdbSource) -> None:
    lookup = ccd.lookup(standardize(ATP))
    assert lookup.ligand_codes == ("ATP",)
    assert ccd_inchikey("ATP") == "ZKHQWZAMYRWXGA-KQYNXXCUSA-N"


def test_ibuprofen_in_the_pdb_is_the_s_enantiomer(ccd: CcdPdbSource) -> None:
    assert ccd.lookup(standardize(S_IBUPROFEN)).ligand_codes == ("IBP",)
    # Undefined stereo is a different InChIKey: no exact match, said in the note ...
    racemic = ccd.lookup(standardize(RACEMIC_IBUPROFEN))
    assert racemic.ligand_codes == () and racemic.entries == ()
    assert racemic.note.startswith("no CCD component")
    # ... unless the connectivity layer is enough for the caller: both enantiomers then.
    relaxed = CcdPdbSource(match="connectivity").lookup(standardize(RACEMIC_IBUPROFEN))
    assert "IBP" in relaxed.ligand_codes and "connectivity" in relaxed.note


def test_salt_form_maps_like_its_parent(ccd: CcdPdbSource) -> None:
    salt = ccd.lookup(standardize("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]"))
    parent = ccd.lookup(standardize(ASPIRIN))
    assert salt.ligand_codes == parent.ligand_codes == ("AIN",)
    assert salt.entries == parent.entries


def test_components_stored_as_ions_match_the_neutral_parent(ccd: CcdPdbSource) -> None:
    # ACT is the CCD's acetate ion (C2 H3 O2, charge -1), ACY acetic acid: both are the
    # ChEMBL parent of acetic acid once standardised, and hydrogens are not in the index key.
    assert ccd.ligand_codes(standardize("CC(=O)O")) == ("ACT", "ACY")


def test_made_up_molecule_gives_an_empty_lookup_with_a_note(ccd: CcdPdbSource) -> None:
    lookup = ccd.lookup(standardize("FC(Cl)(Br)C(I)C1=CC2=C(C=C1)C1(CC1)CS2(=O)=O"))
    assert lookup.ligand_codes == () and lookup.entries == () and lookup.resolutions == []
    assert "no CCD component has this structure" in lookup.note


def test_formula_index_is_built_once_per_process(ccd: CcdPdbSource) -> None:
    first = _formula_index()
    for smiles in (ASPIRIN, ATP, "CC(=O)O"):
        ccd.lookup(standardize(smiles))
    CcdPdbSource().lookup(standardize(ASPIRIN))  # a new source reuses it too
    assert _formula_index() is first
    assert _formula_index.cache_info().misses == 1


def test_index_holds_released_components_only() -> None:
    index = _formula_index()
    assert index.n_components > 40_000 and 0 < index.n_obsolete < index.n_components
    assert "AIN" in index.by_formula["C9 O4"]
    assert index.model_entry["STI"] == "1IEP"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([("C", 9), ("H", 8), ("O", 4)], "C9 O4"),
        ([("FE", 3), ("NI", 1), ("S", 4)], "Fe3 Ni S4"),
        ([("H", 2), ("O", 1)], "O"),
        ([("D", 2), ("O", 1)], "O"),
        ([("Cl", 1), ("C", 1), ("Br", 1)], "C Br Cl"),
    ],
)
def test_heavy_formula(counts: list[tuple[str, int]], expected: str) -> None:
    assert heavy_formula(counts) == expected


def test_unknown_match_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="match must be"):
        CcdPdbSource(match="fuzzy")  # type: ignore[arg-type]


def test_component_keys_are_computed_once_per_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdb_ccd, "_KEYS", {})  # a fresh process
    first = CcdPdbSource(key_cache=tmp_path).lookup(standardize(ASPIRIN))
    key_file = CcdKeyCache(tmp_path).path
    lines = key_file.read_text().split()
    assert "AIN" in lines and "BSYNRYMUTXBXSQ-UHFFFAOYSA-N" in lines
    # Another process: nothing in memory, and rebuilding a component would fail the test.
    monkeypatch.setattr(pdb_ccd, "_KEYS", {})
    monkeypatch.setattr(pdb_ccd, "_component_mol", _never)
    again = CcdPdbSource(key_cache=tmp_path).lookup(standardize(ASPIRIN))
    assert again == first and again.ligand_codes == ("AIN",)


def test_key_file_skips_malformed_lines_and_survives_an_unwritable_folder(tmp_path: Path) -> None:
    cache = CcdKeyCache(tmp_path)
    cache.path.write_text("AIN\tBSYNRYMUTXBXSQ-UHFFFAOYSA-N\nATP\t\nbad line\nXYZ\t-\nACT\tTRUNC")
    assert CcdKeyCache(tmp_path).get(["AIN", "ATP", "XYZ", "ACT"]) == {
        "AIN": "BSYNRYMUTXBXSQ-UHFFFAOYSA-N",
        "XYZ": None,
    }
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    unwritable = CcdKeyCache(not_a_folder)
    unwritable.add({"AIN": "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"})  # no error: kept in memory
    assert unwritable.get(["AIN"]) == {"AIN": "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"}


def _never(code: str) -> None:
    raise AssertionError(f"{code} was rebuilt although its key is in the key file")
