"""Row-level security on PostgreSQL: each user's rows are theirs, shared rows are readable.

On every database, a compound's rows (result rows, flags, PDB evidence, shares) get a foreign
key on ``(compound_id, owner)``: they belong to the compound's owner. Foreign keys are checked
past row-level security, which is what lets the policies below stay free of circular
references (a policy on shares that looked up compounds, whose policy looks up shares, is
refused by PostgreSQL as infinite recursion). The rest is PostgreSQL only; on SQLite (one user,
one private file) there is nothing more to do.

Group roles (cluster-wide, created when missing, kept on downgrade because other databases of
the cluster may use them):

| role | granted to | may |
|---|---|---|
| ``impulator_user`` | every platform user | read own rows, rows shared with their groups |
| ``impulator_writer`` | chemists, instructors, admins | insert, update, delete own rows |
| ``impulator_admin`` | admins | read every row |
| ``impulator_runner`` | job runner logins | claim and update jobs; ``SET ROLE`` to users |

Policies key on ``owner = current_user``: a user cannot set ``owner`` to someone else, and
after ``SET ROLE alice`` a runner writes as Alice. ``FORCE ROW LEVEL SECURITY`` puts the tables'
owner under the policies too, so only a superuser (or a ``BYPASSRLS`` role) reads everything.
``impulator_runner`` is ``NOINHERIT``: its logins may become a user but do not hold users'
rights (nor an admin's) while acting as themselves.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

GROUP_ROLES = {
    "impulator_user": "NOLOGIN",
    "impulator_writer": "NOLOGIN",
    "impulator_admin": "NOLOGIN",
    "impulator_runner": "NOLOGIN NOINHERIT",
}
TENANT = (
    "jobs",
    "compounds",
    "compound_shares",
    "result_rows",
    "interference_flags",
    "pdb_evidence",
    "exports",
)
CHILDREN = ("result_rows", "interference_flags", "pdb_evidence")
PLATFORM = ("organizations", "users", "groups")
IS_ADMIN = "pg_has_role(current_user, 'impulator_admin', 'USAGE')"
MY_GROUPS = "(SELECT m.group_id FROM group_memberships m WHERE m.member = current_user)"
CHILD_TABLES = ("compound_shares", *CHILDREN)
# SQLite's batch mode rebuilds the table and cannot carry an expression index over.
NAME_INDEX = "CREATE INDEX IF NOT EXISTS ix_compounds_name_lower ON compounds (lower(name))"

# Per table: (policy suffix, command, USING, WITH CHECK); all are granted TO impulator_user
# except the runner's.
POLICIES: dict[str, list[tuple[str, str, str | None, str | None]]] = {
    "jobs": [("own", "ALL", "owner = current_user", "owner = current_user")],
    "compounds": [
        ("own", "ALL", "owner = current_user", "owner = current_user"),
        (
            "shared",
            "SELECT",
            f"id IN (SELECT s.compound_id FROM compound_shares s WHERE s.group_id IN {MY_GROUPS})",
            None,
        ),
    ],
    "compound_shares": [
        (
            "own",
            "ALL",
            "owner = current_user",
            f"owner = current_user AND group_id IN {MY_GROUPS}",
        ),
        ("member", "SELECT", f"group_id IN {MY_GROUPS}", None),
    ],
    **{
        table: [
            ("own", "ALL", "owner = current_user", "owner = current_user"),
            # Readable wherever the compound is (own, shared with my group, admin).
            ("shared", "SELECT", "compound_id IN (SELECT c.id FROM compounds c)", None),
        ]
        for table in CHILDREN
    },
    "exports": [("own", "ALL", "owner = current_user", "owner = current_user")],
    "group_memberships": [("own", "SELECT", "member = current_user", None)],
    "audit_log": [
        ("append", "INSERT", None, "actor = current_user"),
        ("own", "SELECT", f"actor = current_user OR {IS_ADMIN}", None),
    ],
}
for _table in (*TENANT, "group_memberships"):
    if _table not in CHILDREN:  # children follow their compound, admins included
        POLICIES[_table].append(("admin", "SELECT", IS_ADMIN, None))

APPEND_ONLY = """
CREATE FUNCTION impulator_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: entries cannot be changed or removed'
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    with op.batch_alter_table("compounds") as batch:
        batch.create_unique_constraint("uq_compounds_id_owner", ["id", "owner"])
    op.execute(NAME_INDEX)
    for table in CHILD_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                f"fk_{table}_compound_owner",
                "compounds",
                ["compound_id", "owner"],
                ["id", "owner"],
                ondelete="CASCADE",
            )
    if op.get_bind().dialect.name == "postgresql":
        _secure()


def _secure() -> None:
    for role, options in GROUP_ROLES.items():
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} {options}; END IF; END $$"
        )
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO "
        "impulator_user, impulator_runner', current_database()); END $$"
    )
    op.execute("GRANT USAGE ON SCHEMA public TO impulator_user, impulator_runner")
    op.execute(
        f"GRANT SELECT ON alembic_version, {', '.join(PLATFORM)}, group_memberships, "
        f"{', '.join(TENANT)}, audit_log TO impulator_user"
    )
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(TENANT)} TO impulator_writer")
    op.execute("GRANT INSERT ON audit_log TO impulator_writer")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO impulator_writer")
    op.execute("GRANT SELECT, UPDATE ON jobs TO impulator_runner")
    op.execute("GRANT SELECT ON alembic_version TO impulator_runner")
    for table in TENANT:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN owner SET DEFAULT current_user")
    op.execute("ALTER TABLE audit_log ALTER COLUMN actor SET DEFAULT current_user")
    for table, policies in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        for suffix, command, using, check in policies:
            sql = f"CREATE POLICY {table}_{suffix} ON {table} FOR {command} TO impulator_user"
            if using:
                sql += f" USING ({using})"
            if check:
                sql += f" WITH CHECK ({check})"
            op.execute(sql)
    # The runner claims queued jobs of every user and reports their progress.
    op.execute("CREATE POLICY jobs_runner_read ON jobs FOR SELECT TO impulator_runner USING (true)")
    op.execute(
        "CREATE POLICY jobs_runner_update ON jobs FOR UPDATE TO impulator_runner "
        "USING (true) WITH CHECK (true)"
    )
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION impulator_refuse_audit_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION impulator_refuse_audit_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unsecure()
    for table in CHILD_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_compound_owner", type_="foreignkey")
    with op.batch_alter_table("compounds") as batch:
        batch.drop_constraint("uq_compounds_id_owner", type_="unique")
    op.execute(NAME_INDEX)


def _unsecure() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION impulator_refuse_audit_change()")
    op.execute("DROP POLICY jobs_runner_update ON jobs")
    op.execute("DROP POLICY jobs_runner_read ON jobs")
    for table, policies in POLICIES.items():
        for suffix, *_ in policies:
            op.execute(f"DROP POLICY {table}_{suffix} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_log ALTER COLUMN actor DROP DEFAULT")
    for table in TENANT:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN owner DROP DEFAULT")
    op.execute("REVOKE ALL ON jobs, alembic_version FROM impulator_runner")
    op.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM impulator_writer")
    op.execute(f"REVOKE ALL ON {', '.join(TENANT)}, audit_log FROM impulator_writer")
    op.execute(
        f"REVOKE ALL ON alembic_version, {', '.join(PLATFORM)}, group_memberships, "
        f"{', '.join(TENANT)}, audit_log FROM impulator_user"
    )
    op.execute("REVOKE USAGE ON SCHEMA public FROM impulator_user, impulator_runner")
    op.execute(
        "DO $$ BEGIN EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM "
        "impulator_user, impulator_runner', current_database()); END $$"
    )
