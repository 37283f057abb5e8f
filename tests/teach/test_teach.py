"""Publishing notebooks to a group on a real PostgreSQL: who gets them and who does not.

The cast: ines (instructor) and sam (student, chemist) in "course-a"; olga (chemist) and vic
(viewer) in "other", outside it; carl (chemist) in "course-a", who may not publish; val
(viewer) in "course-a", who reads only.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import store, teach
from impulator._errors import PermissionDenied
from impulator.cli import main
from impulator.store._provision import provision_user
from impulator.store._session import dispose
from tests.postgres import PostgresCluster

_databases = itertools.count()
PEOPLE = {
    "ines": ("instructor", ["course-a"]),
    "sam": ("chemist", ["course-a"]),
    "carl": ("chemist", ["course-a"]),
    "olga": ("chemist", ["other"]),
    "vic": ("viewer", ["other"]),
    "val": ("viewer", ["course-a"]),
}


@pytest.fixture(scope="module")
def urls(postgres: PostgresCluster) -> Iterator[dict[str, str]]:
    admin_url = postgres.create_database(f"impulator_teach_{next(_databases)}")
    store.upgrade(admin_url)
    urls = {n: provision_user(n, r, g, url=admin_url) for n, (r, g) in PEOPLE.items()}
    yield urls
    for url in urls.values():
        dispose(url)


def _lesson(folder: Path, text: str = "Ligand efficiency") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = folder / "lesson.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": text}]}))
    return nb


def _rows(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def test_publish_fetch_and_versions(urls: dict[str, str], tmp_path: Path) -> None:
    lesson = _lesson(tmp_path / "ines" / "unit1")
    done = teach.publish(lesson.parent, "course-a", url=urls["ines"])
    assert [(f.path, f.version, f.changed) for f in done] == [("unit1/lesson.ipynb", 1, True)]
    assert teach.publish(lesson.parent, "course-a", url=urls["ines"])[0].changed is False

    sam = tmp_path / "sam"
    written = teach.fetch(home=sam, url=urls["sam"])
    copy = sam / "shared" / "course-a" / "unit1" / "lesson.ipynb"
    assert written == [copy]
    assert copy.read_bytes() == lesson.read_bytes()

    # sam edits his copy; ines publishes version 2: his copy stays, v2 arrives beside it.
    copy.write_text("my answers")
    _lesson(lesson.parent, "Ligand efficiency, revised")
    assert teach.publish(lesson, "course-a", url=urls["ines"])[0].path == "lesson.ipynb"
    assert teach.publish(lesson.parent, "course-a", url=urls["ines"])[0].version == 2
    teach.fetch(home=sam, url=urls["sam"])
    assert copy.read_text() == "my answers"
    beside = copy.with_name("lesson.v2.ipynb")
    assert beside.read_bytes() == lesson.read_bytes()

    # carl never edited his: it is refreshed in place.
    carl = tmp_path / "carl"
    teach.fetch(home=carl, url=urls["carl"])
    assert (carl / "shared/course-a/unit1/lesson.ipynb").read_bytes() == lesson.read_bytes()


@pytest.mark.parametrize("outsider", ["olga", "vic"])
def test_outsiders_get_nothing(urls: dict[str, str], tmp_path: Path, outsider: str) -> None:
    teach.publish(_lesson(tmp_path / "src"), "course-a", url=urls["ines"])
    assert teach.fetch(home=tmp_path / outsider, url=urls[outsider]) == []
    assert not (tmp_path / outsider / "shared" / "course-a").exists()
    assert _rows(urls[outsider], "SELECT * FROM published_notebooks") == []
    assert teach.fetch("course-a", home=tmp_path / outsider, url=urls[outsider]) == []


def test_chemist_refused_in_words(urls: dict[str, str], tmp_path: Path) -> None:
    lesson = _lesson(tmp_path / "carl")
    with pytest.raises(PermissionDenied, match="only instructors and admins may"):
        teach.publish(lesson, "course-a", url=urls["carl"])
    # and the database refuses it too, with carl's own credentials
    engine = sa.create_engine(urls["carl"], poolclass=NullPool)
    with pytest.raises(sa.exc.DBAPIError, match="row-level security"), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO published_notebooks (group_id, path, version, sha256, content) "
                "SELECT id, 'x.ipynb', 99, 'x', '\\x00' FROM groups WHERE name = 'course-a'"
            )
        )
    engine.dispose()


def test_cli(
    urls: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", urls["carl"])
    assert main(["notebooks", "publish", str(_lesson(tmp_path / "c")), "course-a"]) == 5
    assert "only instructors and admins may" in capsys.readouterr().err
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", urls["sam"])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert main(["notebooks", "fetch"]) == 0
    assert (tmp_path / "home" / "shared" / "course-a").is_dir()
    assert main(["notebooks", "link", "--repo", "https://git.example.org/c.git"]) == 0
    assert (
        "/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgit.example.org" in capsys.readouterr().out
    )


def test_examples_never_overwrite_edits(tmp_path: Path) -> None:
    src = tmp_path / "templates"
    _lesson(src, "v1")
    home = tmp_path / "home"
    assert teach.install_examples(home, src) == [home / "examples" / "lesson.ipynb"]
    copy = home / "examples" / "lesson.ipynb"
    assert not copy.stat().st_mode & 0o222  # read-only
    _lesson(src, "v2")
    teach.install_examples(home, src)
    assert "v2" in copy.read_text()  # unedited: refreshed
    copy.chmod(0o644)
    copy.write_text("mine")
    _lesson(src, "v3")
    teach.install_examples(home, src)
    assert copy.read_text() == "mine"
    assert "v3" in copy.with_name("lesson.new.ipynb").read_text()


def test_templates_shipped() -> None:
    assert len(list(teach.templates_dir().glob("*.ipynb"))) >= 5


def test_prepare_home_at_spawn(urls: dict[str, str], tmp_path: Path) -> None:
    teach.publish(_lesson(tmp_path / "spawn"), "course-a", url=urls["ines"])
    home = tmp_path / "home"
    written = teach.prepare_home(home, urls["sam"])
    assert home / "shared" / "course-a" / "lesson.ipynb" in written
    assert (home / "examples" / "01_quick_start.ipynb").is_file()
    bare = tmp_path / "bare"  # no database URL: the examples only
    assert teach.prepare_home(bare)
    assert not (bare / "shared").exists()


def test_viewer_in_the_group_reads_only(urls: dict[str, str], tmp_path: Path) -> None:
    teach.publish(_lesson(tmp_path / "v"), "course-a", url=urls["ines"])
    assert teach.fetch("course-a", home=tmp_path / "val", url=urls["val"])
    with pytest.raises(PermissionDenied):
        teach.publish(_lesson(tmp_path / "val-src"), "course-a", url=urls["val"])
    engine = sa.create_engine(urls["val"], poolclass=NullPool)
    with pytest.raises(sa.exc.DBAPIError, match="permission denied"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM published_notebooks"))
    engine.dispose()
