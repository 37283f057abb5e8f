"""The REST API's database role and its per-user request counts (rate limits).

The REST API (``impulator api``, a hub service) has its own login, made by
``impulator.store.provision_api`` and member of the group role ``impulator_api``. Like a job
runner it acts as the calling user (``SET LOCAL ROLE``) in every request, so row-level
security decides what the caller sees; acting as itself it sees no user's rows and may only
count requests in ``api_rate_counts``:

| role | may |
|---|---|
| ``impulator_api`` (NOINHERIT) | read and write ``api_rate_counts``; ``SET ROLE`` to users |
| platform users | nothing on ``api_rate_counts`` |

Every existing platform user is made a member of ``impulator_api`` here; users provisioned
later are by ``provision_user``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "api_rate_counts"
ROLE = "impulator_api"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("bucket", sa.Text, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("user_name", "bucket", "window_start", name="pk_api_rate_counts"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') "
        f"THEN CREATE ROLE {ROLE} NOLOGIN NOINHERIT; END IF; END $$"
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {ROLE}', "
        "current_database()); END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {ROLE}")
    # The API may become any platform user that exists already (as the runner may).
    op.execute(
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT u.name FROM users u "
        "JOIN pg_roles p ON p.rolname = u.name LOOP "
        f"EXECUTE format('GRANT %I TO {ROLE}', r.name); END LOOP; END $$"
    )


def downgrade() -> None:
    op.drop_table(TABLE)  # its grants go with it
    if op.get_bind().dialect.name != "postgresql":
        return
    # The role is the cluster's (other databases may use it): only this database's grants go.
    op.execute(f"REVOKE ALL ON alembic_version FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
    op.execute(
        f"DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM {ROLE}', "
        "current_database()); END $$"
    )
