"""The packaged Alembic migrations, on PostgreSQL and on SQLite: up, down, up again."""

from __future__ import annotations

import warnings
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from impulator import store
from impulator.store._keys import provenance_key

HEAD = "0007"
TABLES = {
    "api_rate_counts",
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
    "published_notebooks",
}
INDEXES = {
    "jobs": {"ix_jobs_owner_status", "ix_jobs_owner_created_at", "ix_jobs_parent_job_id"},
    "compounds": {
        "ix_compounds_owner_created_at",
        "ix_compounds_owner_inchikey_provenance_key",
        "ix_compounds_inchikey",
        "ix_compounds_best_score",
        "ix_compounds_chembl_id",
        "ix_compounds_name_lower",
    },
    "result_rows": {
        "ix_result_rows_molecule_chembl_id",
        "ix_result_rows_compound_id",
    },
    "exports": {"ix_exports_owner_created_at"},
}


def _inspect(url: str) -> tuple[set[str], dict[str, set[str]], dict[str, set[str]]]:
    """Tables, index names per table and column names per table, via ``sa.inspect``."""
    engine = sa.create_engine(url)
    try:
        with warnings.catch_warnings():
            # SQLite reflection skips expression indexes (lower(name)) with a warning.
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            inspector = sa.inspect(engine)
            tables = set(inspector.get_table_names())
            indexes = {
                t: {i["name"] for i in inspector.get_indexes(t) if i["name"]} for t in tables
            }
            columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in tables}
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT tbl_name, name FROM sqlite_master "
                        "WHERE type = 'index' AND sql LIKE '%lower(%'"
                    )
                )
                for table, name in rows:
                    indexes[table].add(name)
    finally:
        engine.dispose()
    return tables, indexes, columns


def _assert_at_head(url: str) -> None:
    tables, indexes, columns = _inspect(url)
    assert tables == TABLES | {"alembic_version"}
    for table, expected in INDEXES.items():
        assert expected <= indexes[table], table
    for table in store.TENANT_TABLES:
        assert "owner" in columns[table] and f"ix_{table}_owner" in indexes[table], table
    assert store.current_revision(url) == store.head_revision() == HEAD


def test_up_down_up(empty_url: str) -> None:
    assert store.current_revision(empty_url) is None
    assert store.upgrade(empty_url) == HEAD
    _assert_at_head(empty_url)
    assert store.downgrade(empty_url, "base") is None
    assert _inspect(empty_url)[0] == {"alembic_version"}
    store.upgrade(empty_url)
    _assert_at_head(empty_url)


def test_models_match_the_migration(empty_url: str) -> None:
    """The ORM models and the migrations describe the same schema (autogenerate is empty)."""
    store.upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    try:
        with warnings.catch_warnings(), engine.connect() as conn:
            # SQLite cannot reflect lower(name), so neither side of it is compared there.
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            warnings.simplefilter("ignore", UserWarning)
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, store.Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], diff


def _add_analysis(url: str) -> int:
    """One user, job, compound and result row, written with revision 0001's columns only."""
    engine = sa.create_engine(url)
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (name, role) VALUES ('ana', 'chemist')"))
            job_id = conn.execute(
                sa.text(
                    "INSERT INTO jobs (owner, input_data) VALUES ('ana', :input) RETURNING id"
                ).bindparams(sa.bindparam("input", type_=json)),
                {"input": {"query": "CHEMBL25"}},
            ).scalar_one()
            compound_id = conn.execute(
                sa.text(
                    "INSERT INTO compounds (owner, job_id, query, name, inchikey, provenance, "
                    "summary, best_score, model_id) VALUES ('ana', :job, 'CHEMBL25', 'Aspirin', "
                    "'BSYNRYMUTXBXSQ-UHFFFAOYSA-N', :provenance, :summary, 71.5, 'imp-4') "
                    "RETURNING id"
                ).bindparams(
                    sa.bindparam("provenance", type_=json), sa.bindparam("summary", type_=json)
                ),
                {"job": job_id, "provenance": PROVENANCE, "summary": {"rows": 1}},
            ).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO result_rows (owner, compound_id, molecule_chembl_id, "
                    "final_score, imp_candidate, data) VALUES ('ana', :compound, 'CHEMBL25', "
                    "71.5, :candidate, :data)"
                ).bindparams(sa.bindparam("data", type_=json)),
                {"compound": compound_id, "candidate": True, "data": {"qed": 0.55, "mw": 180.16}},
            )
            return int(compound_id)
    finally:
        engine.dispose()


PROVENANCE = {"scoring_model": "imp-4", "similarity_threshold": 0.7}


def _check_analysis(url: str, compound_id: int) -> None:
    engine = sa.create_engine(url)
    try:
        with Session(engine) as session:
            compound = session.get_one(store.Compound, compound_id)
            row = session.scalars(sa.select(store.ResultRow)).one()
            job = session.scalars(sa.select(store.Job)).one()
            assert (compound.name, compound.provenance) == ("Aspirin", PROVENANCE)
            assert isinstance(compound.created_at, datetime)
            assert row.data == {"qed": 0.55, "mw": 180.16} and row.imp_candidate is True
            assert (job.status, job.progress, job.retries, job.max_retries) == ("queued", 0, 0, 3)
            # 0002 fills its new columns in from the JSON already stored.
            assert compound.provenance_key == provenance_key(PROVENANCE)
            assert (compound.n_rows, compound.n_flags) == (1, 0)
            hits = session.scalars(
                sa.select(store.Compound).where(sa.func.lower(store.Compound.name) == "aspirin")
            ).all()
            assert [c.id for c in hits] == [compound_id]
    finally:
        engine.dispose()


def test_data_from_the_first_revision_survives_every_upgrade(empty_url: str) -> None:
    assert store.upgrade(empty_url, "0001") == "0001"
    compound_id = _add_analysis(empty_url)
    assert store.upgrade(empty_url) == HEAD
    _check_analysis(empty_url, compound_id)
    assert store.downgrade(empty_url, "0002") == "0002"
    assert store.upgrade(empty_url) == HEAD
    _check_analysis(empty_url, compound_id)


def test_deleting_a_compound_deletes_its_rows(empty_url: str) -> None:
    store.upgrade(empty_url)
    compound_id = _add_analysis(empty_url)
    engine = sa.create_engine(empty_url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA foreign_keys = ON"))
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(store.Compound).where(store.Compound.id == compound_id))
            assert conn.scalar(sa.select(sa.func.count()).select_from(store.ResultRow)) == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(("column", "value"), [("status", "lost"), ("progress", 101)])
def test_job_constraints(empty_url: str, column: str, value: object) -> None:
    store.upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.insert(store.Job).values(owner="ana", input_data={}, **{column: value}))
    finally:
        engine.dispose()


def test_row_writes_revision_compresses_data_with_lz4_and_drops_the_score_index(
    empty_url: str,
) -> None:
    store.upgrade(empty_url)
    assert "ix_result_rows_final_score" not in _inspect(empty_url)[1]["result_rows"]
    engine = sa.create_engine(empty_url)
    compression = (
        "SELECT attcompression FROM pg_attribute "
        "WHERE attrelid = 'result_rows'::regclass AND attname = 'data'"
    )
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                assert conn.scalar(sa.text(compression)) == "l"  # lz4
        store.downgrade(empty_url, "0005")
        assert "ix_result_rows_final_score" in _inspect(empty_url)[1]["result_rows"]
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                assert conn.scalar(sa.text(compression)) == ""  # the server's default again
    finally:
        engine.dispose()


def test_rows_keep_one_foreign_key_to_their_compound(empty_url: str) -> None:
    """Revision 0006 leaves the (compound_id, owner) key, which also requires the compound."""
    store.upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA foreign_keys = ON"))
    try:
        keys = sa.inspect(engine).get_foreign_keys("result_rows")
        assert [(k["constrained_columns"], k["referred_columns"]) for k in keys] == [
            (["compound_id", "owner"], ["id", "owner"])
        ]
        row = {"owner": "ana", "compound_id": 12345, "data": {}}
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.insert(store.ResultRow).values(**row))
    finally:
        engine.dispose()


def test_rows_keep_data_as_json_text_and_their_compression(empty_url: str) -> None:
    """Revision 0007: ``data`` is ``json`` on PostgreSQL, rows stored as ``jsonb`` carried
    over both ways, and the column keeps lz4 through the type change."""
    store.upgrade(empty_url, "0006")
    _add_analysis(empty_url)
    store.upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    stored = sa.select(store.ResultRow.data)
    column = (
        "SELECT format_type(atttypid, atttypmod), attcompression FROM pg_attribute "
        "WHERE attrelid = 'result_rows'::regclass AND attname = 'data'"
    )
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                assert tuple(conn.execute(sa.text(column)).one()) == ("json", "l")
        with engine.connect() as conn:
            assert conn.execute(stored).scalar_one() == {"qed": 0.55, "mw": 180.16}
        store.downgrade(empty_url, "0006")
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                assert tuple(conn.execute(sa.text(column)).one()) == ("jsonb", "l")
        with engine.connect() as conn:
            assert conn.execute(stored).scalar_one() == {"qed": 0.55, "mw": 180.16}
    finally:
        engine.dispose()
