"""Fetching the notebooks published to your groups into ``~/shared/<group>/``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from impulator.store import Group, PublishedNotebook, transaction
from impulator.teach._examples import install_examples
from impulator.teach._files import deliver

__all__ = ["fetch", "prepare_home"]

_notebooks = cast(sa.Table, PublishedNotebook.__table__)
_groups = cast(sa.Table, Group.__table__)


def fetch(
    group: str | None = None, *, home: str | Path | None = None, url: str | None = None
) -> list[Path]:
    """Bring the latest version of every notebook published to your groups (or to ``group``)
    into ``<home>/shared/<group>/`` (home: your home folder). Returns the files written.

    Your edited copies are never overwritten: a newer version arrives beside them
    (``lesson.v2.ipynb``). The database shows you only your groups' notebooks.
    """
    base = Path(home).expanduser() if home is not None else Path.home()
    latest = (
        sa.select(
            _groups.c.name,
            _notebooks.c.path,
            _notebooks.c.version,
            _notebooks.c.content,
        )
        .join(_groups, _groups.c.id == _notebooks.c.group_id)
        .order_by(_groups.c.name, _notebooks.c.path, _notebooks.c.version)
    )
    if group is not None:
        latest = latest.where(_groups.c.name == group)
    per_group: dict[str, dict[str, tuple[bytes, int]]] = {}
    with transaction(url, "fetch published notebooks") as tx:
        for name, path, version, content in tx.conn.execute(latest):
            per_group.setdefault(str(name), {})[str(path)] = (bytes(content), int(version))
    written: list[Path] = []
    for name, files in sorted(per_group.items()):
        written += deliver(base / "shared" / name, files)
    return written


def prepare_home(home: str | Path, url: str | None = None) -> list[Path]:
    """What a hub's spawn hook calls for each user: refresh the read-only templates in
    ``<home>/examples/`` and, given ``url`` (the user's own database URL, as
    :func:`impulator.store.provision_user` returns it), fetch the notebooks published to the
    user's groups into ``<home>/shared/<group>/``. Without ``url`` only the examples are
    installed (never the hub's own database). A database that cannot be reached does not stop
    the spawn: it is logged and the examples are still installed. Returns the files written.
    """
    from impulator._errors import StoreUnavailable

    written = install_examples(home)
    if url is None:
        return written
    try:
        written += fetch(home=home, url=url)
    except StoreUnavailable as exc:
        logging.getLogger(__name__).warning("published notebooks not fetched: %s", exc)
    return written
