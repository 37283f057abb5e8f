"""Notebooks published to a group (``impulator.teach``), versioned, under row-level security.

``published_notebooks`` holds every version of every file an instructor published to a group.
On PostgreSQL the rules follow the sharing of compounds:

| who | may |
|---|---|
| a member of the group (any role, viewers included) | read the group's notebooks |
| an instructor or admin who is a member (admins: any group) | publish (insert) as themselves |
| the publisher | update or delete their own rows |
| an admin | read every row |

A non-member reads nothing; a viewer has no INSERT privilege; a chemist passes the grant but
not the policy's role check (``users.role``), so the database refuses it too.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "published_notebooks"
IS_ADMIN = "pg_has_role(current_user, 'impulator_admin', 'USAGE')"
MY_GROUPS = "(SELECT m.group_id FROM group_memberships m WHERE m.member = current_user)"
MAY_PUBLISH = (
    "EXISTS (SELECT 1 FROM users u WHERE u.name = current_user "
    "AND u.role IN ('instructor', 'admin'))"
)
POLICIES: list[tuple[str, str, str | None, str | None]] = [
    (
        "own",
        "ALL",
        "owner = current_user",
        f"owner = current_user AND {MAY_PUBLISH} AND (group_id IN {MY_GROUPS} OR {IS_ADMIN})",
    ),
    ("member", "SELECT", f"group_id IN {MY_GROUPS}", None),
    ("admin", "SELECT", IS_ADMIN, None),
]


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey(
                "groups.id", ondelete="CASCADE", name="fk_published_notebooks_group_id_groups"
            ),
            nullable=False,
        ),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_published_notebooks"),
        sa.UniqueConstraint(
            "group_id", "path", "version", name="uq_published_notebooks_group_id_path_version"
        ),
    )
    op.create_index("ix_published_notebooks_group_id", TABLE, ["group_id"])
    op.create_index("ix_published_notebooks_owner", TABLE, ["owner"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT ON {TABLE} TO impulator_user")
        op.execute(f"GRANT INSERT, UPDATE, DELETE ON {TABLE} TO impulator_writer")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {TABLE}_id_seq TO impulator_writer")
        op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN owner SET DEFAULT current_user")
        op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
        for suffix, command, using, check in POLICIES:
            sql = f"CREATE POLICY {TABLE}_{suffix} ON {TABLE} FOR {command} TO impulator_user"
            if using:
                sql += f" USING ({using})"
            if check:
                sql += f" WITH CHECK ({check})"
            op.execute(sql)


def downgrade() -> None:
    op.drop_table(TABLE)  # its policies and grants go with it
