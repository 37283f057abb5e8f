"""Deleting and sharing stored compounds (each change leaves an audit-log entry).

The database decides who may: on PostgreSQL only a compound's owner can delete or share it,
and only with a group the owner belongs to (row-level security); a viewer can do neither.
The checks here only turn a refusal into a message that says why.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from impulator._errors import CompoundNotFound, InvalidInput, PermissionDenied
from impulator.store._models import AuditEntry, Compound, CompoundShare, Group
from impulator.store._session import Tx, transaction

__all__ = ["can_write", "delete", "share", "unshare"]

_compounds = cast(sa.Table, Compound.__table__)
_shares = cast(sa.Table, CompoundShare.__table__)
_groups = cast(sa.Table, Group.__table__)
_audit = cast(sa.Table, AuditEntry.__table__)


def can_write(url: str | None = None) -> bool:
    """Whether you may store, delete and share compounds and submit batches (False for a
    viewer). The database answers (row-level security grants); SQLite has no users: True.

    Example:
        >>> import os, tempfile
        >>> from impulator import store
        >>> store.can_write("sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite"))
        True
    """
    with transaction(url, "check your permissions") as tx:
        if not tx.postgres:
            return True
        return bool(
            tx.conn.execute(sa.text("SELECT has_table_privilege('compounds', 'INSERT')")).scalar()
        )


def _audit_entry(tx: Tx, action: str, compound_id: int, details: dict[str, Any]) -> None:
    tx.conn.execute(
        _audit.insert().values(
            actor=tx.owner, action=action, target=f"compound:{compound_id}", details=details
        )
    )


def _owner_of(tx: Tx, compound_id: int) -> str:
    """The owner of a compound you can see; CompoundNotFound when you cannot."""
    owner = tx.conn.execute(
        sa.select(_compounds.c.owner).where(_compounds.c.id == compound_id)
    ).scalar()
    if owner is None:
        raise CompoundNotFound(compound_id)
    return str(owner)


def _not_yours(tx: Tx, compound_id: int, owner: str, verb: str) -> PermissionDenied:
    return PermissionDenied(
        f"{tx.owner} cannot {verb} compound {compound_id}: it belongs to {owner}, and only "
        f"its owner can {verb} it"
    )


def delete(compound_id: int, url: str | None = None) -> None:
    """Delete a compound you own, with its rows, flags, PDB evidence and shares.

    Raises:
        CompoundNotFound: no such compound, or it is not shared with you.
        PermissionDenied: it is someone else's (shared with you), or you may only read.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> try:
        ...     delete(7, url=url)
        ... except LookupError as exc:
        ...     print(exc)
        no compound 7 (it does not exist or is not shared with you)
    """
    with transaction(url, f"delete compound {compound_id}", write=True) as tx:
        gone = tx.conn.execute(_compounds.delete().where(_compounds.c.id == compound_id))
        if gone.rowcount == 0:
            owner = _owner_of(tx, compound_id)  # visible but not deleted: someone else's
            raise _not_yours(tx, compound_id, owner, "delete")
        _audit_entry(tx, "delete", compound_id, {})


def _group_id(tx: Tx, group: str) -> int:
    found = tx.conn.execute(sa.select(_groups.c.id).where(_groups.c.name == group)).scalar()
    if found is None:
        raise InvalidInput(f"no group named {group!r}: an administrator creates groups")
    return int(found)


def share(compound_id: int, group: str, url: str | None = None) -> None:
    """Let the members of ``group`` read compound ``compound_id`` (yours). Idempotent.

    Raises:
        ValueError: there is no group of that name.
        CompoundNotFound: no such compound, or it is not shared with you.
        PermissionDenied: not your compound, not your group, or you may only read.
    """
    with transaction(url, f"share compound {compound_id} with {group!r}", write=True) as tx:
        group_id = _group_id(tx, group)
        owner = _owner_of(tx, compound_id)
        if tx.postgres and owner != tx.owner:  # the database would refuse: say why
            raise _not_yours(tx, compound_id, owner, "share")
        dialect = postgresql if tx.postgres else sqlite
        inserted = tx.conn.execute(
            dialect.insert(_shares)
            .values(compound_id=compound_id, group_id=group_id, owner=owner)
            .on_conflict_do_nothing()
            .returning(_shares.c.group_id)
        ).first()
        if inserted is not None:  # not shared before
            _audit_entry(tx, "share", compound_id, {"group": group})


def unshare(compound_id: int, group: str, url: str | None = None) -> None:
    """Stop sharing compound ``compound_id`` with ``group``. Idempotent.

    Raises:
        ValueError: there is no group of that name.
        CompoundNotFound: no such compound, or it is not shared with you.
        PermissionDenied: not your compound, or you may only read.
    """
    with transaction(url, f"unshare compound {compound_id} from {group!r}", write=True) as tx:
        group_id = _group_id(tx, group)
        owner = _owner_of(tx, compound_id)
        if tx.postgres and owner != tx.owner:  # the database would refuse: say why
            raise _not_yours(tx, compound_id, owner, "unshare")
        removed = tx.conn.execute(
            _shares.delete().where(
                _shares.c.compound_id == compound_id, _shares.c.group_id == group_id
            )
        )
        if removed.rowcount:
            _audit_entry(tx, "unshare", compound_id, {"group": group})
