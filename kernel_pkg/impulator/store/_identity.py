"""Who you are to the results database: your name, what you may do, your groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa

from impulator.store._models import Group, GroupMembership
from impulator.store._session import Tx, transaction

__all__ = ["Identity", "groups", "whoami"]

_groups = cast(sa.Table, Group.__table__)
_members = cast(sa.Table, GroupMembership.__table__)


@dataclass(frozen=True)
class Identity:
    """The connected user.

    Attributes:
        user: the owner of the rows you write (the database role on PostgreSQL, the
            operating-system user on SQLite).
        role: ``"admin"``, ``"chemist"`` (may write) or ``"viewer"`` (read only), as the
            database grants say; ``"admin"`` on SQLite, which has no users.
        groups: the groups you can share compounds with (see :func:`groups`).
    """

    user: str
    role: str
    groups: tuple[str, ...]

    @property
    def can_write(self) -> bool:
        """Whether you may store, delete and share compounds."""
        return self.role != "viewer"


def _groups_of(tx: Tx) -> list[str]:
    query = sa.select(_groups.c.name).order_by(_groups.c.name)
    if tx.postgres:
        query = query.join_from(_groups, _members, _members.c.group_id == _groups.c.id).where(
            _members.c.member == tx.owner
        )
    return [str(name) for name in tx.conn.execute(query).scalars()]


def groups(url: str | None = None) -> list[str]:
    """The groups you can share compounds with: those you belong to (every group on SQLite,
    which has no users), by name.

    Example:
        >>> import os, tempfile
        >>> groups("sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite"))
        []
    """
    with transaction(url, "read your groups") as tx:
        return _groups_of(tx)


def whoami(url: str | None = None) -> Identity:
    """The connected user: name, role and groups, in one read.

    Example:
        >>> import os, tempfile
        >>> me = whoami("sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite"))
        >>> bool(me.user), me.role, me.groups, me.can_write
        (True, 'admin', (), True)
    """
    with transaction(url, "read who you are") as tx:
        role = "admin"
        if tx.postgres:
            admin, writer = tx.conn.execute(
                sa.text(
                    "SELECT pg_has_role('impulator_admin', 'MEMBER'), "
                    "has_table_privilege('compounds', 'INSERT')"
                )
            ).one()
            role = "admin" if admin else "chemist" if writer else "viewer"
        return Identity(tx.owner, role, tuple(_groups_of(tx)))
