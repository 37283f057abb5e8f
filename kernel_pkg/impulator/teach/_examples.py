"""The example notebooks shipped with impulator, copied read-only into ``~/examples/``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from impulator.teach._files import deliver

__all__ = ["install_examples", "templates_dir"]


def templates_dir() -> Path:
    """The folder of example notebooks: inside the installed package (the wheel ships them as
    ``impulator/teach/notebooks``), else ``notebooks/`` of a source checkout."""
    packaged = Path(str(resources.files("impulator.teach"))) / "notebooks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "notebooks"


def install_examples(home: str | Path, source: str | Path | None = None) -> list[Path]:
    """Copy the example notebooks into ``<home>/examples/`` read-only, refreshing the ones the
    user has not changed and never overwriting an edited one (the new version goes beside it).
    Returns the files written."""
    src = Path(source) if source is not None else templates_dir()
    files = {
        f.relative_to(src).as_posix(): (f.read_bytes(), 0)
        for f in sorted(src.rglob("*"))
        if f.is_file() and ".ipynb_checkpoints" not in f.parts
    }
    return deliver(Path(home).expanduser() / "examples", files, read_only=True)
