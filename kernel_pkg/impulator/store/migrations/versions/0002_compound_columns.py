"""Compound columns for duplicate detection and browsing: provenance key, best class, MW, counts.

Existing compounds are filled in from their JSON provenance and summary, so a database that
already holds analyses keeps every one of them, now with the new columns set.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from impulator.store._keys import provenance_key

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("provenance_key", sa.Text),
        sa.Column("best_class", sa.Text),
        sa.Column("mw", sa.Float),
        sa.Column("n_rows", sa.Integer, server_default="0", nullable=False),
        sa.Column("n_flags", sa.Integer, server_default="0", nullable=False),
    ]


INDEX = "ix_compounds_owner_inchikey_provenance_key"
# SQLite's batch mode rebuilds the table and cannot carry an expression index over.
NAME_INDEX = "CREATE INDEX IF NOT EXISTS ix_compounds_name_lower ON compounds (lower(name))"


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # SQLite hands JSON back as text in a raw select
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def upgrade() -> None:
    with op.batch_alter_table("compounds") as batch:
        for column in _columns():
            batch.add_column(column)
    op.create_index(INDEX, "compounds", ["owner", "inchikey", "provenance_key"])
    compounds = sa.table(
        "compounds",
        sa.column("id", sa.Integer),
        sa.column("provenance", sa.JSON),
        sa.column("summary", sa.JSON),
        sa.column("provenance_key", sa.Text),
        sa.column("n_rows", sa.Integer),
    )
    connection = op.get_bind()
    for id_, provenance, summary in connection.execute(
        sa.select(compounds.c.id, compounds.c.provenance, compounds.c.summary)
    ):
        rows = _json(summary).get("rows", 0)
        connection.execute(
            compounds.update()
            .where(compounds.c.id == id_)
            .values(
                provenance_key=provenance_key(_json(provenance)),
                n_rows=rows if isinstance(rows, int) else 0,
            )
        )


def downgrade() -> None:
    op.drop_index(INDEX, "compounds")
    with op.batch_alter_table("compounds") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
    op.execute(NAME_INDEX)
