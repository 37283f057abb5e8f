"""Privacy enforced by PostgreSQL: raw SQL with each user's own credentials.

The cast: alice and carol (chemists, group "team"), bob (chemist, group "rivals"), vera (viewer,
group "team"), adam (admin) and a job runner. Alice's rows exist in every tenant table. Each
test connects as one of them, exactly as code in their notebook could, and tries.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import store
from impulator.cli import main
from impulator.store import provision_api, provision_runner, provision_user
from tests.postgres import PostgresCluster

TENANT = store.TENANT_TABLES
_databases = itertools.count()


class Db:
    """One user's raw SQL connection (psycopg through SQLAlchemy, no pooling)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, poolclass=NullPool)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.begin() as conn:
            return list(conn.execute(sa.text(sql), params))

    def value(self, sql: str, **params: Any) -> Any:
        with self.engine.begin() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def run(self, sql: str, **params: Any) -> int:
        """Execute; returns the number of rows the statement touched."""
        with self.engine.begin() as conn:
            return conn.execute(sa.text(sql), params).rowcount

    def refused(self, sql: str, **params: Any) -> str:
        """Execute what must fail; returns PostgreSQL's message."""
        with pytest.raises(sa.exc.DBAPIError) as info, self.engine.begin() as conn:
            conn.execute(sa.text(sql), params)
        return str(info.value.orig).splitlines()[0]


def _add_alices_rows(alice: Db) -> dict[str, int]:
    """One row in every tenant table, written by Alice with her own credentials."""
    ids: dict[str, int] = {}
    with alice.engine.begin() as conn:

        def insert(sql: str, **params: Any) -> int:
            return int(conn.execute(sa.text(sql + " RETURNING id"), params).scalar_one())

        ids["jobs"] = insert("INSERT INTO jobs (input_data) VALUES ('{}')")
        ids["compounds"] = insert(
            "INSERT INTO compounds (job_id, query, name, inchikey, provenance, summary) "
            "VALUES (:job, 'CHEMBL1421', 'alice-secret-dasatinib', "
            "'ZBNZXTGUTAYRHI-UHFFFAOYSA-N', '{}', '{}')",
            job=ids["jobs"],
        )
        c = ids["compounds"]
        ids["result_rows"] = insert(
            "INSERT INTO result_rows (compound_id, molecule_chembl_id, final_score, data) "
            "VALUES (:c, 'CHEMBL1421', 0.93, '{}')",
            c=c,
        )
        ids["interference_flags"] = insert(
            "INSERT INTO interference_flags (compound_id, flags, matches) VALUES (:c, '{}', '{}')",
            c=c,
        )
        ids["pdb_evidence"] = insert(
            "INSERT INTO pdb_evidence (compound_id, entries) VALUES (:c, '[]')", c=c
        )
        ids["exports"] = insert("INSERT INTO exports (compound_ids, format) VALUES ('[]', 'csv')")
        ids["audit_log"] = insert(
            "INSERT INTO audit_log (action, target, details) VALUES ('save', 'x', '{}')"
        )
    return ids


@pytest.fixture(scope="module")
def cast(postgres: PostgresCluster) -> Iterator[dict[str, Any]]:
    admin_url = postgres.create_database(f"impulator_isolation_{next(_databases)}")
    store.upgrade(admin_url)
    people = {
        "alice": ("chemist", ["team"]),
        "carol": ("chemist", ["team"]),
        "bob": ("chemist", ["rivals"]),
        "vera": ("viewer", ["team"]),
        "adam": ("admin", []),
    }
    urls = {
        n: provision_user(n, role, groups, url=admin_url) for n, (role, groups) in people.items()
    }
    urls["runner"] = provision_runner("runner-1", url=admin_url)
    urls["api"] = provision_api("api-1", url=admin_url)
    dbs = {name: Db(url) for name, url in urls.items()}
    dbs["superuser"] = Db(admin_url)
    ids = _add_alices_rows(dbs["alice"])
    # Bob owns one compound of his own, so his queries have something to find.
    dbs["bob"].run(
        "INSERT INTO compounds (query, name, provenance, summary) "
        "VALUES ('CHEMBL25', 'bob-aspirin', '{}', '{}')"
    )
    yield {"db": dbs, "ids": ids, "urls": urls, "admin_url": admin_url}
    for db in dbs.values():
        db.engine.dispose()


def _share(cast: dict[str, Any], group: str) -> None:
    cast["db"]["alice"].run(
        "INSERT INTO compound_shares (compound_id, group_id) "
        "SELECT :c, id FROM groups WHERE name = :g",
        c=cast["ids"]["compounds"],
        g=group,
    )


def _unshare(cast: dict[str, Any]) -> None:
    cast["db"]["alice"].run("DELETE FROM compound_shares")


def test_owner_is_the_login_and_defaults_to_it(cast: dict[str, Any]) -> None:
    alice = cast["db"]["alice"]
    assert alice.value("SELECT current_user") == "alice"
    assert {r[0] for r in alice.rows("SELECT owner FROM compounds")} == {"alice"}
    assert alice.value("SELECT count(*) FROM result_rows") == 1


@pytest.mark.parametrize("table", TENANT)
def test_bob_cannot_read_update_or_delete_alices_rows(cast: dict[str, Any], table: str) -> None:
    bob = cast["db"]["bob"]
    assert bob.value(f"SELECT count(*) FROM {table} WHERE owner = 'alice'") == 0
    if table != "compound_shares":
        assert bob.run(f"UPDATE {table} SET owner = 'bob' WHERE owner = 'alice'") == 0
        assert bob.run(f"DELETE FROM {table} WHERE owner = 'alice'") == 0
    total = cast["db"]["superuser"].value(f"SELECT count(*) FROM {table} WHERE owner = 'alice'")
    assert total == (0 if table == "compound_shares" else 1)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO jobs (owner, input_data) VALUES ('alice', '{}')",
        "INSERT INTO compounds (owner, query, provenance, summary) "
        "VALUES ('alice', 'x', '{}', '{}')",
        "INSERT INTO exports (owner, compound_ids, format) VALUES ('alice', '[]', 'csv')",
        "INSERT INTO audit_log (actor, action, details) VALUES ('alice', 'forged', '{}')",
    ],
)
def test_bob_cannot_insert_as_alice(cast: dict[str, Any], sql: str) -> None:
    message = cast["db"]["bob"].refused(sql)
    assert "violates row-level security policy" in message


@pytest.mark.parametrize("table", ["result_rows", "interference_flags", "pdb_evidence"])
def test_bob_cannot_attach_rows_to_alices_compound(cast: dict[str, Any], table: str) -> None:
    columns = {
        "result_rows": "data",
        "interference_flags": "flags, matches",
        "pdb_evidence": "entries",
    }[table]
    values = ", ".join("'{}'" for _ in columns.split(","))
    message = cast["db"]["bob"].refused(
        f"INSERT INTO {table} (compound_id, {columns}) VALUES (:c, {values})",
        c=cast["ids"]["compounds"],
    )
    # The row would belong to bob, but (compound, owner) must match an existing compound.
    assert 'violates foreign key constraint "fk_' in message


def test_bob_cannot_share_alices_compound_with_his_group(cast: dict[str, Any]) -> None:
    message = cast["db"]["bob"].refused(
        "INSERT INTO compound_shares (compound_id, group_id) "
        "SELECT :c, id FROM groups WHERE name = 'rivals'",
        c=cast["ids"]["compounds"],
    )
    assert 'violates foreign key constraint "fk_compound_shares_compound_owner"' in message
    # Nor can he share his own compound with a group he is not in.
    message = cast["db"]["bob"].refused(
        "INSERT INTO compound_shares (compound_id, group_id) "
        "SELECT c.id, g.id FROM compounds c, groups g WHERE g.name = 'team'"
    )
    assert "violates row-level security policy" in message


def test_sharing_with_a_group_and_unsharing(cast: dict[str, Any]) -> None:
    carol, vera, bob = (cast["db"][n] for n in ("carol", "vera", "bob"))
    visible = "SELECT count(*) FROM compounds WHERE owner = 'alice'"
    assert carol.value(visible) == 0
    _share(cast, "team")
    try:
        assert carol.value(visible) == vera.value(visible) == 1
        assert carol.value("SELECT count(*) FROM result_rows WHERE owner = 'alice'") == 1
        assert carol.value("SELECT count(*) FROM pdb_evidence WHERE owner = 'alice'") == 1
        # Sharing a compound shares its analysis, not the owner's jobs or exports.
        assert carol.value("SELECT count(*) FROM jobs WHERE owner = 'alice'") == 0
        assert carol.value("SELECT count(*) FROM exports WHERE owner = 'alice'") == 0
        assert bob.value(visible) == 0
        # Read, not write: a team member cannot change or delete what was shared.
        assert carol.run("UPDATE compounds SET name = 'mine' WHERE owner = 'alice'") == 0
        assert carol.run("DELETE FROM result_rows WHERE owner = 'alice'") == 0
    finally:
        _unshare(cast)
    assert carol.value(visible) == vera.value(visible) == 0
    assert carol.value("SELECT count(*) FROM result_rows WHERE owner = 'alice'") == 0


def test_a_viewer_reads_but_cannot_write(cast: dict[str, Any]) -> None:
    vera = cast["db"]["vera"]
    for sql in (
        "INSERT INTO compounds (query, provenance, summary) VALUES ('x', '{}', '{}')",
        "INSERT INTO jobs (input_data) VALUES ('{}')",
        "UPDATE compounds SET name = 'x'",
        "DELETE FROM compounds",
        "INSERT INTO audit_log (action, details) VALUES ('x', '{}')",
    ):
        assert "permission denied for table" in vera.refused(sql)


def test_can_write_asks_the_database(cast: dict[str, Any]) -> None:
    assert store.can_write(cast["urls"]["alice"]) is True
    assert store.can_write(cast["urls"]["vera"]) is False


def test_an_admin_reads_everything_and_changes_nothing(cast: dict[str, Any]) -> None:
    adam = cast["db"]["adam"]
    for table in TENANT:
        if table != "compound_shares":
            assert adam.value(f"SELECT count(*) FROM {table} WHERE owner = 'alice'") == 1, table
    assert adam.value("SELECT count(*) FROM audit_log WHERE actor = 'alice'") >= 1
    assert adam.run("UPDATE compounds SET name = 'x' WHERE owner = 'alice'") == 0
    assert adam.run("DELETE FROM compounds WHERE owner = 'alice'") == 0


def test_the_audit_log_is_append_only_for_everyone(cast: dict[str, Any]) -> None:
    alice, superuser = cast["db"]["alice"], cast["db"]["superuser"]
    entry = cast["ids"]["audit_log"]
    assert "permission denied" in alice.refused("UPDATE audit_log SET action = 'x'")
    assert "permission denied" in alice.refused("DELETE FROM audit_log")
    assert "permission denied" in alice.refused("TRUNCATE audit_log")
    for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        assert "append-only" in superuser.refused(sql)
    assert superuser.value("SELECT action FROM audit_log WHERE id = :i", i=entry) == "save"
    assert cast["db"]["bob"].value("SELECT count(*) FROM audit_log WHERE actor = 'alice'") == 0


# Escape attempts: what each gets is in the assertion (and in docs/security.md).


def test_escape_set_role_to_another_user_or_a_group_role(cast: dict[str, Any]) -> None:
    bob = cast["db"]["bob"]
    assert "permission denied to set role" in bob.refused("SET ROLE alice")
    assert "permission denied to set role" in bob.refused("SET ROLE impulator_admin")
    assert "permission denied to set role" in bob.refused("SET ROLE postgres")
    with bob.engine.begin() as conn:
        # Bob may become a group role he belongs to: it owns nothing, so it sees nothing.
        conn.execute(sa.text("SET ROLE impulator_user"))
        assert conn.execute(sa.text("SELECT count(*) FROM compounds")).scalar() == 0
        conn.execute(sa.text("RESET ROLE"))
        assert conn.execute(sa.text("SELECT current_user")).scalar() == "bob"
        assert (
            conn.execute(sa.text("SELECT count(*) FROM compounds WHERE owner = 'alice'")).scalar()
            == 0
        )


def test_escape_row_security_off_is_an_error_not_a_bypass(cast: dict[str, Any]) -> None:
    bob = cast["db"]["bob"]
    with bob.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL row_security = off"))
        with pytest.raises(sa.exc.DBAPIError) as info:
            conn.execute(sa.text("SELECT * FROM compounds"))
    assert "would be affected by row-level security policy" in str(info.value.orig)


def test_escape_policy_and_table_changes_need_ownership(cast: dict[str, Any]) -> None:
    bob = cast["db"]["bob"]
    assert "must be owner" in bob.refused("ALTER TABLE compounds DISABLE ROW LEVEL SECURITY")
    assert "must be owner" in bob.refused("DROP POLICY compounds_own ON compounds")
    assert "must be owner" in bob.refused("CREATE POLICY mine ON compounds FOR SELECT USING (true)")


def test_escape_through_functions(cast: dict[str, Any]) -> None:
    bob = cast["db"]["bob"]
    # No CREATE on the public schema (PostgreSQL 15 default, kept).
    assert "permission denied for schema public" in bob.refused(
        "CREATE FUNCTION public.peek() RETURNS bigint LANGUAGE sql AS "
        "'SELECT count(*) FROM compounds'"
    )
    with bob.engine.begin() as conn:
        # A temporary function is allowed, runs as Bob, and sees only rows Bob may see:
        # policies are applied before any non-leakproof function in the query.
        conn.execute(sa.text("CREATE TEMP TABLE seen (name text)"))
        conn.execute(
            sa.text(
                "CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE sql AS "
                "$$ INSERT INTO pg_temp.seen VALUES ($1); SELECT true $$"
            )
        )
        conn.execute(sa.text("SELECT id FROM compounds WHERE pg_temp.leak(name)"))
        seen = {r[0] for r in conn.execute(sa.text("SELECT name FROM pg_temp.seen"))}
        assert seen == {"bob-aspirin"}
        definer = conn.execute(
            sa.text(
                "CREATE FUNCTION pg_temp.as_definer() RETURNS bigint LANGUAGE sql "
                "SECURITY DEFINER AS $$ SELECT count(*) FROM compounds WHERE owner = 'alice' $$"
            )
        )
        del definer
        assert conn.execute(sa.text("SELECT pg_temp.as_definer()")).scalar() == 0


def test_escape_through_the_catalog(cast: dict[str, Any]) -> None:
    bob, alice, superuser = (cast["db"][n] for n in ("bob", "alice", "superuser"))
    superuser.run("ANALYZE compounds")
    # Column statistics (most common values) of a table with row security are hidden.
    assert bob.value("SELECT count(*) FROM pg_stats WHERE tablename = 'compounds'") == 0
    assert "permission denied" in bob.refused("SELECT rolpassword FROM pg_authid")
    assert bob.value("SELECT rolpassword FROM pg_roles WHERE rolname = 'alice'") == "********"
    # Other sessions' statements are hidden.
    with alice.engine.connect() as conn:
        conn.execute(sa.text("SELECT 'alice-is-working-on-this' AS secret"))
        texts = [
            r[0] for r in bob.rows("SELECT query FROM pg_stat_activity WHERE usename = 'alice'")
        ]
        assert texts and all(t == "<insufficient privilege>" for t in texts)
    # What the catalog does show: role names (as the users table does) and approximate table
    # sizes (pg_class.reltuples): counts, never contents.
    assert bob.value("SELECT count(*) FROM pg_roles WHERE rolname = 'alice'") == 1


def test_the_runner_sees_jobs_not_compounds_until_it_acts_for_a_user(cast: dict[str, Any]) -> None:
    runner = cast["db"]["runner"]
    assert runner.value("SELECT count(*) FROM jobs WHERE owner = 'alice'") == 1
    assert runner.run("UPDATE jobs SET progress = 10 WHERE owner = 'alice'") == 1
    assert "permission denied for table compounds" in runner.refused("SELECT * FROM compounds")
    assert "permission denied to set role" in runner.refused("SET ROLE postgres")
    with runner.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL ROLE alice"))
        assert conn.execute(sa.text("SELECT count(*) FROM compounds")).scalar() == 1
        owner = conn.execute(
            sa.text(
                "INSERT INTO compounds (query, provenance, summary) VALUES ('by runner', '{}', "
                "'{}') RETURNING owner"
            )
        ).scalar()
        assert owner == "alice"
        conn.execute(sa.text("DELETE FROM compounds WHERE query = 'by runner'"))
    assert runner.value("SELECT current_user") == "runner-1"


def test_the_api_sees_nothing_as_itself_and_acts_as_the_caller(cast: dict[str, Any]) -> None:
    api = cast["db"]["api"]
    url = cast["urls"]["api"]
    assert "permission denied for table compounds" in api.refused("SELECT * FROM compounds")
    assert "permission denied for table jobs" in api.refused("SELECT * FROM jobs")
    assert "permission denied to set role" in api.refused("SET ROLE postgres")
    assert api.run("INSERT INTO api_rate_counts VALUES ('alice', 'read', now(), 1)") == 1
    assert "permission denied" in cast["db"]["alice"].refused("SELECT * FROM api_rate_counts")
    with store.acting_as("alice"):
        assert store.list_compounds(url=url).total == 1
    with store.acting_as("bob"):
        names = store.list_compounds(url=url).items["name"].tolist()
    assert names == ["bob-aspirin"]
    with store.acting_as("nobody-here"), pytest.raises(store.PermissionDenied, match="no account"):
        store.list_compounds(url=url)
    # Group roles are not users: the API never becomes one, whatever name it is given.
    with store.acting_as("impulator_admin"), pytest.raises(store.PermissionDenied):
        store.list_compounds(url=url)
    # Outside the block the API is itself again (the role was local to each transaction).
    assert api.value("SELECT current_user") == "api-1"


def test_the_api_login_from_the_command_line(
    cast: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "provision-api", "api-2", "--url", cast["admin_url"]]) == 0
    url = capsys.readouterr().out.strip().splitlines()[-1]
    assert "api-2" in url
    with store.acting_as("alice"):
        assert store.list_compounds(url=url).total == 1


def test_reprovisioning_rotates_the_password_and_no_password_is_logged(
    cast: dict[str, Any], postgres: PostgresCluster
) -> None:
    old = cast["urls"]["carol"]
    new = provision_user("carol", "chemist", ["team"], url=cast["admin_url"])
    assert sa.make_url(old).password != sa.make_url(new).password
    assert "password authentication failed" in _login_error(old)
    assert Db(new).value("SELECT current_user") == "carol"
    cast["urls"]["carol"] = new
    cast["db"]["carol"] = Db(new)
    log = postgres.log.read_text(errors="replace")
    assert "CREATE ROLE" in log or "ALTER ROLE" in log
    for url in cast["urls"].values():
        assert str(sa.make_url(url).password) not in log


def _login_error(url: str) -> str:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with pytest.raises(sa.exc.OperationalError) as info, engine.connect():
            pass
        return str(info.value.orig)
    finally:
        engine.dispose()


def test_roles_not_made_by_impulator_are_left_alone(cast: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not created by impulator"):
        provision_user("dba", "chemist", url=_with_role(cast, "dba"))
    with pytest.raises(ValueError, match="reserved"):
        provision_user("postgres", "admin", url=cast["admin_url"])


def _with_role(cast: dict[str, Any], name: str) -> str:
    cast["db"]["superuser"].run(
        f"DO $$ BEGIN CREATE ROLE {name}; EXCEPTION WHEN OTHERS THEN END $$"
    )
    return str(cast["admin_url"])


def test_provision_user_cli_prints_only_the_url(
    cast: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "db",
            "provision-user",
            "dora",
            "--role",
            "viewer",
            "--group",
            "team",
            "--url",
            cast["admin_url"],
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    url = out.strip()
    assert out.count("\n") == 1 and sa.make_url(url).username == "dora"
    assert Db(url).value("SELECT role FROM users WHERE name = 'dora'") == "viewer"
    assert sa.make_url(url).password not in err
    assert (
        main(["db", "provision-user", "pg_x", "--role", "chemist", "--url", cast["admin_url"]]) == 2
    )
    assert "reserved" in capsys.readouterr().err
