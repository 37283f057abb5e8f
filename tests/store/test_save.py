"""``store.save``, ``get`` and ``delete`` on real databases (SQLite files, a real PostgreSQL)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import chem, store
from impulator.pipeline import RESULT_COLUMNS, Report
from impulator.pipeline import json_ready as _plain
from impulator.store import _rows as store_rows
from impulator.store import _save, _session
from impulator.store._keys import provenance_key
from tests.postgres import PostgresCluster
from tests.store.reports import many_rows, reports

_databases = itertools.count()


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    _session.dispose()


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, Report]:
    return reports(demo_dir)


def _count(url: str, sql: str, **params: Any) -> int:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def _owner(url: str) -> str:
    return "postgres" if url.startswith("postgresql") else _session.local_user()


def _fresh_postgres(postgres: PostgresCluster) -> str:
    url = postgres.create_database(f"impulator_save_{next(_databases)}")
    store.upgrade(url)
    return url


# -- round trip --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["naltrexone", "dasatinib", "testosterone", "apomorphine"])
def test_every_value_comes_back(empty_url: str, demo: dict[str, Report], key: str) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    report = demo[key]
    compound_id = store.save(report, url=empty_url)
    stored = store.get(compound_id, url=empty_url)

    # Every RESULT_COLUMNS value, dtype and order; NaN stays NaN.
    assert list(stored.rows.columns) == list(RESULT_COLUMNS)
    pd.testing.assert_frame_equal(stored.rows, report.rows)
    nans = report.rows.isna().to_numpy()
    assert (stored.rows.isna().to_numpy() == nans).all()

    structure = report.structure
    assert structure is not None
    rows = report.rows
    best = int(np.nanargmax(rows["final_score"].to_numpy(dtype=float)))
    assert stored.owner == _owner(empty_url)
    assert stored.query == report.query
    assert stored.parent_smiles == structure.smiles
    assert stored.inchikey == structure.inchikey
    assert stored.chembl_id == report.summary["query_chembl_id"]
    assert (
        stored.name == rows.loc[rows["molecule_chembl_id"] == stored.chembl_id].iloc[0]["pref_name"]
    )
    assert stored.best_score == report.summary["best_score"]
    assert stored.best_class == rows["classification"].iloc[best]
    assert stored.model_id == report.model
    assert stored.mw == pytest.approx(chem.descriptors(structure)["mw"])
    flags = chem.interference_flags(structure)
    assert stored.n_flags == sum(bool(getattr(flags, f)) for f in chem.FLAG_NAMES)
    assert stored.n_rows == len(rows)
    assert stored.provenance == _plain(report.provenance)
    assert stored.summary == _plain(report.summary)
    assert stored.provenance_key == provenance_key(report.provenance)
    assert stored.created_at.tzinfo is not None
    assert stored.shared_with == []
    assert [f["inchikey"] for f in stored.flags] == list(rows["inchikey"].unique())
    first = rows.iloc[0]
    assert stored.flags[0]["flags"] == {f: bool(first[f]) for f in chem.FLAG_NAMES}
    assert stored.flags[0]["matches"]["pains"] == first["pains_matches"]


def test_query_flags_and_pdb_evidence(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    testosterone = store.get(store.save(demo["testosterone"], url=empty_url), url=empty_url)
    apomorphine = store.get(store.save(demo["apomorphine"], url=empty_url), url=empty_url)
    assert (testosterone.n_flags, apomorphine.n_flags) == (1, 3)
    assert testosterone.model_id == "imp-4" and testosterone.pdb == []

    dasatinib = store.get(store.save(demo["dasatinib"], url=empty_url), url=empty_url)
    (pdb,) = dasatinib.pdb
    assert pdb["source"].startswith("wwPDB CCD")
    entry = next(e for e in pdb["entries"] if e.get("molecule_chembl_id") == "CHEMBL1421")
    assert "1N1" in entry["ligands"] and entry["structures"] >= 1
    assert pdb["score"] == max(e["score"] for e in pdb["entries"] if "score" in e)


def test_an_empty_report_and_a_given_name(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    stored = store.get(store.save(demo["nothing"], "no luck", url=empty_url), url=empty_url)
    assert stored.name == "no luck"
    assert (stored.n_rows, stored.best_score, stored.best_class) == (0, None, None)
    assert stored.rows.empty and list(stored.rows.columns) == list(RESULT_COLUMNS)
    assert stored.flags == [] and stored.pdb == []


def test_name_falls_back_to_the_query_text(tmp_path: Path, demo: dict[str, Report]) -> None:
    report = demo["naltrexone"]
    summary = {**report.summary, "query_chembl_id": None}
    smiles_query = Report("O=C1CC[C@@]2(O)...", report.structure, report.rows, summary)
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert store.get(store.save(smiles_query, url=url), url=url).name == "O=C1CC[C@@]2(O)..."


# -- duplicates ---------------------------------------------------------------------------------


def test_duplicates_skip_replace_keep(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    report, n = demo["naltrexone"], len(demo["naltrexone"].rows)
    first = store.save(report, url=empty_url)
    assert store.save(report, "other name", url=empty_url) == first  # skip: nothing written
    assert store.get(first, url=empty_url).name == "NALTREXONE"
    assert _count(empty_url, "SELECT count(*) FROM audit_log WHERE action = 'save'") == 1

    assert store.save(report, "renamed", on_duplicate="replace", url=empty_url) == first
    replaced = store.get(first, url=empty_url)
    assert replaced.name == "renamed" and replaced.n_rows == n
    assert _count(empty_url, "SELECT count(*) FROM result_rows") == n
    assert _count(empty_url, "SELECT count(*) FROM compounds") == 1

    second = store.save(report, on_duplicate="keep", url=empty_url)
    assert second != first
    assert _count(empty_url, "SELECT count(*) FROM compounds") == 2
    assert _count(empty_url, "SELECT count(*) FROM result_rows") == 2 * n
    # Skip and replace pick the oldest of several copies.
    assert store.save(report, url=empty_url) == first

    # Other settings are another analysis, not a duplicate.
    other = Report(
        report.query,
        report.structure,
        report.rows,
        report.summary,
        {**report.provenance, "similarity_threshold": 0.5},
    )
    assert store.save(other, url=empty_url) not in (first, second)
    entries = _count(empty_url, "SELECT count(*) FROM audit_log WHERE action = 'save'")
    assert entries == 4  # insert, replace, keep, other: skips leave no entry

    with pytest.raises(ValueError, match="skip, replace, keep"):
        store.save(report, on_duplicate="overwrite", url=empty_url)


def test_the_audit_entry_says_what_was_saved(tmp_path: Path, demo: dict[str, Report]) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    compound_id = store.save(demo["dasatinib"], url=url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        actor, target, details = conn.execute(
            sa.text("SELECT actor, target, details FROM audit_log WHERE action = 'save'")
        ).one()
    engine.dispose()
    assert actor == _session.local_user() and target == f"compound:{compound_id}"
    assert '"rows": 2' in details and '"pdb_records": 1' in details


# -- delete ---------------------------------------------------------------------------------


def test_delete_cascades_to_every_child(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    keep = store.save(demo["naltrexone"], url=empty_url)
    gone = store.save(demo["dasatinib"], url=empty_url)
    store.delete(gone, url=empty_url)
    with pytest.raises(store.CompoundNotFound, match=f"no compound {gone} "):
        store.get(gone, url=empty_url)
    for table in ("result_rows", "interference_flags", "pdb_evidence"):
        assert _count(empty_url, f"SELECT count(*) FROM {table} WHERE compound_id = {gone}") == 0
    assert store.get(keep, url=empty_url).n_rows == len(demo["naltrexone"].rows)
    assert _count(empty_url, "SELECT count(*) FROM audit_log WHERE action = 'delete'") == 1
    with pytest.raises(LookupError, match="does not exist or is not shared with you"):
        store.delete(gone, url=empty_url)


# -- schema and connection ---------------------------------------------------------------------


def test_sqlite_needs_no_setup_and_catches_up(tmp_path: Path, demo: dict[str, Report]) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'impulator.sqlite'}"
    assert store.save(demo["naltrexone"], url=url) == 1
    assert store.current_revision(url) == store.head_revision()

    old = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store.upgrade(old, "0001")
    engine = sa.create_engine(old)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO compounds (owner, query, provenance, summary) "
                "VALUES ('me', 'CCO', '{}', '{\"rows\": 0}')"
            )
        )
    engine.dispose()
    assert store.list(url=old).total == 1  # migrated on first use, data kept
    assert store.current_revision(old) == store.head_revision()


def test_the_default_database_is_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: dict[str, Report]
) -> None:
    monkeypatch.delenv("IMPULATOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("IMPULATOR_DATA_DIR", str(tmp_path / "data"))
    compound_id = store.save(demo["testosterone"])
    assert (tmp_path / "data" / "impulator.sqlite").is_file()
    assert store.get(compound_id).name == "TESTOSTERONE"


def test_postgres_is_never_migrated_here(postgres: PostgresCluster) -> None:
    url = postgres.create_database(f"impulator_save_{next(_databases)}")
    with pytest.raises(store.StoreUnavailable, match="run 'impulator db upgrade'") as info:
        store.list(url=url)
    assert "no impulator tables" in str(info.value)
    assert store.current_revision(url) is None
    store.upgrade(url, "0002")
    with pytest.raises(store.StoreUnavailable, match="at revision 0002"):
        store.list(url=url)
    store.upgrade(url)
    assert store.list(url=url).total == 0


def test_an_unreachable_database_is_one_clear_error() -> None:
    url = "postgresql+psycopg://ana:s3cret-pw@127.0.0.1:1/impulator"
    with pytest.raises(store.StoreUnavailable) as info:
        store.list(url=url)
    message = str(info.value)
    assert "ana:***@127.0.0.1:1/impulator" in message and "s3cret-pw" not in message
    assert "try again" in message


def _json_rows_of_the_first_encoder(report: Report) -> list[dict[str, Any]]:
    """Each row's ``data`` as saves wrote it before orjson: every untyped column, nulls too."""
    records = store_rows.row_records(report.rows)
    rest = [c for c in records.columns if c not in store_rows.TYPED_COLUMNS]
    return [
        json.loads(json.dumps(dict(zip(rest, row, strict=True)), allow_nan=False, default=str))
        for row in zip(*(records.columns[c] for c in rest), strict=True)
    ]


@pytest.mark.parametrize("key", ["naltrexone", "apomorphine"])
def test_rows_read_back_the_same_before_and_after_the_encoding_change(
    empty_url: str, demo: dict[str, Report], key: str
) -> None:
    """A compound saved today and the same compound stored as the first encoder wrote it
    (nulls kept, ``json.dumps``) hold the same values, and ``get`` reads both identically."""
    store.upgrade(empty_url)
    report = demo[key]
    today = store.save(report, url=empty_url)
    before = store.save(report, on_duplicate="keep", url=empty_url)
    old = _json_rows_of_the_first_encoder(report)
    engine = sa.create_engine(empty_url, poolclass=NullPool)
    try:
        rows = store.ResultRow.__table__
        with engine.begin() as conn:
            ids = conn.execute(
                sa.select(rows.c.id).where(rows.c.compound_id == before).order_by(rows.c.id)
            ).scalars()
            for row_id, data in zip(ids, old, strict=True):
                conn.execute(rows.update().where(rows.c.id == row_id).values(data=data))
            stored_today = conn.execute(
                sa.select(rows.c.data).where(rows.c.compound_id == today).order_by(rows.c.id)
            ).scalars()
            compounds = store.Compound.__table__
            summary = conn.execute(
                sa.select(compounds.c.summary).where(compounds.c.id == today)
            ).scalar_one()
            # Today's JSON is the first encoder's without its nulls and without the columns
            # of one value in every row, which the compound keeps once: the same values.
            shared = summary.get(_save.SHARED_KEY, {})
            assert [{**d, **shared} for d in stored_today] == [
                {k: v for k, v in d.items() if v is not None} for d in old
            ]
            assert not any(set(shared) & set(d) for d in stored_today)
    finally:
        engine.dispose()
    pd.testing.assert_frame_equal(store.get(today, url=empty_url).rows, report.rows)
    pd.testing.assert_frame_equal(
        store.get(before, url=empty_url).rows, store.get(today, url=empty_url).rows
    )


# -- PostgreSQL: COPY, concurrency, atomicity, roles -------------------------------------------


def test_ten_thousand_rows_go_through_copy(
    postgres: PostgresCluster, demo: dict[str, Report], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _fresh_postgres(postgres)
    report = many_rows(demo["naltrexone"], 10_000)
    copies: list[int] = []
    original = _save._copy_rows

    def spy(tx: Any, owner: str, compound_id: int, records: Any) -> None:
        copies.append(len(records))
        original(tx, owner, compound_id, records)

    monkeypatch.setattr(_save, "_copy_rows", spy)
    started = time.perf_counter()
    compound_id = store.save(report, url=url)
    seconds = time.perf_counter() - started
    assert copies == [10_000]
    stored = store.get(compound_id, url=url)
    pd.testing.assert_frame_equal(stored.rows, report.rows)
    assert stored.n_rows == 10_000
    assert _count(url, "SELECT count(*) FROM result_rows") == 10_000
    print(f"saved 10,000 rows in {seconds:.2f} s")  # shown with -s; never asserted


def test_concurrent_saves_of_one_analysis_store_it_once(
    postgres: PostgresCluster, demo: dict[str, Report]
) -> None:
    url = _fresh_postgres(postgres)
    ids: list[int] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        ids.append(store.save(demo["naltrexone"], url=url))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(ids) == 4 and len(set(ids)) == 1
    assert _count(url, "SELECT count(*) FROM compounds") == 1


def test_a_save_killed_before_its_last_statement_leaves_nothing(
    postgres: PostgresCluster, demo: dict[str, Report]
) -> None:
    url = _fresh_postgres(postgres)
    report = demo["naltrexone"]
    outcome: list[BaseException | int] = []

    def work() -> None:
        try:
            outcome.append(store.save(report, url=url))
        except BaseException as exc:
            outcome.append(exc)

    admin = sa.create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as holder:
            holder.execute(sa.text("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE"))
            thread = threading.Thread(target=work)
            thread.start()
            waiting = _wait_for_lock_waiter(admin)
            assert "audit_log" in waiting[1]  # the audit entry is the save's last statement
            with admin.connect() as killer:
                assert killer.execute(
                    sa.text("SELECT pg_terminate_backend(:p)"), {"p": waiting[0]}
                ).scalar()
            holder.rollback()
        thread.join(60)
    finally:
        admin.dispose()
    assert len(outcome) == 1 and isinstance(outcome[0], store.StoreUnavailable), outcome
    assert "Nothing was changed" in str(outcome[0])
    for table in ("compounds", "result_rows", "interference_flags", "audit_log"):
        assert _count(url, f"SELECT count(*) FROM {table}") == 0, table

    first = store.save(report, url=url)
    assert store.save(report, url=url) == first
    assert _count(url, "SELECT count(*) FROM compounds") == 1
    assert _count(url, "SELECT count(*) FROM result_rows") == len(report.rows)


def _wait_for_lock_waiter(admin: sa.Engine) -> tuple[int, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with admin.connect() as conn:
            found = conn.execute(
                sa.text(
                    "SELECT pid, query FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).first()
        if found is not None:
            return int(found[0]), str(found[1])
        time.sleep(0.05)
    raise AssertionError("the save never waited for the audit_log lock")


def test_roles_own_what_they_save_and_viewers_cannot(
    postgres: PostgresCluster, demo: dict[str, Report]
) -> None:
    url = _fresh_postgres(postgres)
    chemist = store.provision_user("save_chemist", "chemist", ["save_team"], url=url)
    colleague = store.provision_user("save_colleague", "chemist", ["save_team"], url=url)
    viewer = store.provision_user("save_viewer", "viewer", ["save_team"], url=url)

    compound_id = store.save(demo["naltrexone"], url=chemist)  # COPY as a non-superuser
    stored = store.get(compound_id, url=chemist)
    assert stored.owner == "save_chemist"
    pd.testing.assert_frame_equal(stored.rows, demo["naltrexone"].rows)

    with pytest.raises(store.PermissionDenied) as info:
        store.save(demo["dasatinib"], url=viewer)
    message = str(info.value)
    assert "save_viewer" in message and "read-only" in message and "save 'DASATINIB'" in message
    with pytest.raises(store.CompoundNotFound):  # not shared with the viewer's group yet
        store.get(compound_id, url=viewer)
    store.share(compound_id, "save_team", url=chemist)
    assert store.get(compound_id, url=viewer).shared_with == ["save_team"]
    with pytest.raises(store.PermissionDenied, match="save_viewer has read-only access"):
        store.delete(compound_id, url=viewer)
    with pytest.raises(store.PermissionDenied, match="it belongs to save_chemist"):
        store.delete(compound_id, url=colleague)
    with pytest.raises(store.PermissionDenied, match="it belongs to save_chemist"):
        store.unshare(compound_id, "save_team", url=colleague)
    assert store.get(compound_id, url=colleague).n_rows == len(demo["naltrexone"].rows)

    # A runner's way: SET ROLE inside the caller's transaction; the role owns the rows.
    with store.connect(url) as conn:
        conn.execute(sa.text('SET LOCAL ROLE "save_chemist"'))
        runner_saved = store.save(demo["dasatinib"], connection=conn)
    assert store.get(runner_saved, url=chemist).owner == "save_chemist"


def test_columns_of_one_value_are_kept_once_and_read_back(tmp_path: Path) -> None:
    """Only plain values equal (and of one type, one zero sign) in every row are kept once per
    compound; the per-target name SQL reads stays in the rows; ``get`` gives the table back."""
    rows = pd.DataFrame(
        {
            "molecule_chembl_id": ["CHEMBL1", "CHEMBL2", "CHEMBL3"],
            "target_organism": ["Homo sapiens"] * 3,
            "pains": [False] * 3,
            "weight_pdb": [0.25] * 3,
            "n_records": [2, 2, 2],
            "zero": [0.0, -0.0, 0.0],
            "one": pd.Series([1, True, 1], dtype=object),
            "gap": ["x", None, "x"],
            "target_pref_name": ["Mu opioid receptor"] * 3,
            "lists": pd.Series([[1], [1], [1]], dtype=object),
        }
    )
    records = store_rows.row_records(rows)
    assert records.shared == {
        "target_organism": "Homo sapiens",
        "pains": False,
        "weight_pdb": 0.25,
        "n_records": 2,
    }
    assert all("target_pref_name" in d and "pains" not in d for d in records.data())
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    compound_id = store.save(Report("CCO", chem.standardize("CCO"), rows), url=url)
    stored = store.get(compound_id, url=url)
    assert _save.SHARED_KEY not in stored.summary
    pd.testing.assert_frame_equal(stored.rows, rows)
    assert store_rows.row_records(rows.iloc[:1]).shared == {}
