"""Exports of many compounds: one set of queries for the whole selection, whatever its size,
and the same files as reading the compounds one by one with ``store.get``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

import pytest

from impulator import exports, store
from impulator.pipeline import Report
from tests.postgres import PostgresCluster
from tests.statements import counted
from tests.ui.widgets import new_database, save_reports

KEYS = ("naltrexone", "dasatinib", "testosterone", "apomorphine", "nothing")
COPIES = 25


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def many(
    request: pytest.FixtureRequest,
    demo: dict[str, Report],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, list[int]]:
    """A store of 30 compounds (the five demo reports, 25 named copies): (url, ids)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('many') / 'impulator.sqlite'}"
    else:
        postgres: PostgresCluster = request.getfixturevalue("postgres")
        url = new_database(postgres, "impulator_exports_many")
    ids = list(save_reports(demo, KEYS, url).values())
    for i in range(COPIES):
        ids.append(store.save(demo["naltrexone"], f"copy {i:02d}", on_duplicate="keep", url=url))
    return url, ids


def one_by_one(compound_ids: Iterable[int], url: str | None = None) -> list[Any]:
    """What exports did before ``get_many``: one ``store.get`` per compound."""
    found = []
    for i in compound_ids:
        with suppress(store.CompoundNotFound):
            found.append(store.get(i, url=url))
    return found


def _sheets(xlsx: bytes) -> dict[str, bytes]:
    """The workbook's parts, but the creation time."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        return {n: book.read(n) for n in book.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("build", [exports.compounds_csv, exports.compounds_excel])
def test_the_statements_do_not_grow_with_the_selection(
    many: tuple[str, list[int]], build: Any
) -> None:
    url, ids = many
    build(ids[:1], url)  # warm up: the schema check and the connection
    counts = []
    for chosen in (ids[:3], ids[:30]):
        with counted(url) as statements:
            build(chosen, url)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 8, counts
    with counted(url) as statements:
        for i in ids[:30]:
            store.get(i, url=url)
    assert len(statements) >= 30 * 5  # the old way: a set of queries per compound


def test_the_files_are_those_of_reading_one_by_one(
    many: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ids = many
    order = [*ids[5:], *reversed(ids[:5])]
    new = (exports.compounds_csv(order, url), exports.compounds_excel(order, url))
    new_sdf, new_proto = exports.compounds_sdf(order, url), exports.prototype_csv(order, url)
    with pytest.raises(exports.CompoundNotFound, match="no compound 999999"):
        exports.compounds_csv([ids[0], 999_999], url)
    monkeypatch.setattr(store, "get_many", one_by_one)
    old = (exports.compounds_csv(order, url), exports.compounds_excel(order, url))
    assert new[0] == old[0]
    assert _sheets(new[1]) == _sheets(old[1])
    assert new_sdf == exports.compounds_sdf(order, url)
    assert new_proto == exports.prototype_csv(order, url)
