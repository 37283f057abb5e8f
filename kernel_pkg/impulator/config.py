"""Where impulator keeps its data and which sources it uses: environment first, then the
registry file written by ``impulator data ...`` commands, then defaults.

| variable | meaning | default |
|---|---|---|
| ``IMPULATOR_DATA_DIR`` | demo database, indexes, caches, the registry | the user data dir |
| ``IMPULATOR_CHEMBL_SOURCE`` | auto, local, demo, web | ``auto``: dump, else demo |
| ``IMPULATOR_CHEMBL_URL`` | SQLAlchemy URL of a ChEMBL dump (SQLite, PostgreSQL) | none |
| ``IMPULATOR_CHEMBL_INDEX`` | FPSim2 index of that dump | registry, else beside it |
| ``IMPULATOR_WEB_CACHE`` | one cache directory shared by a whole hub | ``DATA_DIR/web-cache`` |
| ``IMPULATOR_PDB_INDEX_DIR`` | folder with wwPDB ``cc-to-pdb.tdd`` and ``resolu.idx`` | none |
| ``IMPULATOR_PDB_SOURCE`` | ``auto``, ``ccd``, ``local``, ``rcsb`` or ``none`` | ``auto`` |
| ``IMPULATOR_OFFLINE`` | ``1``: never try the web sources | ``0`` |
| ``IMPULATOR_BATCH_MAX_ROWS`` | most compounds one batch (file, list, table) may hold | ``10000`` |
| ``IMPULATOR_BATCH_MAX_BYTES`` | largest batch file accepted, in bytes | ``50000000`` |
| ``IMPULATOR_DATABASE_URL`` | SQLAlchemy URL of impulator's database | SQLite in DATA_DIR |
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from impulator._errors import InvalidInput

__all__ = ["REGISTRY_FILE", "Settings", "get_settings", "read_registry", "write_registry"]

REGISTRY_FILE = "sources.json"
PDB_SOURCES = ("auto", "ccd", "local", "rcsb", "none")
CHEMBL_SOURCES = ("auto", "local", "demo", "web")


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`get_settings`; every field is documented above."""

    data_dir: Path
    chembl_source: str
    chembl_url: str | None
    chembl_release: str | None
    chembl_index: Path | None
    web_cache_dir: Path
    pdb_index_dir: Path | None
    pdb_source: str
    offline: bool
    batch_max_rows: int = 10_000
    batch_max_bytes: int = 50_000_000
    database_url_override: str | None = None

    @property
    def database_url(self) -> str:
        """``IMPULATOR_DATABASE_URL``, else a SQLite file in the data directory."""
        if self.database_url_override:
            return self.database_url_override
        return f"sqlite:///{self.data_dir / 'impulator.sqlite'}"

    @property
    def demo_database(self) -> Path:
        """The embedded demo ChEMBL (SQLite)."""
        return self.data_dir / "demo" / "chembl_demo.sqlite"

    @property
    def demo_index(self) -> Path:
        """FPSim2 index of the demo ChEMBL."""
        return self.data_dir / "demo" / "chembl_demo.h5"


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def get_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default: ``os.environ``) and the registry in the data dir.

    Example:
        >>> s = get_settings({"IMPULATOR_DATA_DIR": "/tmp/imp", "IMPULATOR_PDB_SOURCE": "ccd"})
        >>> s.data_dir.as_posix(), s.pdb_source, s.web_cache_dir.as_posix()
        ('/tmp/imp', 'ccd', '/tmp/imp/web-cache')
    """
    env = dict(os.environ if env is None else env)
    data_dir = _path(env.get("IMPULATOR_DATA_DIR")) or Path(user_data_dir("impulator"))
    registry = read_registry(data_dir).get("chembl", {})
    chembl_url = env.get("IMPULATOR_CHEMBL_URL") or registry.get("url")
    index = _path(env.get("IMPULATOR_CHEMBL_INDEX")) or _path(registry.get("index"))
    pdb_source = _choice(env, "IMPULATOR_PDB_SOURCE", PDB_SOURCES)
    chembl_source = _choice(env, "IMPULATOR_CHEMBL_SOURCE", CHEMBL_SOURCES)
    return Settings(
        data_dir=data_dir,
        chembl_source=chembl_source,
        chembl_url=chembl_url,
        chembl_release=registry.get("release") if chembl_url == registry.get("url") else None,
        chembl_index=index,
        web_cache_dir=_path(env.get("IMPULATOR_WEB_CACHE")) or data_dir / "web-cache",
        pdb_index_dir=_path(env.get("IMPULATOR_PDB_INDEX_DIR")),
        pdb_source=pdb_source,
        offline=env.get("IMPULATOR_OFFLINE", "0").strip().lower() in {"1", "true", "yes"},
        batch_max_rows=_positive(env, "IMPULATOR_BATCH_MAX_ROWS", 10_000),
        batch_max_bytes=_positive(env, "IMPULATOR_BATCH_MAX_BYTES", 50_000_000),
        database_url_override=env.get("IMPULATOR_DATABASE_URL", "").strip() or None,
    )


def _positive(env: dict[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip().replace("_", "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise InvalidInput(f"{name}={env[name]!r}: give a positive whole number, e.g. {default}")
    return value


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "auto").strip().lower() or "auto"
    if value not in choices:
        raise InvalidInput(f"{name}={value!r}: choose one of {', '.join(choices)}")
    return value


def read_registry(data_dir: Path) -> dict[str, Any]:
    """The sources registered in ``data_dir`` (empty when none)."""
    path = data_dir / REGISTRY_FILE
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path} is not readable JSON ({exc}); fix or delete it") from None
    return loaded if isinstance(loaded, dict) else {}


def write_registry(data_dir: Path, registry: dict[str, Any]) -> Path:
    """Write the registry atomically (readers never see half a file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / REGISTRY_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(registry, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path
