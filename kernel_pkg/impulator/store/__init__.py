"""The impulator database: saved analyses, their models and the packaged migrations.

SQLite (one file in the data directory) is the single-user default and needs no set-up: its
schema is created on first use. A hub uses PostgreSQL, where row-level security on the
``owner`` column keeps each user's rows private and shares them with their groups; SQLite has
no row-level security (the file is private by being the user's own file).

Every function takes ``url`` (default: ``IMPULATOR_DATABASE_URL``, else the SQLite file):

    store.save(report, name=None, on_duplicate="skip")  -> compound id
    store.get(id)                                       -> StoredCompound (with its rows)
    store.list(filter, sort="-created_at", page=1, limit=50, mine=False)  -> CompoundPage
    store.search(text)                                  -> DataFrame (name, id, InChIKey, SMARTS)
    store.delete(id); store.share(id, group); store.unshare(id, group)
    store.analytics()                                   -> dict of dashboard numbers

Example:
    >>> from impulator import store
    >>> store.head_revision()
    '0004'
    >>> sorted(store.Base.metadata.tables)[:3]
    ['audit_log', 'compound_shares', 'compounds']
"""

from __future__ import annotations

from impulator._errors import CompoundNotFound, PermissionDenied, StoreUnavailable
from impulator.store._analytics import analytics
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
from impulator.store._query import CompoundPage, StoredCompound, get
from impulator.store._query import list_compounds as list
from impulator.store._save import save
from impulator.store._search import search
from impulator.store._session import connect
from impulator.store._share import can_write, delete, share, unshare

__all__ = [
    "GROUP_ROLES",
    "JOB_STATUSES",
    "MIGRATIONS",
    "ROLES",
    "TENANT_TABLES",
    "AuditEntry",
    "Base",
    "Compound",
    "CompoundNotFound",
    "CompoundPage",
    "CompoundShare",
    "Export",
    "Group",
    "GroupMembership",
    "InterferenceRecord",
    "Job",
    "Organization",
    "PdbEvidenceRecord",
    "PermissionDenied",
    "ResultRow",
    "StoreUnavailable",
    "StoredCompound",
    "User",
    "alembic_config",
    "analytics",
    "can_write",
    "check_role_name",
    "connect",
    "current_revision",
    "database_url",
    "delete",
    "downgrade",
    "get",
    "head_revision",
    "list",
    "provision_runner",
    "provision_user",
    "redact",
    "save",
    "scram_verifier",
    "search",
    "share",
    "unshare",
    "upgrade",
]
