"""``impulator data ...``: build the demo ChEMBL, register a ChEMBL dump, build indexes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from impulator._errors import InvalidInput
from impulator.cli._output import emit, progress_bar

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add ``data`` and its subcommands to the ``impulator`` command."""
    data = commands.add_parser("data", help="bioactivity data: demo, ChEMBL dumps, indexes")
    sub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    p = sub.add_parser("build-demo", help="build the demo ChEMBL and its similarity index")
    p.add_argument("--force", action="store_true", help="rebuild even if it exists")
    p.set_defaults(run=_build_demo)

    p = sub.add_parser(
        "load-chembl",
        help="register a downloaded ChEMBL dump (SQLite file or database URL)",
        description="PATH is an official ChEMBL SQLite file (chembl_35.db) or a SQLAlchemy "
        "URL of a ChEMBL PostgreSQL database. The dump is used as it is, unchanged.",
    )
    p.add_argument("path", help="chembl_XX.db, or postgresql+psycopg://user@host/chembl_XX")
    p.add_argument("--release", help="release name for reports (default: from the dump)")
    p.add_argument("--index", type=Path, help="where to keep its similarity index")
    p.add_argument("--no-index", action="store_true", help="register without indexing now")
    p.set_defaults(run=_load_chembl)

    p = sub.add_parser("index", help="(re)build the similarity index of the ChEMBL in use")
    p.set_defaults(run=_index)

    p = sub.add_parser("status", help="which sources are configured and present")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_status)


def _build_demo(args: argparse.Namespace) -> int:
    from impulator.config import get_settings
    from impulator.sources import ensure_demo

    settings = get_settings()
    if args.force:
        for path in (settings.demo_database, settings.demo_index):
            path.unlink(missing_ok=True)
    update, close = progress_bar("demo ChEMBL")
    try:
        path = ensure_demo(settings, update)
    finally:
        close()
    print(f"demo ChEMBL ready: {path}", file=sys.stderr)
    return 0


def _load_chembl(args: argparse.Namespace) -> int:
    from impulator.config import get_settings, read_registry, write_registry
    from impulator.sources import ChemblDatabase, default_index_path

    settings = get_settings()
    url = args.path if "://" in args.path else f"sqlite:///{Path(args.path).resolve()}"
    if "://" not in args.path and not Path(args.path).is_file():
        raise InvalidInput(f"no file at {args.path}: give a ChEMBL SQLite file or a database URL")
    database = ChemblDatabase(url, release=args.release)  # checks it is a ChEMBL schema
    index = args.index or default_index_path(settings, url)
    registry = read_registry(settings.data_dir)
    registry["chembl"] = {"url": url, "release": database.release, "index": str(index)}
    written = write_registry(settings.data_dir, registry)
    print(f"registered {database.release} in {written}", file=sys.stderr)
    if not args.no_index:
        _build_index(database, index)
    return 0


def _index(args: argparse.Namespace) -> int:
    from impulator.config import get_settings
    from impulator.sources import ChemblDatabase, default_index_path, uses_demo

    settings = get_settings()
    if uses_demo(settings):
        url, index = f"sqlite:///{settings.demo_database}", settings.demo_index
    elif settings.chembl_url:
        url = settings.chembl_url
        index = settings.chembl_index or default_index_path(settings, url)
    else:
        raise InvalidInput("the web source has no local index; register a dump first")
    _build_index(ChemblDatabase(url), index)
    return 0


def _build_index(database: Any, index: Path) -> None:
    update, close = progress_bar("similarity index")
    try:
        database.build_index(index, update)
    finally:
        close()
    print(
        f"similarity index ready: {index} ({len(database.index()):,} structures)", file=sys.stderr
    )


def _status(args: argparse.Namespace) -> int:
    from impulator.config import get_settings
    from impulator.sources import uses_demo

    s = get_settings()
    emit(
        {
            "data_dir": str(s.data_dir),
            "chembl_source": "demo" if uses_demo(s) else s.chembl_source,
            "chembl_url": _redacted(s.chembl_url),
            "demo_database": str(s.demo_database),
            "demo_built": s.demo_database.is_file() and s.demo_index.is_file(),
            "pdb_source": s.pdb_source,
            "pdb_index_dir": str(s.pdb_index_dir) if s.pdb_index_dir else None,
            "web_cache_dir": str(s.web_cache_dir),
            "offline": s.offline,
        },
        args.json,
    )
    return 0


def _redacted(url: str | None) -> str | None:
    from impulator._urls import redact

    return redact(url) if url else None
