"""``impulator db upgrade | downgrade | current`` against real databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from impulator import store
from impulator.cli import main


def test_upgrade_current_downgrade(empty_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current", "--url", empty_url]) == 0
    assert "base (empty)" in capsys.readouterr().out
    assert main(["db", "upgrade", "--url", empty_url]) == 0
    head = store.head_revision()
    assert f"at revision {head}" in capsys.readouterr().out
    assert main(["db", "current", "--url", empty_url]) == 0
    assert f"{head} (up to date)" in capsys.readouterr().out
    assert main(["db", "downgrade", "base", "--url", empty_url]) == 0
    assert "base (empty)" in capsys.readouterr().out
    assert store.current_revision(empty_url) is None


def test_default_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("IMPULATOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("IMPULATOR_DATA_DIR", str(tmp_path / "data"))
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "impulator.sqlite").exists()
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", url)
    assert store.database_url() == url
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{url}: at revision base")


def test_unknown_revision_is_invalid_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["db", "downgrade", "nope", "--url", url]) == 2
    assert "nope" in capsys.readouterr().err


def test_the_password_is_never_printed(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://ana:s3cret-pw@127.0.0.1:1/impulator"
    assert main(["db", "current", "--url", url]) == 4
    assert main(["db", "upgrade", "--url", url]) == 4
    out, err = capsys.readouterr()
    assert "s3cret-pw" not in out + err
    assert "ana:***@127.0.0.1:1/impulator" in err


def test_provisioning_says_sqlite_has_no_roles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'impulator.sqlite'}"
    assert main(["db", "provision-user", "alice", "--role", "chemist", "--url", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "only on PostgreSQL" in captured.err
