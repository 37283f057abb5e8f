"""The impulator database: SQLAlchemy models and the packaged Alembic migrations.

SQLite (one file in the data directory) is the single-user default; a hub uses PostgreSQL,
where row-level security on the ``owner`` column keeps each user's rows private.

Example:
    >>> from impulator import store
    >>> store.head_revision()
    '0003'
    >>> sorted(store.Base.metadata.tables)[:3]
    ['audit_log', 'compound_shares', 'compounds']
"""

from __future__ import annotations

from impulator.store._migrate import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    database_url,
    downgrade,
    head_revision,
    redact,
    upgrade,
)
from impulator.store._models import (
    JOB_STATUSES,
    ROLES,
    TENANT_TABLES,
    AuditEntry,
    Base,
    Compound,
    CompoundShare,
    Export,
    Group,
    GroupMembership,
    InterferenceRecord,
    Job,
    Organization,
    PdbEvidenceRecord,
    ResultRow,
    User,
)
from impulator.store._provision import (
    GROUP_ROLES,
    check_role_name,
    provision_runner,
    provision_user,
    scram_verifier,
)

__all__ = [
    "GROUP_ROLES",
    "JOB_STATUSES",
    "MIGRATIONS",
    "ROLES",
    "TENANT_TABLES",
    "AuditEntry",
    "Base",
    "Compound",
    "CompoundShare",
    "Export",
    "Group",
    "GroupMembership",
    "InterferenceRecord",
    "Job",
    "Organization",
    "PdbEvidenceRecord",
    "ResultRow",
    "User",
    "alembic_config",
    "check_role_name",
    "current_revision",
    "database_url",
    "downgrade",
    "head_revision",
    "provision_runner",
    "provision_user",
    "redact",
    "scram_verifier",
    "upgrade",
]
