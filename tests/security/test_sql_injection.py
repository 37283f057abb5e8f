"""SQL injection through every text input of the library and the command line, on the real
PostgreSQL with two users: no message shows SQL or driver text, no row of the other user
appears, the tables are intact afterwards, and the server never saw a syntax error (every
value travelled as a bound parameter).

Alice (group "team") and Bob (group "rivals") each own compounds; Alice's are named with the
payloads themselves. Everything runs as Alice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pandas as pd
import pytest

from impulator import chem, store
from impulator.cli import main
from impulator.pipeline import Report
from impulator.store import _session
from tests.hostile_inputs import SQL
from tests.postgres import PostgresCluster
from tests.ui.widgets import new_platform, sql

#: What a message may never show (the payload itself, echoed back, is removed first).
LEAKS = ("select", "insert into", "delete from", "psycopg", "sqlalchemy", "[sql:", "sqlstate")
TABLES = ("compounds", "users", "groups", "jobs", "result_rows", "compound_shares", "audit_log")


@pytest.fixture(scope="module")
def platform(postgres: PostgresCluster) -> Iterator[dict[str, Any]]:
    started = time.monotonic()
    log_start = postgres.log.stat().st_size
    urls = new_platform(
        postgres,
        "impulator_sqli",
        {"alice": ("alice", "chemist", ["team"]), "bob": ("bob", "chemist", ["rivals"])},
    )
    ethanol = Report("CCO", chem.standardize("CCO"), pd.DataFrame())
    alice = [store.save(ethanol, name=p, on_duplicate="keep", url=urls["alice"]) for p in SQL]
    bob = store.save(ethanol, name="bob-secret", url=urls["bob"])
    _session.dispose()
    counts = {t: sql(urls["admin"], f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
    print(f"\nSQL injection platform: {time.monotonic() - started:.1f} s")
    yield {"urls": urls, "alice": alice, "bob": bob, "counts": counts, "log_start": log_start}
    _session.dispose()


def _clean(message: str, payload: str) -> None:
    shown = message.replace(payload, "<payload>").lower()
    leaked = [word for word in LEAKS if word in shown]
    assert not leaked, f"{leaked} in {message!r}"


def _refused_or_empty(call: Callable[[], Any], payload: str) -> Any:
    """Run ``call``: its result, or None when it refused with a clean message."""
    try:
        return call()
    except (ValueError, LookupError, PermissionError) as exc:
        _clean(str(exc), payload)
        assert "\n" not in str(exc)
        return None


@pytest.mark.parametrize("payload", SQL)
def test_library_text_inputs(platform: dict[str, Any], payload: str) -> None:
    url = platform["urls"]["alice"]
    bob = platform["bob"]
    mine = set(platform["alice"])

    found = store.search(payload, url=url)
    assert set(found["id"]) <= mine and bob not in set(found["id"])
    assert set(found["owner"]) <= {"alice"}
    # The payload is a name Alice saved: found as that text, nothing more.
    assert payload in set(found["name"])

    filter_sets: list[dict[str, Any]] = [
        {"text": payload},
        {"target": payload},
        {"model": payload},
        {"classes": [payload]},
        {"classes": payload},
        {"min_score": payload},
        {"max_mw": payload},
        {payload: 1},
    ]
    for filters in filter_sets:
        page = _refused_or_empty(partial(store.list_compounds, filters, url=url), payload)
        if page is not None:
            assert set(page.items["owner"]) <= {"alice"} and bob not in set(page.items["id"])
    assert _refused_or_empty(lambda: store.list_compounds(sort=payload, url=url), payload) is None
    sort = "-" + payload
    assert _refused_or_empty(lambda: store.list_compounds(sort=sort, url=url), payload) is None

    first = platform["alice"][0]
    assert _refused_or_empty(lambda: store.share(first, payload, url=url), payload) is None
    assert _refused_or_empty(lambda: store.unshare(first, payload, url=url), payload) is None
    assert store.get(first, url=url).shared_with == []


def test_a_nul_byte_in_text_inputs_is_refused_or_finds_nothing(platform: dict[str, Any]) -> None:
    """PostgreSQL text holds no NUL: each input still gets an answer, not a database error."""
    url, first, payload = platform["urls"]["alice"], platform["alice"][0], "^\x00f"
    assert _refused_or_empty(lambda: store.share(first, payload, url=url), payload) is None
    assert _refused_or_empty(lambda: store.unshare(first, payload, url=url), payload) is None
    found = _refused_or_empty(lambda: store.search(payload, url=url), payload)
    assert found is None or found.empty
    for filters in ({"text": payload}, {"target": payload}, {"classes": [payload]}):
        page = _refused_or_empty(partial(store.list_compounds, filters, url=url), payload)
        assert page is None or page.items.empty


def test_saved_names_come_back_as_text(platform: dict[str, Any]) -> None:
    url = platform["urls"]["alice"]
    names = [store.get(i, url=url).name for i in platform["alice"]]
    assert names == SQL
    page = store.list_compounds(limit=50, url=url)
    assert page.total == len(SQL) and set(page.items["owner"]) == {"alice"}


@pytest.mark.parametrize("payload", SQL)
def test_command_line_text_inputs(
    platform: dict[str, Any],
    payload: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IMPULATOR_DATABASE_URL", platform["urls"]["alice"])
    first = str(platform["alice"][0])
    for argv in (
        ["compounds", "list", "--json", "--search", payload],
        ["compounds", "list", "--json", "--target", payload],
        ["compounds", "list", "--json", "--class", payload],
        ["compounds", "list", f"--sort={payload}"],
        ["compounds", "share", first, payload],
        ["compounds", "unshare", first, payload],
        ["compounds", "show", payload],
        ["descriptors", payload],
    ):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: an id that is not a number
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        assert code in (0, 2), (argv, code, err)
        _clean(err, payload)
        if code == 0:
            assert "bob-secret" not in out and '"owner": "bob"' not in out
        else:
            assert len(err.strip().splitlines()) <= 2, err  # argparse: usage line and error


def test_tables_are_intact_and_the_server_saw_no_sql_error(
    platform: dict[str, Any], postgres: PostgresCluster
) -> None:
    admin = platform["urls"]["admin"]
    counts = {t: sql(admin, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
    assert counts == platform["counts"]
    assert sql(admin, "SELECT count(*) FROM compounds WHERE owner = 'bob'")[0][0] == 1
    with postgres.log.open("rb") as handle:
        handle.seek(platform["log_start"])
        log = handle.read().decode("utf-8", "replace")
    assert "syntax error" not in log
    assert not [p for p in SQL if p in log], "a payload reached the server as SQL text"
