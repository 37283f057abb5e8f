"""The impulator database: organisations, users, groups, jobs and stored analyses.

Every tenant table has an ``owner`` column (the platform user name, NOT NULL, indexed): the
row-level security policies of a later step key on it. Results keep the columns users filter
and sort by typed; everything else of a result row is JSON (``json`` text on PostgreSQL,
revision 0007; the other JSON columns are JSONB there). Timestamps are timezone-aware and
default to the database clock.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "JOB_STATUSES",
    "ROLES",
    "TENANT_TABLES",
    "ApiRateCount",
    "AuditEntry",
    "Base",
    "Compound",
    "CompoundShare",
    "Export",
    "Group",
    "GroupMembership",
    "InterferenceRecord",
    "Job",
    "JobState",
    "Organization",
    "PdbEvidenceRecord",
    "PublishedNotebook",
    "ResultRow",
    "User",
]

#: Platform roles (``users.role``).
ROLES: tuple[str, ...] = ("chemist", "viewer", "instructor", "admin")


class JobState(enum.StrEnum):
    """Where a job stands: the values are what ``jobs.status`` holds (and its check allows).

    A member is a ``str``: it equals, and is written to the database as, its value.

    Example:
        >>> JobState("cancelled").finished, JobState.QUEUED == "queued", f"{JobState.FAILED}"
        (True, True, 'failed')
    """

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def running(self) -> bool:
        """Waiting for a runner, or being worked on."""
        return self in (JobState.QUEUED, JobState.PROCESSING)

    @property
    def finished(self) -> bool:
        """At an end (completed, failed or cancelled): nothing more happens unless retried."""
        return not self.running


#: Job life cycle (``jobs.status``), in order.
JOB_STATUSES: tuple[str, ...] = tuple(state.value for state in JobState)
#: Tables whose rows belong to one user (``owner``).
TENANT_TABLES: tuple[str, ...] = (
    "jobs",
    "compounds",
    "compound_shares",
    "result_rows",
    "interference_flags",
    "pdb_evidence",
    "exports",
)

#: JSON everywhere, JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
#: JSON kept as text (``json`` on PostgreSQL): checked on the way in, never parsed into JSONB.
JSONText = sa.JSON()
#: Timezone-aware timestamp.
Timestamp = sa.DateTime(timezone=True)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base with constraint names that are stable across databases."""

    metadata = sa.MetaData(naming_convention=NAMING)


def _created() -> Mapped[datetime]:
    return mapped_column(Timestamp, server_default=sa.func.now(), nullable=False)


def _owner() -> Mapped[str]:
    return mapped_column(sa.Text, nullable=False, index=True)


def _same_owner(table: str) -> sa.ForeignKeyConstraint:
    """A compound's rows belong to the compound's owner (checked by the database)."""
    return sa.ForeignKeyConstraint(
        ["compound_id", "owner"],
        ["compounds.id", "compounds.owner"],
        name=f"fk_{table}_compound_owner",
        ondelete="CASCADE",
    )


class Organization(Base):
    """A customer or a class; users and groups may belong to one."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[datetime] = _created()


class User(Base):
    """A platform user, known by the hub user name (which is also the database role)."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(_in("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(sa.Text, server_default="chemist")
    is_active: Mapped[bool] = mapped_column(server_default=sa.true())
    created_at: Mapped[datetime] = _created()
    last_login: Mapped[datetime | None] = mapped_column(Timestamp)


class Group(Base):
    """A set of users that compounds can be shared with (a project team, a class)."""

    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = _created()


class GroupMembership(Base):
    """``member`` (a user name) belongs to ``group_id``."""

    __tablename__ = "group_memberships"
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(
        sa.ForeignKey("users.name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
        index=True,
    )
    created_at: Mapped[datetime] = _created()


class Job(Base):
    """A durable unit of work (one analysis, or a batch whose children are analyses)."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        sa.Index("ix_jobs_owner_status", "owner", "status"),
        sa.Index("ix_jobs_owner_created_at", "owner", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = _owner()
    job_type: Mapped[str] = mapped_column(sa.Text, server_default="analysis")
    status: Mapped[str] = mapped_column(sa.Text, server_default=JobState.QUEUED.value)
    priority: Mapped[int] = mapped_column(server_default="5")
    progress: Mapped[int] = mapped_column(server_default="0")
    current_step: Mapped[str | None] = mapped_column(sa.Text)
    input_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    result_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = _created()
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    completed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp)
    runner: Mapped[str | None] = mapped_column(sa.Text)
    retries: Mapped[int] = mapped_column(server_default="0")
    max_retries: Mapped[int] = mapped_column(server_default="3")
    parent_job_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True
    )


class Compound(Base):
    """One stored analysis of one query compound (its rows are ``result_rows``)."""

    __tablename__ = "compounds"
    __table_args__ = (
        sa.Index("ix_compounds_owner_created_at", "owner", "created_at"),
        sa.Index("ix_compounds_name_lower", sa.func.lower(sa.text("name"))),
        sa.Index(
            "ix_compounds_owner_inchikey_provenance_key", "owner", "inchikey", "provenance_key"
        ),
        # Target of the (compound_id, owner) keys below (migration 0003).
        sa.UniqueConstraint("id", "owner"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = _owner()
    job_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )
    query: Mapped[str] = mapped_column(sa.Text)
    parent_smiles: Mapped[str | None] = mapped_column(sa.Text)
    inchikey: Mapped[str | None] = mapped_column(sa.Text, index=True)
    chembl_id: Mapped[str | None] = mapped_column(sa.Text, index=True)
    name: Mapped[str | None] = mapped_column(sa.Text)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    best_score: Mapped[float | None] = mapped_column(sa.Float, index=True)
    model_id: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = _created()
    # Added by migration 0002: duplicate detection and the columns the compound browser
    # filters and sorts on without opening the JSON.
    provenance_key: Mapped[str | None] = mapped_column(sa.Text)
    best_class: Mapped[str | None] = mapped_column(sa.Text)
    mw: Mapped[float | None] = mapped_column(sa.Float)
    n_rows: Mapped[int] = mapped_column(server_default="0")
    n_flags: Mapped[int] = mapped_column(server_default="0")


class CompoundShare(Base):
    """``owner`` shares compound ``compound_id`` with group ``group_id`` (read access)."""

    __tablename__ = "compound_shares"
    __table_args__ = (_same_owner("compound_shares"),)
    compound_id: Mapped[int] = mapped_column(
        sa.ForeignKey("compounds.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    owner: Mapped[str] = _owner()
    created_at: Mapped[datetime] = _created()


class ResultRow(Base):
    """One scored activity row (SCIENCE.md section 9); untyped columns live in ``data``."""

    __tablename__ = "result_rows"
    __table_args__ = (_same_owner("result_rows"),)
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    owner: Mapped[str] = _owner()
    # The compound's existence is checked by the (compound_id, owner) key in __table_args__.
    compound_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    molecule_chembl_id: Mapped[str | None] = mapped_column(sa.Text, index=True)
    target_chembl_id: Mapped[str | None] = mapped_column(sa.Text, index=True)
    standard_type: Mapped[str | None] = mapped_column(sa.Text)
    pactivity: Mapped[float | None] = mapped_column(sa.Float)
    sei: Mapped[float | None] = mapped_column(sa.Float)
    bei: Mapped[float | None] = mapped_column(sa.Float)
    nsei: Mapped[float | None] = mapped_column(sa.Float)
    nbei: Mapped[float | None] = mapped_column(sa.Float)
    # Not indexed: no query selects rows by score (revision 0006 dropped the index).
    final_score: Mapped[float | None] = mapped_column(sa.Float)
    classification: Mapped[str | None] = mapped_column(sa.Text)
    # 1 (Exceptional IMP) to 5 (Not IMP); NULL for Invalid rows, as impulator.science.classify.
    priority: Mapped[int | None] = mapped_column(sa.Integer)
    imp_candidate: Mapped[bool | None] = mapped_column()
    scoring_model: Mapped[str | None] = mapped_column(sa.Text)
    # json, not jsonb (revision 0007): written often, read whole, never searched inside.
    data: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class InterferenceRecord(Base):
    """Assay-interference flags of one structure of a compound's neighbourhood."""

    __tablename__ = "interference_flags"
    __table_args__ = (_same_owner("interference_flags"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = _owner()
    compound_id: Mapped[int] = mapped_column(
        sa.ForeignKey("compounds.id", ondelete="CASCADE"), index=True
    )
    inchikey: Mapped[str | None] = mapped_column(sa.Text)
    smiles: Mapped[str | None] = mapped_column(sa.Text)
    flags: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    matches: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class PdbEvidenceRecord(Base):
    """PDB structural evidence gathered for a compound."""

    __tablename__ = "pdb_evidence"
    __table_args__ = (_same_owner("pdb_evidence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = _owner()
    compound_id: Mapped[int] = mapped_column(
        sa.ForeignKey("compounds.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str | None] = mapped_column(sa.Text)
    entries: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    score: Mapped[float | None] = mapped_column(sa.Float)


class Export(Base):
    """A record of an export (files are generated on demand, never stored)."""

    __tablename__ = "exports"
    __table_args__ = (sa.Index("ix_exports_owner_created_at", "owner", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = _owner()
    compound_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    format: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = _created()


class AuditEntry(Base):
    """Who did what to which target (append-only)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(Timestamp, server_default=sa.func.now(), index=True)
    actor: Mapped[str] = mapped_column(sa.Text, index=True)
    action: Mapped[str] = mapped_column(sa.Text)
    target: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class PublishedNotebook(Base):
    """Version ``version`` of a file an instructor published to group ``group_id``
    (``path`` is relative to the group's folder ``~/shared/<group>/``; migration 0004)."""

    __tablename__ = "published_notebooks"
    __table_args__ = (sa.UniqueConstraint("group_id", "path", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.Text)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    owner: Mapped[str] = _owner()
    created_at: Mapped[datetime] = _created()


class ApiRateCount(Base):
    """How many requests of kind ``bucket`` (``submit`` or ``read``) user ``user_name`` made
    to the REST API in the minute starting at ``window_start`` (migration 0005). Written by
    the API's own database login only; users have no privilege on it."""

    __tablename__ = "api_rate_counts"
    user_name: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    bucket: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    window_start: Mapped[datetime] = mapped_column(Timestamp, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
