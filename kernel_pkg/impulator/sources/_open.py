"""Choosing and opening the configured sources (see :mod:`impulator.config`)."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from impulator._errors import SourceUnavailable
from impulator.config import Settings, get_settings
from impulator.sources._base import BioactivitySource, PdbSource
from impulator.sources._chembl_local import ChemblDatabase

__all__ = ["default_index_path", "ensure_demo", "open_pdb_source", "open_source", "uses_demo"]

Progress = Callable[[int, int, str], None]


def default_index_path(settings: Settings, url: str) -> Path:
    """Where the similarity index of a registered dump lives when no path was given."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return settings.data_dir / "indexes" / f"chembl-{digest}.h5"


def open_source(
    settings: Settings | None = None, progress: Progress | None = None
) -> BioactivitySource:
    """The bioactivity source the settings name; the demo ChEMBL (built on first use, with
    ``progress``) when nothing is configured. Opened once per process for the same settings."""
    settings = settings or get_settings()
    if uses_demo(settings):
        ensure_demo(settings, progress)
    return _open_source(settings)


def uses_demo(settings: Settings) -> bool:
    """Whether these settings mean the embedded demo ChEMBL."""
    return settings.chembl_source == "demo" or (
        settings.chembl_source == "auto" and not settings.chembl_url
    )


@functools.lru_cache(maxsize=8)
def _open_source(settings: Settings) -> BioactivitySource:
    if settings.chembl_source == "web":
        from impulator.sources._chembl_web import ChemblWebSource

        return ChemblWebSource(settings)
    if uses_demo(settings):
        demo = ChemblDatabase(f"sqlite:///{settings.demo_database}", settings.demo_index)
        demo.name = demo.release  # "demo: MoleculeACE 3.0.0", not a copy of a ChEMBL release
        return demo
    if not settings.chembl_url:
        raise SourceUnavailable(
            "IMPULATOR_CHEMBL_SOURCE=local but no ChEMBL dump is registered: run "
            "`impulator data load-chembl PATH` or set IMPULATOR_CHEMBL_URL"
        )
    index = settings.chembl_index or default_index_path(settings, settings.chembl_url)
    return ChemblDatabase(settings.chembl_url, index, release=settings.chembl_release)


def ensure_demo(settings: Settings, progress: Progress | None = None) -> Path:
    """Build the demo ChEMBL and its index unless they exist; returns the database path.

    Several processes may ask at once (a hub's first logins): a file lock makes one build
    while the others wait and then reuse its result.
    """
    database, index = settings.demo_database, settings.demo_index
    if database.is_file() and index.is_file():
        return database
    from impulator.sources._demo import build_demo_database

    database.parent.mkdir(parents=True, exist_ok=True)
    with _locked(database.with_suffix(".lock")):
        if not database.is_file():
            build_demo_database(database, progress=progress)
        if not index.is_file():
            ChemblDatabase(f"sqlite:///{database}").build_index(index, progress)
    return database


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_pdb_source(settings: Settings | None = None) -> PdbSource | None:
    """The PDB source the settings name (None for ``none``).

    ``auto``: local wwPDB index files when a folder is configured, else the Chemical
    Component Dictionary inside biotite (offline); RCSB's web APIs only when chosen
    (``rcsb``), so an analysis never waits on the network unless asked to. The CCD's
    components are keyed once per data directory (``cache/ccd-inchikeys-*.tsv`` there).
    """
    settings = settings or get_settings()
    return _open_pdb_source(settings)


@functools.lru_cache(maxsize=8)
def _open_pdb_source(settings: Settings) -> PdbSource | None:
    from impulator.sources._pdb_ccd import CcdPdbSource

    choice = settings.pdb_source
    if choice == "none":
        return None
    if choice == "rcsb":
        if settings.offline:
            raise SourceUnavailable("IMPULATOR_PDB_SOURCE=rcsb but IMPULATOR_OFFLINE is set")
        from impulator.sources._pdb_rcsb import RcsbWebSource

        return RcsbWebSource()
    if choice == "local" or (choice == "auto" and settings.pdb_index_dir):
        if settings.pdb_index_dir is None:
            raise SourceUnavailable(
                "IMPULATOR_PDB_SOURCE=local needs IMPULATOR_PDB_INDEX_DIR: a folder with "
                "wwPDB's cc-to-pdb.tdd and resolu.idx"
            )
        from impulator.sources._pdb_wwpdb import WwpdbIndexSource

        ccd = CcdPdbSource(key_cache=settings.data_dir / "cache")
        return WwpdbIndexSource(settings.pdb_index_dir, ccd=ccd)
    return CcdPdbSource(key_cache=settings.data_dir / "cache")
