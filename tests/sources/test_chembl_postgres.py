"""A ChEMBL database loaded into PostgreSQL reads exactly like the same database in SQLite."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from impulator import SourceUnavailable
from impulator.pipeline import analyze
from impulator.sources import ChemblDatabase
from tests.conftest import DASATINIB
from tests.postgres import PostgresCluster


@pytest.fixture(scope="module")
def chembl_pg(postgres: PostgresCluster, demo_dir: Path) -> str:
    """The demo fixture's tables copied into a PostgreSQL database, as a dump load would."""
    url = postgres.create_database("chembl_fixture")
    sqlite = sa.create_engine(f"sqlite:///{demo_dir / 'demo' / 'chembl_demo.sqlite'}")
    target = sa.create_engine(url)
    with sqlite.connect() as src, warnings.catch_warnings():
        # Reflection skips the demo's expression indexes (UPPER(pref_name)): only data is copied.
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        for table in sa.inspect(src).get_table_names():
            pd.read_sql_table(table, src).to_sql(table, target, index=False)
    target.dispose()
    return url


def test_postgres_dump_gives_the_same_report_as_sqlite(chembl_pg: str, demo_dir: Path) -> None:
    demo = demo_dir / "demo"
    index = demo / "chembl_demo.h5"  # molregno keys are the same in both databases
    lite = ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", index)
    pg = ChemblDatabase(chembl_pg, index)
    assert pg.release == lite.release == "demo: MoleculeACE 3.0.0"
    ours = analyze(DASATINIB, source=lite, pdb=False, similarity=0.5)
    theirs = analyze(DASATINIB, source=pg, pdb=False, similarity=0.5)
    assert len(ours.rows) > 0
    pd.testing.assert_frame_equal(ours.rows, theirs.rows)
    assert pg.resolve("dasatinib").molecule_chembl_id == "CHEMBL1421"


def test_postgres_index_is_built_from_the_database(chembl_pg: str, tmp_path: Path) -> None:
    pg = ChemblDatabase(chembl_pg)
    pg.build_index(tmp_path / "pg.h5")
    report = analyze("CHEMBL1421", source=pg, pdb=False)
    assert "CHEMBL1421" in set(report.rows["molecule_chembl_id"])


def test_unreachable_postgres_is_a_clear_error(postgres: PostgresCluster) -> None:
    url = postgres.url("no_such_database")
    with pytest.raises(SourceUnavailable, match="cannot open the ChEMBL database"):
        ChemblDatabase(url)
