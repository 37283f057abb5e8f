"""Initial schema: organisations, users, groups, jobs, stored analyses, exports, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROLES = "role IN ('chemist', 'viewer', 'instructor', 'admin')"
STATUSES = "status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')"
# Tables in creation order (dropped in reverse).
TABLES = (
    "organizations",
    "users",
    "groups",
    "group_memberships",
    "jobs",
    "compounds",
    "compound_shares",
    "result_rows",
    "interference_flags",
    "pdb_evidence",
    "exports",
    "audit_log",
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True)


def _owner() -> sa.Column[str]:
    return sa.Column("owner", sa.Text, nullable=False)


def _created(name: str = "created_at") -> sa.Column[object]:
    return sa.Column(name, TS, server_default=sa.func.now(), nullable=False)


def _fk(
    column: str, target: str, table: str, ondelete: str, nullable: bool = True
) -> sa.Column[int]:
    name = f"fk_{table}_{column}_{target.split('.')[0]}"
    foreign_key = sa.ForeignKey(target, name=name, ondelete=ondelete)
    return sa.Column(column, sa.Integer, foreign_key, nullable=nullable)


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def upgrade() -> None:
    op.create_table(
        "organizations",
        _id(),
        sa.Column("name", sa.Text, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_organizations"),
        sa.UniqueConstraint("name", name="uq_organizations_name"),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("name", sa.Text, nullable=False),
        _fk("organization_id", "organizations.id", "users", "SET NULL"),
        sa.Column("role", sa.Text, server_default="chemist", nullable=False),
        sa.Column("is_active", sa.Boolean, server_default=sa.true(), nullable=False),
        _created(),
        sa.Column("last_login", TS),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.CheckConstraint(ROLES, name="ck_users_role"),
    )
    _index("users", "organization_id")
    op.create_table(
        "groups",
        _id(),
        sa.Column("name", sa.Text, nullable=False),
        _fk("organization_id", "organizations.id", "groups", "SET NULL"),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_groups"),
        sa.UniqueConstraint("name", name="uq_groups_name"),
    )
    _index("groups", "organization_id")
    op.create_table(
        "group_memberships",
        _fk("group_id", "groups.id", "group_memberships", "CASCADE", nullable=False),
        sa.Column(
            "member",
            sa.Text,
            sa.ForeignKey(
                "users.name",
                name="fk_group_memberships_member_users",
                ondelete="CASCADE",
                onupdate="CASCADE",
            ),
            nullable=False,
        ),
        _created(),
        sa.PrimaryKeyConstraint("group_id", "member", name="pk_group_memberships"),
    )
    _index("group_memberships", "member")
    op.create_table(
        "jobs",
        _id(),
        _owner(),
        sa.Column("job_type", sa.Text, server_default="analysis", nullable=False),
        sa.Column("status", sa.Text, server_default="queued", nullable=False),
        sa.Column("priority", sa.Integer, server_default="5", nullable=False),
        sa.Column("progress", sa.Integer, server_default="0", nullable=False),
        sa.Column("current_step", sa.Text),
        sa.Column("input_data", JSON, nullable=False),
        sa.Column("result_data", JSON),
        sa.Column("error_message", sa.Text),
        _created(),
        sa.Column("started_at", TS),
        sa.Column("completed_at", TS),
        sa.Column("heartbeat_at", TS),
        sa.Column("runner", sa.Text),
        sa.Column("retries", sa.Integer, server_default="0", nullable=False),
        sa.Column("max_retries", sa.Integer, server_default="3", nullable=False),
        _fk("parent_job_id", "jobs.id", "jobs", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.CheckConstraint(STATUSES, name="ck_jobs_status"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="ck_jobs_progress"),
    )
    for columns in (("owner",), ("owner", "status"), ("owner", "created_at"), ("parent_job_id",)):
        _index("jobs", *columns)
    op.create_table(
        "compounds",
        _id(),
        _owner(),
        _fk("job_id", "jobs.id", "compounds", "SET NULL"),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("parent_smiles", sa.Text),
        sa.Column("inchikey", sa.Text),
        sa.Column("chembl_id", sa.Text),
        sa.Column("name", sa.Text),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("best_score", sa.Float),
        sa.Column("model_id", sa.Text),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_compounds"),
    )
    for columns in (
        ("owner",),
        ("owner", "created_at"),
        ("job_id",),
        ("inchikey",),
        ("chembl_id",),
        ("best_score",),
    ):
        _index("compounds", *columns)
    op.create_index("ix_compounds_name_lower", "compounds", [sa.text("lower(name)")])
    op.create_table(
        "compound_shares",
        _fk("compound_id", "compounds.id", "compound_shares", "CASCADE", nullable=False),
        _fk("group_id", "groups.id", "compound_shares", "CASCADE", nullable=False),
        _owner(),
        _created(),
        sa.PrimaryKeyConstraint("compound_id", "group_id", name="pk_compound_shares"),
    )
    _index("compound_shares", "owner")
    _index("compound_shares", "group_id")
    op.create_table(
        "result_rows",
        sa.Column("id", BIGID, primary_key=True),
        _owner(),
        _fk("compound_id", "compounds.id", "result_rows", "CASCADE", nullable=False),
        *(
            sa.Column(c, sa.Text)
            for c in ("molecule_chembl_id", "target_chembl_id", "standard_type")
        ),
        *(
            sa.Column(c, sa.Float)
            for c in ("pactivity", "sei", "bei", "nsei", "nbei", "final_score")
        ),
        sa.Column("classification", sa.Text),
        sa.Column("priority", sa.Integer),
        sa.Column("imp_candidate", sa.Boolean),
        sa.Column("scoring_model", sa.Text),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_result_rows"),
    )
    for column in ("owner", "compound_id", "molecule_chembl_id", "target_chembl_id", "final_score"):
        _index("result_rows", column)
    op.create_table(
        "interference_flags",
        _id(),
        _owner(),
        _fk("compound_id", "compounds.id", "interference_flags", "CASCADE", nullable=False),
        sa.Column("inchikey", sa.Text),
        sa.Column("smiles", sa.Text),
        sa.Column("flags", JSON, nullable=False),
        sa.Column("matches", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interference_flags"),
    )
    op.create_table(
        "pdb_evidence",
        _id(),
        _owner(),
        _fk("compound_id", "compounds.id", "pdb_evidence", "CASCADE", nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("entries", JSON, nullable=False),
        sa.Column("score", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_pdb_evidence"),
    )
    for table in ("interference_flags", "pdb_evidence"):
        _index(table, "owner")
        _index(table, "compound_id")
    op.create_table(
        "exports",
        _id(),
        _owner(),
        sa.Column("compound_ids", JSON, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_exports"),
    )
    _index("exports", "owner")
    _index("exports", "owner", "created_at")
    op.create_table(
        "audit_log",
        sa.Column("id", BIGID, primary_key=True),
        _created("at"),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text),
        sa.Column("details", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    _index("audit_log", "at")
    _index("audit_log", "actor")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
