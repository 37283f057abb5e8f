"""Result rows keep their ``data`` as ``json`` text on PostgreSQL, not ``jsonb``.

Writing a row's ``data`` as ``jsonb`` means parsing its ~2 kB of JSON into the binary form
(and printing it back as text on every read); that was most of what PostgreSQL spent storing
a report's rows. ``json`` only checks that the text is valid JSON and keeps it as it is. No
query needs ``jsonb``: nothing compares, indexes or searches inside ``data``; the one key read
in SQL (``data ->> 'target_pref_name'`` of the per-target summary) works on ``json`` too.
Rows already stored are carried over (``jsonb`` printed as text); the column keeps its
compression (lz4 since revision 0006 where the server has it). SQLite stores JSON as text
already: nothing changes there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_COMPRESSION = {"p": "pglz", "l": "lz4"}


def _retype(sql_type: str) -> None:
    """``result_rows.data`` becomes ``sql_type``, rows converted, compression kept."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    version = bind.dialect.server_version_info or (0,)
    compression = ""
    if version >= (14,):
        compression = bind.exec_driver_sql(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'result_rows'::regclass AND attname = 'data'"
        ).scalar_one()
    op.execute(f"ALTER TABLE result_rows ALTER COLUMN data TYPE {sql_type} USING data::{sql_type}")
    # Changing the type resets the column's compression to the server's default.
    if compression in _COMPRESSION:
        op.execute(
            f"ALTER TABLE result_rows ALTER COLUMN data SET COMPRESSION {_COMPRESSION[compression]}"
        )


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
