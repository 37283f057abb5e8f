"""Cheaper result-row writes: lz4 for the rows' JSON, one foreign key, no score index.

- ``result_rows.data`` is compressed with lz4 instead of pglz when PostgreSQL can (14 or
  newer, built with lz4, as Debian's and the official images are): a row's JSON is about
  2 kB, so most rows are compressed as they are written, and lz4 does that several times
  faster for a similar size. Rows already stored keep their compression until rewritten;
  both read the same. Elsewhere (older servers, SQLite) nothing changes.
- ``ix_result_rows_final_score`` goes: no query filters or sorts rows by their final score
  (compounds are sorted by ``compounds.best_score``, which keeps its index; the per-target
  median sorts inside an aggregate, which no index serves), yet every row written paid for it.
- ``fk_result_rows_compound_id_compounds`` goes: ``fk_result_rows_compound_owner``
  (``compound_id, owner`` -> ``compounds (id, owner)``, both columns NOT NULL, ON DELETE
  CASCADE too) already requires the compound to exist, and each foreign key is one check per
  row written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

SCORE_INDEX = "ix_result_rows_final_score"
COMPOUND_FK = "fk_result_rows_compound_id_compounds"


def _set_compression(method: str) -> None:
    """``ALTER ... SET COMPRESSION`` where the server supports it; a no-op elsewhere."""
    bind = op.get_bind()
    version = bind.dialect.server_version_info or (0,)
    if bind.dialect.name != "postgresql" or version < (14,):
        return
    # A server built without lz4 refuses the method (feature_not_supported): keep pglz.
    op.execute(
        "DO $$ BEGIN "
        f"ALTER TABLE result_rows ALTER COLUMN data SET COMPRESSION {method}; "
        "EXCEPTION WHEN feature_not_supported THEN "
        f"RAISE NOTICE 'compression {method} is not supported here: result_rows.data keeps "
        "its compression'; END $$"
    )


def upgrade() -> None:
    op.drop_index(SCORE_INDEX, table_name="result_rows")
    with op.batch_alter_table("result_rows") as batch:  # SQLite rebuilds the table
        batch.drop_constraint(COMPOUND_FK, type_="foreignkey")
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("default")
    with op.batch_alter_table("result_rows") as batch:
        batch.create_foreign_key(
            COMPOUND_FK, "compounds", ["compound_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index(SCORE_INDEX, "result_rows", ["final_score"])
