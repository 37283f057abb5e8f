"""``store.save_many``: several reports in one transaction store what ``store.save`` stores.

The same reports are stored one by one with ``save`` (the earlier path) and in one call of
``save_many`` (prepared as a Dask worker prepares them, shipped through pickle), and what is
read back must be the same, on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impulator import store
from impulator._errors import InvalidInput
from impulator.pipeline import Report
from impulator.store import _session
from tests.statements import counted
from tests.store.reports import reports

ORDER = ["naltrexone", "dasatinib", "testosterone", "apomorphine", "nothing"]
# Columns that tell two stored copies apart, not what was stored.
IDENTITY = {"id", "created_at", "job_id", "rows", "flags", "pdb"}


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    _session.dispose()


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> dict[str, Report]:
    return reports(demo_dir)


def _audit(url: str) -> list[tuple[str, dict[str, Any]]]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT target, details FROM audit_log ORDER BY id"))
            return [(str(t), d if isinstance(d, dict) else json.loads(d)) for t, d in rows]
    finally:
        engine.dispose()


def _same(one: store.StoredCompound, other: store.StoredCompound) -> None:
    for name in one.__dataclass_fields__:
        if name not in IDENTITY:
            assert getattr(one, name) == getattr(other, name), name
    pd.testing.assert_frame_equal(one.rows, other.rows)
    assert one.flags == other.flags and one.pdb == other.pdb


def test_the_same_rows_as_one_save_each(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    chosen = [demo[k] for k in ORDER]
    names = [f"{k} one by one" for k in ORDER]
    before = [
        store.save(r, n, on_duplicate="keep", url=empty_url)
        for r, n in zip(chosen, names, strict=True)
    ]
    # As a worker ships them: prepared, then through pickle.
    prepared = [pickle.loads(pickle.dumps(store.prepare_report(r))) for r in chosen]
    saved = store.save_many(
        prepared, [n.replace("one by one", "at once") for n in names], "keep", url=empty_url
    )
    assert [s.action for s in saved] == ["inserted"] * len(ORDER)
    after = [s.compound_id for s in saved]
    assert not set(before) & set(after)
    for one, other in zip(
        store.get_many(before, url=empty_url), store.get_many(after, url=empty_url), strict=True
    ):
        assert other.name == one.name.replace("one by one", "at once")
        other.name = one.name
        _same(one, other)
    # One audit entry per compound, with the same details.
    audit = _audit(empty_url)
    assert [t for t, _ in audit] == [f"compound:{i}" for i in before + after]
    details = [d for _, d in audit]
    for d in details:
        d.pop("name")
    assert details[: len(ORDER)] == details[len(ORDER) :]


def test_duplicates_within_and_before_the_call(empty_url: str, demo: dict[str, Report]) -> None:
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    nal, das = demo["naltrexone"], demo["dasatinib"]
    first = store.save(nal, url=empty_url)
    skipped = store.save_many([nal, das, das], url=empty_url)
    assert [(s.action, s.compound_id == first) for s in skipped] == [
        ("skipped", True),
        ("inserted", False),
        ("skipped", False),
    ]
    assert skipped[1].compound_id == skipped[2].compound_id
    replaced = store.save_many([das, nal], ["new name", None], "replace", url=empty_url)
    assert [s.action for s in replaced] == ["replaced", "replaced"]
    assert [s.compound_id for s in replaced] == [skipped[1].compound_id, first]
    again = store.get(skipped[1].compound_id, url=empty_url)
    assert again.name == "new name"
    pd.testing.assert_frame_equal(again.rows, das.rows)
    kept = store.save_many([nal, nal], on_duplicate="keep", url=empty_url)
    assert [s.action for s in kept] == ["inserted", "inserted"]
    assert store.list_compounds(url=empty_url).total == 4


def test_lengths_must_match(demo: dict[str, Report], tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="as many names"):
        store.save_many([demo["nothing"]], ["a", "b"], url=f"sqlite:///{tmp_path / 'x.sqlite'}")


def test_one_statement_writes_the_rows_of_every_report(
    empty_url: str, demo: dict[str, Report]
) -> None:
    """The rows of all reports of a call go in with one INSERT (fed by one COPY on
    PostgreSQL), their ids in report order and, within a report, in row order."""
    if empty_url.startswith("postgresql"):
        store.upgrade(empty_url)
    chosen = [demo[k] for k in ORDER]
    with counted(empty_url) as statements:
        saved = store.save_many(chosen, on_duplicate="keep", url=empty_url)
    assert sum(s.lstrip().startswith("INSERT INTO result_rows") for s in statements) == 1
    engine = sa.create_engine(empty_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT compound_id, molecule_chembl_id FROM result_rows ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    expected = [
        (s.compound_id, molecule)
        for s, report in zip(saved, chosen, strict=True)
        for molecule in report.rows.get("molecule_chembl_id", pd.Series(dtype=object))
    ]
    assert [tuple(r) for r in stored] == expected
