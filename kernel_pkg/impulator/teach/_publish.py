"""Publishing a notebook (or a folder of them) to a group: instructors and admins only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from impulator._errors import InvalidInput, PermissionDenied
from impulator.store import Group, PublishedNotebook, Tx, User, transaction
from impulator.teach._files import digest

__all__ = ["PUBLISHERS", "PublishedFile", "publish"]

#: Platform roles that may publish.
PUBLISHERS = ("instructor", "admin")
_SKIPPED = (".ipynb_checkpoints", "__pycache__")

_notebooks = cast(sa.Table, PublishedNotebook.__table__)
_groups = cast(sa.Table, Group.__table__)
_users = cast(sa.Table, User.__table__)


@dataclass(frozen=True)
class PublishedFile:
    """One file published: its path in ``~/shared/<group>/`` and its new version number."""

    group: str
    path: str
    version: int
    changed: bool


def _files(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    if not path.is_dir():
        raise InvalidInput(f"nothing to publish at {path}: no such notebook or folder")
    found = {
        f.relative_to(path.parent).as_posix(): f.read_bytes()
        for f in sorted(path.rglob("*"))
        if f.is_file()
        and not any(part in _SKIPPED or part.startswith(".") for part in f.relative_to(path).parts)
    }
    if not found:
        raise InvalidInput(f"nothing to publish in {path}: the folder holds no files")
    return found


def _check_publisher(tx: Tx) -> None:
    if not tx.postgres:  # SQLite: one user, no roles
        return
    role = tx.conn.execute(sa.select(_users.c.role).where(_users.c.name == tx.owner)).scalar()
    if role not in PUBLISHERS:
        raise PermissionDenied(
            f"{tx.owner} may not publish notebooks: only instructors and admins may "
            f"(your role is {role or 'unknown'}); ask an instructor of the course"
        )


def publish(path: str | Path, group: str, *, url: str | None = None) -> list[PublishedFile]:
    """Publish the notebook (or every file of the folder) at ``path`` to ``group``.

    The group's members get it in ``~/shared/<group>/`` on their next spawn or
    :func:`impulator.teach.fetch`. Publishing unchanged content again is a no-op; changed
    content becomes a new version (members' edited copies are kept, the new version arrives
    beside them).

    Raises:
        ValueError: no such file or folder, or no such group.
        PermissionDenied: you are not an instructor or admin, or not a member of ``group``.
    """
    files = _files(Path(path).expanduser())
    published: list[PublishedFile] = []
    with transaction(url, f"publish {path} to {group!r}", write=True) as tx:
        _check_publisher(tx)
        group_id = tx.conn.execute(sa.select(_groups.c.id).where(_groups.c.name == group)).scalar()
        if group_id is None:
            raise InvalidInput(f"no group named {group!r}: an administrator creates groups")
        for rel, data in files.items():
            latest = tx.conn.execute(
                sa.select(_notebooks.c.version, _notebooks.c.sha256)
                .where(_notebooks.c.group_id == group_id, _notebooks.c.path == rel)
                .order_by(_notebooks.c.version.desc())
                .limit(1)
            ).first()
            sha = digest(data)
            if latest is not None and latest.sha256 == sha:
                published.append(PublishedFile(group, rel, int(latest.version), False))
                continue
            version = 1 if latest is None else int(latest.version) + 1
            tx.conn.execute(
                _notebooks.insert().values(
                    group_id=group_id,
                    path=rel,
                    version=version,
                    sha256=sha,
                    content=data,
                    owner=tx.owner,
                )
            )
            published.append(PublishedFile(group, rel, version, True))
    return published
