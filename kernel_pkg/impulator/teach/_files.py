"""Copying files into a user's home without ever overwriting their edits.

A manifest (``.impulator-manifest.json`` in the target folder) records the digest of each file
as it was delivered. A file whose digest still matches was not edited and may be replaced; an
edited one is kept and the new version is written beside it (``name.v<N>.ext``, or
``name.new.ext`` for the unversioned templates).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = ["MANIFEST", "deliver", "digest"]

MANIFEST = ".impulator-manifest.json"


def digest(data: bytes) -> str:
    """The SHA-256 of ``data`` (hex)."""
    return hashlib.sha256(data).hexdigest()


def _load(folder: Path) -> dict[str, dict[str, object]]:
    try:
        loaded = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _write(target: Path, data: bytes, read_only: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.chmod(0o644)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    target.chmod(0o444 if read_only else 0o644)


def _beside(target: Path, version: int) -> Path:
    name = target.name
    stem, dot, ext = name.partition(".")
    tag = f"v{version}" if version else "new"
    return target.with_name(f"{stem}.{tag}{dot}{ext}")


def deliver(
    folder: Path, files: dict[str, tuple[bytes, int]], *, read_only: bool = False
) -> list[Path]:
    """Bring ``files`` (relative path -> (content, version)) into ``folder``.

    New files are written; files unchanged since the last delivery are replaced by newer
    content; edited files are kept and the new content goes beside them. Returns the paths
    written.
    """
    manifest = _load(folder)
    written: list[Path] = []
    for rel, (data, version) in sorted(files.items()):
        new = digest(data)
        target = folder / rel
        seen = manifest.get(rel, {})
        if not target.exists():
            _write(target, data, read_only)
            written.append(target)
        else:
            current = digest(target.read_bytes())
            if current == new:
                pass
            elif current == seen.get("sha256"):  # not edited since delivered: refresh it
                _write(target, data, read_only)
                written.append(target)
            else:  # edited by its user: keep it, the new version goes beside it
                other = _beside(target, version)
                if not other.exists() or digest(other.read_bytes()) != new:
                    _write(other, data, read_only)
                    written.append(other)
                continue  # the manifest keeps describing the delivered original
        manifest[rel] = {"sha256": new, "version": version}
    if files:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return written
