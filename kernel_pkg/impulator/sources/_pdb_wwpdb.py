"""PDB entries and resolutions offline, from a local copy of two wwPDB index files.

- ``cc-to-pdb.tdd`` (Ligand Expo dictionaries): one line per ligand code, the code, a tab, then
  the space-separated PDB ids of every entry holding it, e.g. ``AIN<TAB>1oxr 1tgm 2qqt``.
- ``resolu.idx`` (``pub/pdb/derived_data/index/``): a few header lines, a line of dashes, then
  one line per entry, ``101M<TAB>;<TAB>2.07``; -1.00, 0.00 or nothing means no resolution
  (NMR and other methods without one).

The structure is first mapped to its ligand code(s) by the Chemical Component Dictionary
(:class:`CcdPdbSource`), since both files are keyed by code. Each file is parsed once per
process (again only if it changes); blank and malformed lines are skipped and counted.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from impulator._errors import SourceUnavailable
from impulator.chem import Structure
from impulator.sources._base import PdbEntry, PdbLookup
from impulator.sources._pdb_ccd import CcdPdbSource

__all__ = ["LIGAND_FILE", "RESOLUTION_FILE", "WwpdbIndexSource"]

LIGAND_FILE = "cc-to-pdb.tdd"
RESOLUTION_FILE = "resolu.idx"

_CODE = re.compile(r"[A-Za-z0-9]{1,5}")
# Four-character ids today; the extended form (pdb_0000xxxx) is announced by wwPDB.
_PDB_ID = re.compile(r"(?:[0-9][A-Za-z0-9]{3}|pdb_[0-9A-Za-z]{8})")
_IDS = re.compile(r"[A-Za-z0-9_ ]+")
_RESOLUTION_LINE = re.compile(r"\s*([A-Za-z0-9_]+)\s*;\s*(\S*)\s*")
_DASHES = re.compile(r"\s*-{3,}[-\s;]*")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class _Parsed:
    """One parsed index file: its values, and how many lines were read, blank or skipped."""

    values: dict[str, str]
    lines: int
    blank: int
    malformed: int


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        info = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path.resolve()), info.st_mtime_ns, info.st_size)


def _read_lines(path: Path, what: str) -> list[str]:
    if not path.is_file():
        raise SourceUnavailable(
            f"{path} is missing: download wwPDB's {what} into {path.parent} "
            "(see IMPULATOR_PDB_INDEX_DIR), or set IMPULATOR_PDB_SOURCE=ccd"
        )
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise SourceUnavailable(f"{path} is unreadable ({exc}); download it again") from None


def _no_valid_line(path: Path, what: str) -> SourceUnavailable:
    return SourceUnavailable(
        f"{path} holds no valid line: it is not wwPDB's {what} (truncated download, HTML "
        "error page?); download it again"
    )


@functools.lru_cache(maxsize=4)
def _parse_ligands(stamp: tuple[str, int, int]) -> _Parsed:
    path = Path(stamp[0])
    lines = _read_lines(path, f"{LIGAND_FILE} (ligand code -> entries)")
    values: dict[str, str] = {}
    blank = malformed = 0
    for line in lines:
        if not line.strip():
            blank += 1
            continue
        code, tab, ids = line.partition("\t")
        ids = ids.strip()
        if not tab or not _CODE.fullmatch(code.strip()) or not ids or not _IDS.fullmatch(ids):
            malformed += 1
            continue
        # The ids stay one string per code: split on lookup. Splitting all of them up front
        # would hold millions of small strings (water and sulfate are in most entries).
        values[code.strip().upper()] = ids
    if not values:
        raise _no_valid_line(path, LIGAND_FILE)
    return _Parsed(values, len(lines), blank, malformed)


@functools.lru_cache(maxsize=4)
def _parse_resolutions(stamp: tuple[str, int, int]) -> _Parsed:
    path = Path(stamp[0])
    lines = _read_lines(path, f"{RESOLUTION_FILE} (entry resolutions)")
    # Lines before the dashed rule are the header; a file without one is read from the top.
    start = next((i + 1 for i, line in enumerate(lines) if _DASHES.fullmatch(line)), 0)
    values: dict[str, str] = {}
    blank = malformed = 0
    for line in lines[start:]:
        if not line.strip():
            blank += 1
            continue
        m = _RESOLUTION_LINE.fullmatch(line)
        if not m or not _PDB_ID.fullmatch(m[1]) or (m[2] and not _NUMBER.fullmatch(m[2])):
            malformed += 1
            continue
        values[m[1].upper()] = m[2]
    if not values:
        raise _no_valid_line(path, RESOLUTION_FILE)
    return _Parsed(values, len(lines), blank, malformed)


def _resolution(text: str) -> float | None:
    """Å, or None when the file says there is none (-1.00, 0.00, empty)."""
    value = float(text) if text else 0.0
    return value if value > 0 else None


class WwpdbIndexSource:
    """Every entry holding a structure, with its resolution, from local wwPDB index files.

    Args:
        folder: a folder holding ``cc-to-pdb.tdd`` and ``resolu.idx``.
        ccd: maps a structure to its ligand code(s); a :class:`CcdPdbSource` by default.

    Example:
        >>> import tempfile, pathlib
        >>> from impulator.chem import standardize
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "cc-to-pdb.tdd").write_text("AIN\\t1oxr 2qqt\\n")
        >>> header = "IDCODE\\t;\\tRESOLUTION\\n------\\t;\\t----------\\n"
        >>> _ = (folder / "resolu.idx").write_text(header + "1OXR\\t;\\t1.93\\n2QQT\\t;\\t-1.00\\n")
        >>> lookup = WwpdbIndexSource(folder).lookup(standardize("CC(=O)Oc1ccccc1C(=O)O"))
        >>> [(e.pdb_id, e.resolution, e.ligand_code) for e in lookup.entries]
        [('1OXR', 1.93, 'AIN'), ('2QQT', None, 'AIN')]
    """

    def __init__(self, folder: str | Path, ccd: CcdPdbSource | None = None) -> None:
        self.folder = Path(folder).expanduser()
        self.ccd = ccd if ccd is not None else CcdPdbSource()
        self.name = f"wwPDB index files ({LIGAND_FILE}, {RESOLUTION_FILE}) + {self.ccd.name}"

    def _files(self) -> tuple[_Parsed, _Parsed]:
        if not self.folder.is_dir():
            raise SourceUnavailable(
                f"the wwPDB index folder {self.folder} does not exist: create it with "
                f"{LIGAND_FILE} and {RESOLUTION_FILE} from wwPDB, fix IMPULATOR_PDB_INDEX_DIR, "
                "or set IMPULATOR_PDB_SOURCE=ccd"
            )
        ligands = _parse_ligands(_stamp(self.folder / LIGAND_FILE))
        resolutions = _parse_resolutions(_stamp(self.folder / RESOLUTION_FILE))
        return ligands, resolutions

    def entries_for_code(self, code: str) -> tuple[str, ...]:
        """PDB ids (upper case, file order, duplicates dropped) listed for a ligand code."""
        ligands, _ = self._files()
        ids = ligands.values.get(code.upper(), "").split()
        return tuple(dict.fromkeys(i.upper() for i in ids if _PDB_ID.fullmatch(i)))

    def resolution(self, pdb_id: str) -> float | None:
        """Resolution of an entry in Å; None for NMR and entries missing from the file."""
        _, resolutions = self._files()
        return _resolution(resolutions.values.get(pdb_id.upper(), ""))

    def lookup(self, structure: Structure) -> PdbLookup:
        """Ligand code(s) from the CCD, then every entry holding them, with resolutions."""
        ligands, resolutions = self._files()
        codes = self.ccd.ligand_codes(structure)
        entries: dict[str, PdbEntry] = {}
        unindexed: list[str] = []
        for code in codes:
            ids = self.entries_for_code(code)
            if not ids and (model := self.ccd.model_entry(code)):
                # A component newer than the local files: its model entry is still evidence.
                unindexed.append(code)
                ids = (model,)
            for pdb_id in ids:
                if pdb_id not in entries:  # an entry holding two matching codes counts once
                    entries[pdb_id] = PdbEntry(pdb_id, self.resolution(pdb_id), code)
        missing = sum(1 for pdb_id in entries if pdb_id not in resolutions.values)
        note = (
            f"ligand code(s) from the {self.ccd.name}; entries from {LIGAND_FILE}, "
            f"resolutions from {RESOLUTION_FILE} (none for NMR or entries missing from it)"
        )
        if not codes:
            note = "no CCD component has this structure, so the index files have nothing; " + note
        if unindexed:
            note += f"; {', '.join(unindexed)} not in {LIGAND_FILE}: only the CCD model entry"
        return PdbLookup(
            source=self.name,
            ligand_codes=codes,
            entries=tuple(entries.values()),
            note=note,
            details={
                "query_inchikey": structure.inchikey,
                "folder": str(self.folder),
                "entries_without_resolution_line": str(missing),
                "ligand_lines_skipped": str(ligands.malformed),
                "resolution_lines_skipped": str(resolutions.malformed),
            },
        )

    def stats(self) -> dict[str, int]:
        """Lines read, blank and skipped (malformed) in each file, and values kept."""
        ligands, resolutions = self._files()
        return {
            "ligand_codes": len(ligands.values),
            "ligand_lines": ligands.lines,
            "ligand_blank": ligands.blank,
            "ligand_malformed": ligands.malformed,
            "entries": len(resolutions.values),
            "resolution_lines": resolutions.lines,
            "resolution_blank": resolutions.blank,
            "resolution_malformed": resolutions.malformed,
        }
