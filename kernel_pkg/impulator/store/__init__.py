"""The impulator database: saved analyses, their models and the packaged migrations.

SQLite (one file in the data directory) is the single-user default and needs no set-up: its
schema is created on first use. A hub uses PostgreSQL, where row-level security on the
``owner`` column keeps each user's rows private and shares them with their groups; SQLite has
no row-level security (the file is private by being the user's own file).

Every function takes ``url`` (default: ``IMPULATOR_DATABASE_URL``, else the SQLite file):

    store.save(report, name=None, on_duplicate="skip")  -> compound id
    store.save_many(reports, names, on_duplicate)       -> [SaveResult] (one transaction)
    store.get(id)                                       -> StoredCompound (with its rows)
    store.get_many(ids)                                 -> [StoredCompound] (one transaction)
    store.list_compounds(filter, sort="-created_at", page=1, limit=50, mine=False)  -> CompoundPage
    store.search(text)                                  -> DataFrame (name, id, InChIKey, SMARTS)
    store.delete(id); store.share(id, group); store.unshare(id, group)
    store.analytics()                                   -> dict of dashboard numbers
    store.distribution(target=None); store.trends(every="day")  -> histograms; over time
    with store.acting_as(user): ...                     (services: every transaction as user)

Example:
    >>> from impulator import store
    >>> store.head_revision()
    '0007'
    >>> sorted(store.Base.metadata.tables)[:3]
    ['api_rate_counts', 'audit_log', 'compound_shares']
"""

from __future__ import annotations

from impulator._errors import CompoundNotFound, PermissionDenied, StoreUnavailable
from impulator.store._analytics import (
    DISTRIBUTION_METRICS,
    FLAG_COLUMNS,
    SCORE_BINS,
    STRONG_CLASSES,
    TARGET_COLUMNS,
    TREND_PERIODS,
    UNSCORED,
    analytics,
    distribution,
    flag_prevalence,
    flagged_compounds,
    target_summary,
    trends,
)
from impulator.store._identity import Identity, groups, whoami
from impulator.store._many import PreparedReport, prepare_report, save_many
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
    ApiRateCount,
    AuditEntry,
    Base,
    Compound,
    CompoundShare,
    Export,
    Group,
    GroupMembership,
    InterferenceRecord,
    Job,
    JobState,
    Organization,
    PdbEvidenceRecord,
    PublishedNotebook,
    ResultRow,
    User,
)
from impulator.store._provision import (
    GROUP_ROLES,
    check_role_name,
    provision_api,
    provision_runner,
    provision_user,
    scram_verifier,
)
from impulator.store._query import (
    FILTERS,
    SORT_KEYS,
    CompoundPage,
    StoredCompound,
    get,
    get_many,
    job_rows,
    list_compounds,
)
from impulator.store._save import save, save_report
from impulator.store._search import search
from impulator.store._session import Tx, acting_as, connect, engine_for, transaction
from impulator.store._share import can_write, delete, share, unshare

__all__ = [
    "DISTRIBUTION_METRICS",
    "FILTERS",
    "FLAG_COLUMNS",
    "GROUP_ROLES",
    "JOB_STATUSES",
    "MIGRATIONS",
    "ROLES",
    "SCORE_BINS",
    "SORT_KEYS",
    "STRONG_CLASSES",
    "TARGET_COLUMNS",
    "TENANT_TABLES",
    "TREND_PERIODS",
    "UNSCORED",
    "ApiRateCount",
    "AuditEntry",
    "Base",
    "Compound",
    "CompoundNotFound",
    "CompoundPage",
    "CompoundShare",
    "Export",
    "Group",
    "GroupMembership",
    "Identity",
    "InterferenceRecord",
    "Job",
    "JobState",
    "Organization",
    "PdbEvidenceRecord",
    "PermissionDenied",
    "PreparedReport",
    "PublishedNotebook",
    "ResultRow",
    "StoreUnavailable",
    "StoredCompound",
    "Tx",
    "User",
    "acting_as",
    "alembic_config",
    "analytics",
    "can_write",
    "check_role_name",
    "connect",
    "current_revision",
    "database_url",
    "delete",
    "distribution",
    "downgrade",
    "engine_for",
    "flag_prevalence",
    "flagged_compounds",
    "get",
    "get_many",
    "groups",
    "head_revision",
    "job_rows",
    "list_compounds",
    "prepare_report",
    "provision_api",
    "provision_runner",
    "provision_user",
    "redact",
    "save",
    "save_many",
    "save_report",
    "scram_verifier",
    "search",
    "share",
    "target_summary",
    "transaction",
    "trends",
    "unshare",
    "upgrade",
    "whoami",
]

# The old name, kept working; out of ``__all__`` so ``import *`` leaves the built-in alone.
list = list_compounds
