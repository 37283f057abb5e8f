"""``impulator analyze --save`` and ``impulator compounds ...`` against real databases."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from impulator import store
from impulator.cli import main
from impulator.store import _session
from tests.postgres import PostgresCluster

_databases = itertools.count()


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    _session.dispose()


@pytest.fixture
def database(empty_url: str, demo_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The demo ChEMBL for analyses and an empty results database in IMPULATOR_DATABASE_URL."""
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", empty_url)
    return empty_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_save_prints_only_the_id(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", "CHEMBL1421", "--save")
    assert code == 0 and out == "1\n" and "saved as compound 1" in err
    code, out, err = run(capsys, "analyze", "dasatinib", "--save")
    assert code == 0 and out == "1\n" and "already stored as compound 1" in err
    code, out, _ = run(
        capsys,
        "analyze",
        "CHEMBL1421",
        "--save",
        "--on-duplicate",
        "keep",
        "--name",
        "dasatinib again",
    )
    assert code == 0 and out == "2\n"
    assert store.get(2).name == "dasatinib again" and store.get(1).name == "DASATINIB"
    code, out, err = run(capsys, "analyze", "CHEMBL1421", "--save", "--on-duplicate", "replace")
    assert code == 0 and out == "1\n" and "replaced compound 1" in err

    code, out, _ = run(capsys, "analyze", "CHEMBL1421", "--save", "--json", "--model", "imp-4")
    payload = json.loads(out)
    assert code == 0 and payload["compound_id"] == 3
    assert store.get(3).model_id == "imp-4" and len(payload["rows"]) == store.get(3).n_rows

    code, out, err = run(capsys, "analyze", "CHEMBL1421", "--name", "x")
    assert code == 2 and out == "" and "--name and --on-duplicate go with --save" in err


def test_analyze_save_with_csv(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "analyze", "CHEMBL1421", "--save", "--csv", str(tmp_path / "rows.csv")
    )
    assert code == 0 and out == "1\n" and "rows written" in err


def test_list_show_delete(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    for query in ("CHEMBL1421", "CHEMBL19019"):
        assert run(capsys, "analyze", query, "--similarity", "0.4", "--save")[0] == 0
    code, out, _ = run(capsys, "compounds", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "name", "best_score"]
    assert "NALTREXONE" in lines[1] and "DASATINIB" in lines[2]  # newest first
    assert lines[-1] == "page 1 of 1 (2 compounds)"

    code, out, _ = run(
        capsys, "compounds", "list", "--json", "--limit", "1", "--page", "2", "--sort", "name"
    )
    payload = json.loads(out)  # strict JSON: json.loads would accept NaN, so check the text
    assert "NaN" not in out
    assert (payload["total"], payload["pages"], payload["page"]) == (2, 2, 2)
    assert [i["name"] for i in payload["items"]] == ["NALTREXONE"]
    assert payload["items"][0]["created_at"].endswith("+00:00")

    code, out, _ = run(capsys, "compounds", "list", "--search", "dasat", "--mine")
    assert code == 0 and "DASATINIB" in out and "NALTREXONE" not in out

    code, out, _ = run(capsys, "compounds", "show", "2", "--rows", "3")
    assert code == 0 and "NALTREXONE" in out and "molecule_chembl_id" in out
    assert "... 10 more rows" in out
    code, out, _ = run(capsys, "compounds", "show", "2", "--json")
    shown = json.loads(out)
    assert "NaN" not in out and len(shown["rows"]) == 13 and shown["name"] == "NALTREXONE"
    assert shown["provenance"]["similarity_threshold"] == 0.4
    assert shown["pdb"][0]["source"].startswith("wwPDB CCD")

    code, out, _ = run(capsys, "compounds", "delete", "1")
    assert code == 0 and out == "deleted compound 1\n"
    code, out, err = run(capsys, "compounds", "show", "1")
    assert code == 2 and out == ""
    assert err.strip() == ("impulator: no compound 1 (it does not exist or is not shared with you)")
    code, _, err = run(capsys, "compounds", "list", "--sort", "colour")
    assert code == 2 and "use one of created_at, name, best_score, mw, n_rows" in err
    code, out, _ = run(capsys, "compounds", "list", "--sort=-best_score")
    assert code == 0 and "NALTREXONE" in out


def test_share_and_unshare(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "analyze", "CHEMBL1421", "--save")[0] == 0
    code, _, err = run(capsys, "compounds", "share", "1", "team")
    assert code == 2 and "no group named 'team'" in err
    engine = _session.engine_for(database)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO groups (name) VALUES ('team')")
    code, out, _ = run(capsys, "compounds", "share", "1", "team")
    assert code == 0 and out == "compound 1 is shared with team\n"
    assert "team" in run(capsys, "compounds", "show", "1")[1]
    code, out, _ = run(capsys, "compounds", "unshare", "1", "team")
    assert code == 0 and "no longer shared" in out


def test_a_viewer_gets_exit_5_with_one_clear_line(
    postgres: PostgresCluster,
    demo_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = postgres.create_database(f"impulator_cli_{next(_databases)}")
    store.upgrade(admin)
    viewer = store.provision_user("cli_viewer", "viewer", url=admin)
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", viewer)
    code, out, err = run(capsys, "analyze", "CHEMBL1421", "--save")
    assert code == 5 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "cli_viewer has read-only access" in err and "Ask an administrator" in err
    assert str(__import__("sqlalchemy").make_url(viewer).password) not in err
    code, out, _ = run(capsys, "compounds", "list")
    assert code == 0 and "no compounds" in out


def test_an_unreachable_database_is_exit_4_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", "postgresql+psycopg://ana:s3cret-pw@127.0.0.1:1/x")
    code, out, err = run(capsys, "compounds", "list")
    assert code == 4 and out == ""
    assert "s3cret-pw" not in err and "ana:***@127.0.0.1:1/x" in err
    assert len(err.strip().splitlines()) == 1
