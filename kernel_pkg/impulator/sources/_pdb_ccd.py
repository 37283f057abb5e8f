"""PDB ligands offline: the wwPDB Chemical Component Dictionary shipped inside biotite.

biotite's copy (``biotite/structure/info/components.bcif``) holds three categories:
``chem_comp`` (code, name, formula, release status and ``pdbx_model_coordinates_db_code``, the
entry the component's model coordinates come from), ``chem_comp_atom`` (elements, formal
charges, aromatic flags, model and ideal coordinates, hydrogens included) and
``chem_comp_bond`` (single/double/triple orders and aromatic flags). It has no descriptors:
no SMILES, InChI or InChIKey. Keys are therefore derived here, lazily: components are indexed
by heavy-atom formula once per process, and only the components whose formula matches a query
are rebuilt as RDKit molecules (stereo from their 3D coordinates), standardised the ChEMBL way
like the query itself, and keyed. Hydrogens are left out of the formula because the CCD keeps
each ligand in its deposited protonation state while the ChEMBL parent is neutralised.

Keying a component costs about 10 ms and an analysis meets several candidates per neighbour,
so keys are also kept on disk (:class:`CcdKeyCache`, in the data directory's ``cache``
folder): computed once per installation, reused by every later process (kernels, batch
workers). The file's name carries the versions of biotite (the CCD), RDKit and the ChEMBL
structure pipeline (the standardisation), so an upgrade starts a new file instead of reusing
keys made another way.

The CCD carries no resolutions and names one entry per component (its model's), not every
entry holding it; :class:`impulator.sources._pdb_wwpdb.WwpdbIndexSource` adds those.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Geometry import Point3D

from impulator._errors import InvalidInput, InvalidStructure, SourceUnavailable
from impulator.chem import Structure, standardize
from impulator.sources._base import PdbEntry, PdbLookup

__all__ = ["CcdKeyCache", "CcdPdbSource", "MatchMode", "ccd_inchikey", "heavy_formula"]

MatchMode = Literal["inchikey", "connectivity"]

_ELEMENT = re.compile(r"([A-Za-z]{1,2})(\d*)")
_BOND_ORDERS = {
    "SING": Chem.BondType.SINGLE,
    "DOUB": Chem.BondType.DOUBLE,
    "TRIP": Chem.BondType.TRIPLE,
}
_HYDROGENS = {"H", "D", "T"}
#: InChIKey (or None: the component could not be rebuilt) of each component keyed so far.
_KEYS: dict[str, str | None] = {}
#: Bump when the way a component is rebuilt and keyed changes: old key files are then ignored.
_KEYING_REVISION = 1
_CODE = re.compile(r"[A-Z0-9]{1,5}")
_INCHIKEY = re.compile(r"[A-Z]{14}-[A-Z]{10}-[A-Z]")

NOTE = (
    "wwPDB Chemical Component Dictionary inside biotite: ligand code(s) matched by {how}, and "
    "the entry each component's model coordinates come from; the CCD holds no resolutions and "
    "not every entry (configure local wwPDB index files or RCSB for those)"
)


def heavy_formula(counts: Iterable[tuple[str, int]]) -> str:
    """A Hill-ordered formula without hydrogens: the protonation-independent index key.

    Example:
        >>> heavy_formula([("O", 4), ("C", 9), ("H", 8)])
        'C9 O4'
        >>> heavy_formula([("Cl", 1), ("C", 2), ("Na", 1)])
        'C2 Cl Na'
    """
    total: Counter[str] = Counter()
    for element, n in counts:
        symbol = element.capitalize()
        if symbol not in _HYDROGENS:
            total[symbol] += n
    carbon = ["C"] if total["C"] else []
    order = carbon + sorted(e for e in total if e != "C" and total[e])
    return " ".join(e if total[e] == 1 else f"{e}{total[e]}" for e in order)


def _parse_formula(text: str) -> str | None:
    # CCD formulas look like "C9 H8 O4"; a few old ones are upper case ("FE3 NI S4").
    counts = []
    for token in text.split():
        m = _ELEMENT.fullmatch(token)
        if not m:
            return None
        counts.append((m[1], int(m[2] or 1)))
    return heavy_formula(counts) or None


def _mol_formula(mol: Chem.Mol) -> str:
    return heavy_formula((atom.GetSymbol(), 1) for atom in mol.GetAtoms())


@dataclass(frozen=True)
class _Index:
    by_formula: dict[str, tuple[str, ...]]
    model_entry: dict[str, str]
    n_components: int
    n_obsolete: int


@functools.cache
def _formula_index() -> _Index:
    """Released components by heavy-atom formula, built once per process (about 1 s)."""
    try:
        from biotite.structure.info import get_ccd

        chem_comp = get_ccd()["chem_comp"]
    except Exception as exc:  # a missing or damaged components.bcif raises various types
        raise SourceUnavailable(
            f"biotite's Chemical Component Dictionary is unreadable ({type(exc).__name__}: "
            f"{exc}); reinstall biotite or run `python -m biotite.setup_ccd`"
        ) from None
    # Plain lists iterate several times faster than numpy string arrays.
    codes: list[str] = chem_comp["id"].as_array(str).tolist()
    formulas: list[str] = chem_comp["formula"].as_array(str, "").tolist()
    entries: list[str] = chem_comp["pdbx_model_coordinates_db_code"].as_array(str, "").tolist()
    status: list[str] = chem_comp["pdbx_release_status"].as_array(str).tolist()
    groups: dict[str, list[str]] = {}
    model_entry: dict[str, str] = {}
    for code, formula, entry, state in zip(codes, formulas, entries, status, strict=True):
        key = _parse_formula(formula) if state == "REL" else None
        if key is None:
            continue  # obsolete, or no formula (UNL, the unknown ligand)
        groups.setdefault(key, []).append(code)
        if entry:
            model_entry[code] = entry.upper()
    return _Index(
        by_formula={k: tuple(v) for k, v in groups.items()},
        model_entry=model_entry,
        n_components=len(codes),
        n_obsolete=sum(state != "REL" for state in status),
    )


def _column(category: str, code: str, name: str, dtype: Any, masked: Any) -> np.ndarray[Any, Any]:
    from biotite.structure.info import get_from_ccd

    column = get_from_ccd(category, code, name)
    if column is None:
        return np.array([], dtype=dtype)
    return np.asarray(column.as_array(dtype, masked))


def _component_mol(code: str) -> Chem.Mol:
    """The component as an RDKit molecule with stereo perceived from its 3D coordinates."""
    names = _column("chem_comp_atom", code, "atom_id", str, "")
    elements = _column("chem_comp_atom", code, "type_symbol", str, "")
    charges = _column("chem_comp_atom", code, "charge", int, 0)
    xyz = np.stack(
        [
            _column("chem_comp_atom", code, f"pdbx_model_Cartn_{c}_ideal", float, np.nan)
            for c in "xyz"
        ],
        axis=1,
    )
    if np.isnan(xyz).any():  # ideal coordinates missing: the deposited model's are next best
        xyz = np.stack(
            [_column("chem_comp_atom", code, f"model_Cartn_{c}", float, np.nan) for c in "xyz"],
            axis=1,
        )
    rw = Chem.RWMol()
    for element, charge in zip(elements, charges, strict=True):
        atom = Chem.Atom("H" if element.upper() in _HYDROGENS else element.capitalize())
        atom.SetFormalCharge(int(charge))
        atom.SetNoImplicit(True)  # the CCD lists every hydrogen
        rw.AddAtom(atom)
    index = {name: i for i, name in enumerate(names)}
    first = _column("chem_comp_bond", code, "atom_id_1", str, "")
    second = _column("chem_comp_bond", code, "atom_id_2", str, "")
    orders = _column("chem_comp_bond", code, "value_order", str, "")
    for a, b, order in zip(first, second, orders, strict=True):
        rw.AddBond(index[a], index[b], _BOND_ORDERS[order])
    mol = rw.GetMol()
    Chem.SanitizeMol(mol)
    if len(xyz) and not np.isnan(xyz).any():
        conformer = Chem.Conformer(mol.GetNumAtoms())
        for i, (x, y, z) in enumerate(xyz):
            conformer.SetAtomPosition(i, Point3D(float(x), float(y), float(z)))
        conformer.Set3D(True)
        mol.AddConformer(conformer, assignId=True)
        Chem.AssignStereochemistryFrom3D(mol)
    mol = Chem.RemoveHs(mol)
    # The ChEMBL pipeline cleans 2D drawings only: the 3D conformer has done its job.
    mol.RemoveAllConformers()
    return mol


def ccd_inchikey(code: str) -> str | None:
    """Standard InChIKey of the ChEMBL parent of a CCD component (None: cannot be rebuilt).

    Computed on first request and kept for the process.

    Example:
        >>> ccd_inchikey("AIN")
        'BSYNRYMUTXBXSQ-UHFFFAOYSA-N'
    """
    if code not in _KEYS:
        try:
            with rdBase.BlockLogs():
                _KEYS[code] = standardize(_component_mol(code)).inchikey
        except (InvalidStructure, KeyError, ValueError, RuntimeError):
            _KEYS[code] = None  # unknown elements, bad valences, dangling bonds, too large
    return _KEYS[code]


def _keying_versions() -> str:
    """What the keys depend on: the CCD's and the standardisation's versions."""
    parts = [
        f"biotite {version('biotite')}",
        f"rdkit {version('rdkit')}",
        f"chembl_structure_pipeline {version('chembl_structure_pipeline')}",
        f"revision {_KEYING_REVISION}",
    ]
    return "; ".join(parts)


class CcdKeyCache:
    """Component InChIKeys on disk, shared by every process using the same folder.

    One line per component, ``CODE<TAB>INCHIKEY`` (``-`` for a component that cannot be
    rebuilt), appended as keys are computed: one ``write`` per batch in append mode, so
    concurrent processes add whole lines, each batch starting on a new line so that a write
    cut short (a full disk) spoils only its own line. Reading picks up only what is new since
    the last read and skips malformed lines and a line still being written. A folder that
    cannot be written (a read-only data directory) leaves the keys in memory only.

    Example:
        >>> import tempfile
        >>> cache = CcdKeyCache(tempfile.mkdtemp())
        >>> cache.add({"AIN": "BSYNRYMUTXBXSQ-UHFFFAOYSA-N", "XYZ": None})
        >>> CcdKeyCache(cache.path.parent).get(["AIN", "XYZ", "ATP"])
        {'AIN': 'BSYNRYMUTXBXSQ-UHFFFAOYSA-N', 'XYZ': None}
    """

    def __init__(self, folder: str | Path) -> None:
        digest = hashlib.sha256(_keying_versions().encode()).hexdigest()[:12]
        self.path = Path(folder).expanduser() / f"ccd-inchikeys-{digest}.tsv"
        self._keys: dict[str, str | None] = {}
        self._offset = 0
        self._lock = threading.Lock()

    def get(self, codes: Iterable[str]) -> dict[str, str | None]:
        """The keys of those ``codes`` the file holds (reading what was added since last)."""
        with self._lock:
            self._read_new()
            return {code: self._keys[code] for code in codes if code in self._keys}

    def _read_new(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except OSError:  # no file yet (or unreadable): nothing cached
            return
        complete = chunk.rfind(b"\n") + 1  # a line still being written waits for later
        self._offset += complete
        for line in chunk[:complete].decode("ascii", "replace").splitlines():
            code, _, key = line.partition("\t")
            if _CODE.fullmatch(code) and (key == "-" or _INCHIKEY.fullmatch(key)):
                self._keys[code] = None if key == "-" else key

    def add(self, keys: Mapping[str, str | None]) -> None:
        """Append computed keys (best effort: a file that cannot be written is left alone)."""
        if not keys:
            return
        with self._lock:
            self._keys.update(keys)
        text = "\n" + "".join(f"{code}\t{key or '-'}\n" for code, key in keys.items())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, text.encode("ascii"))
            finally:
                os.close(descriptor)
        except OSError:
            pass  # a read-only data directory: the keys stay in this process's memory


class CcdPdbSource:
    """Ligand code(s) and model entry of a structure, from biotite's CCD (offline).

    Args:
        match: ``"inchikey"`` (default) compares full standard InChIKeys of ChEMBL parents;
            ``"connectivity"`` compares their first block only, so stereoisomers and isotopic
            variants also match (the note says so).
        key_cache: a folder keeping components' InChIKeys across processes
            (:class:`CcdKeyCache`; :func:`impulator.sources.open_pdb_source` passes the data
            directory's ``cache`` folder); None keeps them for this process only.

    Example:
        >>> from impulator.chem import standardize
        >>> lookup = CcdPdbSource().lookup(standardize("CC(=O)Oc1ccccc1C(=O)O"))
        >>> lookup.ligand_codes, lookup.entries[0].pdb_id, lookup.entries[0].resolution
        (('AIN',), '1OXR', None)
    """

    def __init__(self, match: MatchMode = "inchikey", key_cache: str | Path | None = None) -> None:
        if match not in ("inchikey", "connectivity"):
            raise InvalidInput(f"match must be 'inchikey' or 'connectivity', not {match!r}")
        self.match: MatchMode = match
        self.name = f"wwPDB CCD (biotite {version('biotite')})"
        self.key_cache = CcdKeyCache(key_cache) if key_cache is not None else None

    def ligand_codes(self, structure: Structure) -> tuple[str, ...]:
        """CCD codes of the components that are ``structure`` (same ChEMBL parent), sorted."""
        candidates = _formula_index().by_formula.get(_mol_formula(structure.mol), ())
        self._key_candidates(candidates)
        wanted = self._key(structure.inchikey)
        found = []
        for code in candidates:
            key = ccd_inchikey(code)
            if key is not None and self._key(key) == wanted:
                found.append(code)
        return tuple(sorted(found))

    def model_entry(self, code: str) -> str | None:
        """The PDB entry the component's model coordinates come from, when the CCD says."""
        return _formula_index().model_entry.get(code)

    def lookup(self, structure: Structure) -> PdbLookup:
        """The matching component(s), each with the entry its model came from (no resolution)."""
        index = _formula_index()
        codes = self.ligand_codes(structure)
        entries: dict[str, PdbEntry] = {}
        for code in codes:
            entry = index.model_entry.get(code)
            if entry and entry not in entries:  # one entry counts once, whatever holds it
                entries[entry] = PdbEntry(pdb_id=entry, resolution=None, ligand_code=code)
        how = "full InChIKey" if self.match == "inchikey" else "InChIKey connectivity layer"
        note = NOTE.format(how=how)
        if not codes:
            note = f"no CCD component has this structure ({how}); " + note
        return PdbLookup(
            source=self.name,
            ligand_codes=codes,
            entries=tuple(entries.values()),
            note=note,
            details={
                "query_inchikey": structure.inchikey,
                "match": self.match,
                "formula_candidates": str(
                    len(index.by_formula.get(_mol_formula(structure.mol), ()))
                ),
                "components": str(index.n_components),
                "obsolete_skipped": str(index.n_obsolete),
            },
        )

    def _key_candidates(self, candidates: Iterable[str]) -> None:
        """Keys of the candidates into memory: from the key file, else computed and added."""
        missing = [code for code in candidates if code not in _KEYS]
        if not missing or self.key_cache is None:
            return
        _KEYS.update(self.key_cache.get(missing))  # also what other processes keyed meanwhile
        computed = {code: ccd_inchikey(code) for code in missing if code not in _KEYS}
        self.key_cache.add(computed)

    def _key(self, inchikey: str) -> str:
        return inchikey if self.match == "inchikey" else inchikey.split("-")[0]
