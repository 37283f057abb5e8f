"""How fast many compounds are exported: ``store.get_many`` against a ``store.get`` per compound.

Starts a throw-away PostgreSQL cluster (``tests/postgres.py``), migrates it, provisions a
chemist and saves, as that chemist, N compounds (default 1,000): a real report, naltrexone's
neighbourhood in the demo fixture (13 activity rows), under N names. Then, as the chemist
(row-level security on), in the same run, for CSV (``exports.compounds_csv``) and Excel
(``exports.compounds_excel``) of all N compounds:

- ``one by one``: the exports reading the selection as they used to, one ``store.get`` (one
  transaction, five queries) per compound;
- ``get_many``: the exports as they are, one transaction and five queries for the selection.

Also timed: reading the N compounds alone both ways (no file written). Printed: the median
seconds of R runs, the ratio one-by-one / get_many, and the SQL statements each path ran.
Nothing is asserted on time.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_exports.py --compounds 1000``.
Needs the PostgreSQL server binaries (``apt-get install postgresql``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/postgres.py: the ephemeral cluster of the test suite
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from benchmarks.bench_science import machine  # noqa: E402
from benchmarks.bench_store import real_report  # noqa: E402
from tests.postgres import PostgresCluster, find_bindir_or_say  # noqa: E402
from tests.statements import counted  # noqa: E402

import impulator  # noqa: E402
from impulator import exports, store  # noqa: E402
from impulator.store import _session  # noqa: E402

USER = "bench_exporter"
ROWS = 13  # naltrexone's neighbourhood in the demo fixture


def one_by_one(ids: Iterable[int], url: str | None = None) -> list[store.StoredCompound]:
    """The exports' old way of reading a selection: one ``store.get`` per compound."""
    return [store.get(i, url=url) for i in ids]


@contextmanager
def reading_one_by_one() -> Iterator[None]:
    """Inside the block, the exports read their selection one compound at a time."""
    new = store.get_many
    store.get_many = one_by_one  # type: ignore[assignment]  # exports call store.get_many
    try:
        yield
    finally:
        store.get_many = new  # type: ignore[assignment]


def timed(runs: int, work: Callable[[], Any]) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def fill(url: str, n: int) -> tuple[list[int], float]:
    """Save ``n`` copies of the demo report under their own names: (ids, seconds)."""
    with tempfile.TemporaryDirectory(prefix="impulator-bench-") as folder:
        report = real_report(Path(folder), ROWS)
    started = time.perf_counter()
    ids = [
        store.save(report, f"bench compound {i:05d}", on_duplicate="keep", url=url)
        for i in range(n)
    ]
    return ids, time.perf_counter() - started


def measure(url: str, ids: list[int], repeats: int) -> dict[str, Any]:
    """Seconds and statements of each path, for loading alone, CSV and Excel."""
    works: dict[str, Callable[[], Any]] = {
        "load": lambda: store.get_many(ids, url=url),
        "csv": lambda: exports.compounds_csv(ids, url),
        "excel": lambda: exports.compounds_excel(ids, url),
    }
    exports.compounds_csv(ids[:10], url)  # warm up: connections, catalogues, imports
    exports.compounds_excel(ids[:10], url)
    result: dict[str, Any] = {}
    for name, work in works.items():
        paths: dict[str, Any] = {}
        for path in ("one_by_one", "get_many"):
            with reading_one_by_one() if path == "one_by_one" else _nothing():
                with counted(url) as statements:
                    work()
                seconds = timed(repeats, work)
            paths[path] = {
                "seconds_median": round(statistics.median(seconds), 3),
                "seconds": [round(s, 3) for s in seconds],
                "statements": len(statements),
            }
        paths["ratio"] = round(
            paths["one_by_one"]["seconds_median"] / paths["get_many"]["seconds_median"], 2
        )
        result[name] = paths
    return result


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="exports of many compounds: get_many vs get")
    parser.add_argument("--compounds", type=int, default=1000, help="compounds (1,000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per path; medians")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    if args.compounds < 1 or args.repeats < 1:
        parser.error("--compounds and --repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bindir = find_bindir_or_say()
    if bindir is None:
        return 1
    cluster = PostgresCluster(bindir).start()
    try:
        admin = cluster.create_database("impulator_bench_exports")
        store.upgrade(admin)
        url = store.provision_user(USER, "chemist", ["bench_team"], url=admin)
        try:
            ids, fill_seconds = fill(url, args.compounds)
            measured = measure(url, ids, args.repeats)
        finally:
            _session.dispose()
    finally:
        cluster.stop()
    result = {
        "benchmark": "bench_exports",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "versions": {"impulator": impulator.__version__, "sqlalchemy": sa.__version__},
        "machine": machine(),
        "settings": {"compounds": args.compounds, "rows_each": ROWS, "repeats": args.repeats},
        "fill_seconds": round(fill_seconds, 2),
        **measured,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    m, n = result["machine"], args.compounds
    print(f"impulator {impulator.__version__}; {m['cpu_count']} CPUs, Python {m['python']}")
    print(
        f"saved {n:,} compounds of {ROWS} rows (naltrexone in the demo fixture, renamed) as a "
        f"chemist in {fill_seconds:.1f} s"
    )
    labels = {"load": "read alone", "csv": "CSV export", "excel": "Excel export"}
    for name, label in labels.items():
        r = measured[name]
        old, new = r["one_by_one"], r["get_many"]
        print(
            f"{label + ':':<14} one by one {old['seconds_median']:>7.3f} s "
            f"({old['statements']:,} statements), get_many {new['seconds_median']:>7.3f} s "
            f"({new['statements']:,} statements); ratio {r['ratio']:.1f}x "
            f"(median of {args.repeats}, {n:,} compounds)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
