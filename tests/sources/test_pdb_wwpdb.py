"""WwpdbIndexSource: entries and resolutions from local cc-to-pdb.tdd and resolu.idx files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from impulator import SourceUnavailable
from impulator.chem import standardize
from impulator.sources import PdbSource
from impulator.sources._pdb_ccd import CcdPdbSource
from impulator.sources._pdb_wwpdb import (
    LIGAND_FILE,
    RESOLUTION_FILE,
    WwpdbIndexSource,
    _parse_ligands,
    _parse_resolutions,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "pdb"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


@pytest.fixture(scope="module")
def ccd() -> CcdPdbSource:
    return CcdPdbSource()


@pytest.fixture
def source(ccd: CcdPdbSource) -> WwpdbIndexSource:
    return WwpdbIndexSource(FIXTURES, ccd=ccd)


def _copy_fixtures(tmp_path: Path) -> Path:
    for name in (LIGAND_FILE, RESOLUTION_FILE):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def test_fixtures_parse_and_faults_are_counted(source: WwpdbIndexSource) -> None:
    assert isinstance(source, PdbSource)
    assert source.stats() == {
        "ligand_codes": 4,  # AIN ATP IBP HOH; SAL's line holds an invalid id
        "ligand_lines": 7,
        "ligand_blank": 1,
        "ligand_malformed": 2,
        "entries": 19,
        "resolution_lines": 27,
        "resolution_blank": 2,
        "resolution_malformed": 2,
    }


def test_aspirin_gets_every_entry_of_ain_with_its_resolution(source: WwpdbIndexSource) -> None:
    lookup = source.lookup(standardize(ASPIRIN))
    assert lookup.ligand_codes == ("AIN",)
    got = {e.pdb_id: e.resolution for e in lookup.entries}
    assert got == {
        "1OXR": 1.93,
        "1TGM": 1.86,
        "2QQT": 2.00,
        "3GCL": 2.50,
        "3IAZ": 2.20,
        "4NSB": None,  # empty resolution field
        "2N5K": None,  # -1.00: NMR
    }
    assert all(e.ligand_code == "AIN" for e in lookup.entries)
    assert lookup.source == source.name and "resolu.idx" in lookup.note
    assert lookup.details["ligand_lines_skipped"] == "2"


def test_no_resolution_values_mean_none(source: WwpdbIndexSource) -> None:
    assert source.resolution("2N5K") is None  # -1.00
    assert source.resolution("5ABC") is None  # 0.00
    assert source.resolution("4NSB") is None  # empty
    assert source.resolution("9ZZZ") is None  # not in the file
    assert source.resolution("1b0u") == 1.5  # ids are case-insensitive


def test_salt_form_finds_the_same_entries(source: WwpdbIndexSource) -> None:
    salt = source.lookup(standardize("CC(=O)Oc1ccccc1C(=O)[O-].[K+]"))
    assert salt.entries == source.lookup(standardize(ASPIRIN)).entries


def test_structure_without_ccd_component_gives_no_entries(source: WwpdbIndexSource) -> None:
    lookup = source.lookup(standardize("CC(C)Cc1ccc(C(C)C(=O)O)cc1"))  # racemic: no exact code
    assert lookup.entries == () and lookup.note.startswith("no CCD component")


def test_component_missing_from_the_index_falls_back_to_its_model_entry(
    source: WwpdbIndexSource,
) -> None:
    lookup = source.lookup(standardize("OC(=O)c1ccccc1O"))  # SAL: its line is malformed
    assert lookup.ligand_codes == ("SAL",)
    assert [e.pdb_id for e in lookup.entries] == ["1FO4"]
    assert "only the CCD model entry" in lookup.note


def test_files_are_parsed_once(source: WwpdbIndexSource, tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    fresh = WwpdbIndexSource(folder, ccd=source.ccd)
    before = _parse_ligands.cache_info().misses, _parse_resolutions.cache_info().misses
    for _ in range(3):
        fresh.lookup(standardize(ASPIRIN))
    after = _parse_ligands.cache_info().misses, _parse_resolutions.cache_info().misses
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_missing_folder_says_what_to_do(ccd: CcdPdbSource, tmp_path: Path) -> None:
    source = WwpdbIndexSource(tmp_path / "nowhere", ccd=ccd)
    with pytest.raises(SourceUnavailable, match="does not exist") as info:
        source.lookup(standardize(ASPIRIN))
    assert "IMPULATOR_PDB_INDEX_DIR" in str(info.value)
    assert "IMPULATOR_PDB_SOURCE=ccd" in str(info.value)


def test_missing_file_says_which(ccd: CcdPdbSource, tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / RESOLUTION_FILE).unlink()
    with pytest.raises(SourceUnavailable, match=r"resolu\.idx is missing"):
        WwpdbIndexSource(folder, ccd=ccd).lookup(standardize(ASPIRIN))


@pytest.mark.parametrize("name", [LIGAND_FILE, RESOLUTION_FILE])
def test_file_without_a_valid_line_is_refused(ccd: CcdPdbSource, tmp_path: Path, name: str) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / name).write_text("<html><body>502 Bad Gateway</body></html>\n")
    with pytest.raises(SourceUnavailable, match="holds no valid line"):
        WwpdbIndexSource(folder, ccd=ccd).lookup(standardize(ASPIRIN))


def test_resolution_file_without_header_is_read_from_the_top(
    ccd: CcdPdbSource, tmp_path: Path
) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / RESOLUTION_FILE).write_text("1OXR\t;\t1.93\n")
    source = WwpdbIndexSource(folder, ccd=ccd)
    assert source.resolution("1OXR") == 1.93
    assert source.stats()["resolution_malformed"] == 0
