"""Shared fixtures: the demo ChEMBL fixture (a real ChEMBL-schema SQLite) and its index."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresCluster, find_bindir

# The dashboards in Chromium (Voila servers, one browser): one session fixture for every
# folder that renders pages (tests/browser, tests/security), so the servers start once.
pytest_plugins = ["tests.browser.fixtures"]

DATA = Path(__file__).parent / "data"
DEMO_FIXTURE = DATA / "chembl_demo_fixture.sqlite"
DASATINIB = "Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the demo fixture and its similarity index."""
    from impulator.sources._chembl_local import ChemblDatabase

    folder = tmp_path_factory.mktemp("impulator-data")
    demo = folder / "demo"
    demo.mkdir()
    shutil.copy(DEMO_FIXTURE, demo / "chembl_demo.sqlite")
    ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}").build_index(demo / "chembl_demo.h5")
    return folder


@pytest.fixture
def demo_env(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process environment of a user whose data directory holds the demo fixture."""
    for name in ("IMPULATOR_CHEMBL_URL", "IMPULATOR_CHEMBL_SOURCE", "IMPULATOR_PDB_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMPULATOR_DATA_DIR", str(demo_dir))
    monkeypatch.setenv("IMPULATOR_PDB_SOURCE", "ccd")
    monkeypatch.setenv("IMPULATOR_OFFLINE", "1")
    return demo_dir


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket connection is a test failure: replays must answer everything."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A real, ephemeral PostgreSQL cluster for the whole test session."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    cluster = PostgresCluster(bindir).start()
    try:
        yield cluster
    finally:
        cluster.stop()
