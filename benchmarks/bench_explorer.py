"""How fast the Explorer changes page over 10,000 stored compounds (the Python side).

Starts a throw-away PostgreSQL cluster (``tests/postgres.py``), migrates it, provisions a
chemist, and fills it with N compounds (default 10,000) owned by that chemist, with a few
result rows each, by COPY as the administrator (the compounds' structures are the 130 of the
demo fixture, each compound with its own InChIKey so that every page draws its depictions
afresh; scores, classes, MW, flags, targets and dates vary). Then, as the chemist (row-level
security on), for page sizes 25 and 50, median of R runs, each on a different page:

- ``list``: ``impulator.store.list`` alone (the in-run baseline: one count, one page query);
- ``page cold``: ``impulator.ui._explorer_data.load_page`` with an empty depiction cache
  (the list plus one RDKit depiction per row);
- ``page warm``: the same page again (depictions cached by InChIKey);
- ``widget``: ``ExplorerPage.go_to``: the above plus the row HTML and the widget updates
  (cold cache), what a click on Next costs the kernel.

Printed: milliseconds and each path's ratio to ``list``. Nothing is asserted on time.

Run: ``.venv/bin/python benchmarks/bench_explorer.py --compounds 10000 --repeats 5``.
Needs the PostgreSQL server binaries (``apt-get install postgresql``).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/postgres.py: the ephemeral cluster of the test suite
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from benchmarks.bench_science import machine  # noqa: E402
from tests.postgres import PostgresCluster, find_bindir_or_say  # noqa: E402

import impulator  # noqa: E402
from impulator import store  # noqa: E402
from impulator.store import _session  # noqa: E402
from impulator.ui import _explorer_data  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "chembl_demo_fixture.sqlite"
CLASSES = ("Exceptional IMP", "Strong IMP", "Moderate IMP", "Weak IMP", "Not IMP", None)
PAGE_SIZES = (25, 50)
USER = "bench_chemist"


def fixture_pool() -> tuple[list[str], list[tuple[str, str]]]:
    """The demo fixture's structures (SMILES) and targets (ChEMBL id, name)."""
    with sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True) as db:
        smiles = [r[0] for r in db.execute("SELECT canonical_smiles FROM compound_structures")]
        targets = list(db.execute("SELECT chembl_id, pref_name FROM target_dictionary"))
    return smiles, targets


def fill(admin_url: str, owner: str, n: int, seed: int = 7) -> float:
    """Insert ``n`` compounds of ``owner`` with 1-4 result rows each (COPY); seconds taken."""
    smiles, targets = fixture_pool()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    engine = sa.create_engine(admin_url)
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            columns = (
                "owner, query, parent_smiles, inchikey, chembl_id, name, provenance, summary, "
                "best_score, model_id, created_at, provenance_key, best_class, mw, n_rows, n_flags"
            )
            rows_per = [rng.randint(1, 4) for _ in range(n)]
            with cursor.copy(f"COPY compounds ({columns}) FROM STDIN") as copy:
                for i in range(n):
                    scored = rng.random() > 0.05
                    copy.write_row(
                        (
                            owner,
                            f"BENCH{i}",
                            smiles[i % len(smiles)],
                            f"BENCH{i:09d}XXXXX-UHFFFAOYSA-N",
                            f"CHEMBL{900000 + i}",
                            f"bench compound {i:05d}",
                            "{}",
                            "{}",
                            round(rng.random(), 4) if scored else None,
                            "oqpla-2",
                            now - timedelta(days=rng.randint(0, 40), seconds=i),
                            f"bench-{i}",
                            rng.choice(CLASSES[:-1]) if scored else None,
                            round(rng.uniform(120, 650), 2),
                            rows_per[i],
                            rng.choice((0, 0, 0, 1, 2)),
                        )
                    )
            cursor.execute("SELECT id FROM compounds WHERE owner = %s ORDER BY id", (owner,))
            ids = [r[0] for r in cursor.fetchall()][-n:]
            row_columns = (
                "owner, compound_id, molecule_chembl_id, target_chembl_id, standard_type, "
                "pactivity, final_score, classification, scoring_model, data"
            )
            with cursor.copy(f"COPY result_rows ({row_columns}) FROM STDIN") as copy:
                for compound_id, count in zip(ids, rows_per, strict=True):
                    for _ in range(count):
                        target, name = rng.choice(targets)
                        copy.write_row(
                            (
                                owner,
                                compound_id,
                                f"CHEMBL{rng.randint(1, 10**6)}",
                                target,
                                "IC50",
                                round(rng.uniform(4, 10), 2),
                                round(rng.random(), 4),
                                rng.choice(CLASSES[:-1]),
                                "oqpla-2",
                                json.dumps({"target_pref_name": name}),
                            )
                        )
            cursor.execute("ANALYZE compounds")
            cursor.execute("ANALYZE result_rows")
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return time.perf_counter() - started


def timed_ms(
    runs: int, full_pages: int, work: Callable[[int], Any], before: Callable[[int], Any]
) -> list[float]:
    """Milliseconds of ``work(page)`` on pages 1, 7, 13, ... (within the first
    ``full_pages``; ``before(page)`` runs untimed)."""
    seconds = []
    for run in range(runs):
        page = 1 + (6 * run) % full_pages
        before(page)
        started = time.perf_counter()
        work(page)
        seconds.append((time.perf_counter() - started) * 1000)
    return seconds


def measure(url: str, repeats: int, compounds: int) -> dict[str, Any]:
    """Milliseconds per page change of each path, for each page size."""
    from impulator.ui._explorer import ExplorerPage

    def cold(_page: int) -> None:
        _explorer_data._depictions.clear()

    def nothing(_page: int) -> None:
        pass

    store.list_compounds(limit=25, url=url)  # warm up: connections, catalogues, RDKit
    _explorer_data.load_page(limit=25, url=url)
    result: dict[str, Any] = {}
    for limit in PAGE_SIZES:

        def listed(page: int, limit: int = limit) -> Any:
            return store.list_compounds(page=page, limit=limit, url=url)

        def loaded(page: int, limit: int = limit) -> Any:
            return _explorer_data.load_page(page=page, limit=limit, url=url)

        explorer = ExplorerPage(url, limit=limit)
        full = max(1, compounds // limit)
        paths = {
            "list": timed_ms(repeats, full, listed, nothing),
            "page_cold": timed_ms(repeats, full, loaded, cold),
            "page_warm": timed_ms(repeats, full, loaded, loaded),  # drawn once, untimed
            "widget": timed_ms(repeats, full, explorer.go_to, cold),
        }
        assert explorer.data is not None and len(explorer.data.page.items) == limit
        base = statistics.median(paths["list"])
        result[str(limit)] = {
            name: {
                "ms_median": round(statistics.median(ms), 1),
                "ms": [round(m, 1) for m in ms],
                "ratio_to_list": round(statistics.median(ms) / base, 2),
            }
            for name, ms in paths.items()
        }
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Explorer page change over many compounds")
    parser.add_argument("--compounds", type=int, default=10_000, help="compounds (10,000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per path; medians")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    if args.compounds < 100 or args.repeats < 1:
        parser.error("--compounds must be at least 100 and --repeats at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bindir = find_bindir_or_say()
    if bindir is None:
        return 1
    cluster = PostgresCluster(bindir).start()
    try:
        admin = cluster.create_database("impulator_bench_explorer")
        store.upgrade(admin)
        url = store.provision_user(USER, "chemist", ["bench_team"], url=admin)
        fill_seconds = fill(admin, USER, args.compounds)
        try:
            measured = measure(url, args.repeats, args.compounds)
        finally:
            _session.dispose()
    finally:
        cluster.stop()
    result = {
        "benchmark": "bench_explorer",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "versions": {"impulator": impulator.__version__, "sqlalchemy": sa.__version__},
        "machine": machine(),
        "settings": {"compounds": args.compounds, "repeats": args.repeats},
        "fill_seconds": round(fill_seconds, 2),
        "pages": measured,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    m = result["machine"]
    print(f"impulator {impulator.__version__}; {m['cpu_count']} CPUs, Python {m['python']}")
    print(f"filled {args.compounds:,} compounds (COPY) in {fill_seconds:.1f} s")
    labels = {
        "list": "store.list alone",
        "page_cold": "load_page, depictions drawn",
        "page_warm": "load_page, depictions cached",
        "widget": "ExplorerPage.go_to (cold)",
    }
    for limit, paths in measured.items():
        print(f"page of {limit} rows (median of {args.repeats}):")
        for name, r in paths.items():
            print(
                f"  {labels[name] + ':':<31} {r['ms_median']:>8.1f} ms  "
                f"({r['ratio_to_list']:.1f}x store.list)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
