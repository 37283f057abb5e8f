"""How fast result rows reach PostgreSQL: ``store.save``'s COPY path against the plain ORM.

Starts a throw-away PostgreSQL cluster (``tests/postgres.py``: initdb, a free loopback port,
removed afterwards), migrates it, and inserts the same N result rows (default 10,000: a real
report's rows, naltrexone's neighbourhood in the demo fixture, repeated) into one compound,
in the same run:

- ``copy``: what ``store.save`` does: COPY into a temporary staging table, then one
  ``INSERT ... SELECT`` into ``result_rows`` (row-level security refuses COPY into it);
- ``orm``: plain SQLAlchemy ORM, ``session.add_all(ResultRow(...))`` and ``commit``
  (SQLAlchemy 2 batches these INSERTs, "insertmanyvalues");
- ``orm-per-row`` (``--per-row``): the ORM with one INSERT per row, as SQLAlchemy 1.x did.

Each path starts from the DataFrame and ends committed; rows/s are medians of R runs, and the
COPY/ORM ratio is printed next to the reference in ``baselines/bench_store.json``
(``--update-reference`` rewrites it). Also printed: a whole ``store.save`` of the N-row report,
a chunk of 10 real reports stored by 10 ``store.save`` calls against one ``store.save_many``
(one transaction, their rows in one COPY, as the job runner stores a chunk),
and the CPU seconds each path costs this process (encoding, the driver) and the PostgreSQL
backend that serves it (parsing, JSONB, compression, indexes, foreign keys), read from
``/proc``: on a machine busy with other work the wall-clock rates move, the CPU seconds less.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_store.py --rows 10000 --repeats 3``.
Needs the PostgreSQL server binaries (``apt-get install postgresql``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/postgres.py: the ephemeral cluster of the test suite
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from benchmarks.bench_science import machine, read_reference  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from tests.postgres import PostgresCluster, find_bindir_or_say  # noqa: E402

import impulator  # noqa: E402
from impulator import store  # noqa: E402
from impulator.pipeline import Report, analyze  # noqa: E402
from impulator.sources import ChemblDatabase  # noqa: E402
from impulator.store import _save, _session  # noqa: E402
from impulator.store._rows import TYPED_COLUMNS, row_records  # noqa: E402

REFERENCE_JSON = ROOT / "benchmarks" / "baselines" / "bench_store.json"
FIXTURE = ROOT / "tests" / "data" / "chembl_demo_fixture.sqlite"


def real_report(folder: Path, rows: int) -> Report:
    """Naltrexone's neighbourhood (13 real rows) from the demo fixture, repeated to ``rows``."""
    shutil.copy(FIXTURE, folder / "chembl.sqlite")
    source = ChemblDatabase(f"sqlite:///{folder / 'chembl.sqlite'}")
    source.build_index(folder / "chembl.h5")
    source = ChemblDatabase(f"sqlite:///{folder / 'chembl.sqlite'}", folder / "chembl.h5")
    report = analyze("CHEMBL19019", source=source, similarity=0.4, pdb=False)
    repeats = -(-rows // len(report.rows))
    table = pd.concat([report.rows] * repeats, ignore_index=True).iloc[:rows]
    summary = {**report.summary, "rows": rows}
    return Report(
        report.query, report.structure, table.reset_index(drop=True), summary, report.provenance
    )


#: CPU seconds of the PostgreSQL backend of each run, per path (``/proc/PID/stat``).
SERVER_CPU: dict[str, list[float]] = {}


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def copy_path(url: str, compound_id: int, frame: pd.DataFrame) -> None:
    """store.save's way: COPY into a staging table, INSERT ... SELECT (one transaction)."""
    with _session.transaction(url, "benchmark", write=True) as tx:
        pid = int(tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        started = process_cpu(pid)
        _save.write_rows(tx, tx.owner, compound_id, row_records(frame))
    SERVER_CPU.setdefault("copy", []).append(process_cpu(pid) - started)


def orm_path(engine: sa.Engine, compound_id: int, frame: pd.DataFrame) -> None:
    """The plain ORM: one ResultRow object per row, add_all, commit."""
    records = row_records(frame)
    objects = [
        store.ResultRow(
            owner="postgres",
            compound_id=compound_id,
            **dict(zip(TYPED_COLUMNS, typed, strict=True)),
            data=data,
        )
        for typed, data in zip(records.typed(), records.data(), strict=True)
    ]
    with Session(engine) as session:
        pid = int(session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        started = process_cpu(pid)
        session.add_all(objects)
        session.commit()
    SERVER_CPU.setdefault("orm", []).append(process_cpu(pid) - started)


#: CPU seconds of this process for each run, per path.
CLIENT_CPU: dict[str, list[float]] = {}


def timed(
    runs: int, work: Callable[[], None], reset: Callable[[], None], name: str = ""
) -> list[float]:
    seconds = []
    for _ in range(runs):
        reset()
        started, cpu = time.perf_counter(), time.process_time()
        work()
        seconds.append(time.perf_counter() - started)
        CLIENT_CPU.setdefault(name, []).append(time.process_time() - cpu)
    return seconds


def rates(rows: int, seconds: list[float], name: str = "") -> dict[str, Any]:
    per_second = [rows / s for s in seconds]
    client = statistics.median(CLIENT_CPU.get(name) or [float("nan")])
    server = statistics.median(SERVER_CPU.get(name, [])[-len(seconds) :] or [float("nan")])
    return {
        "rows_per_s_median": round(statistics.median(per_second), 1),
        "rows_per_s_min": round(min(per_second), 1),
        "rows_per_s_max": round(max(per_second), 1),
        "seconds": [round(s, 3) for s in seconds],
        "cpu_client_s": round(client, 3),
        "cpu_server_s": round(server, 3),
    }


#: Compounds in the chunk of the save_many line (the job runner's chunks are of this order).
CHUNK = 10


def chunk_seconds(
    url: str, report: Report, repeats: int, reset: Callable[[], None]
) -> dict[str, list[float]]:
    """A chunk of CHUNK real reports (13 rows each): CHUNK ``store.save`` calls (a transaction
    and a COPY each) against one ``store.save_many`` (one transaction, one COPY)."""
    one = Report(report.query, report.structure, report.rows.iloc[:13], report.summary)
    chunk = [one] * CHUNK

    def separately() -> None:
        for r in chunk:
            store.save(r, on_duplicate="keep", url=url)

    def together() -> None:
        store.save_many(chunk, on_duplicate="keep", url=url)

    return {
        "saves": [round(s, 4) for s in timed(repeats, separately, reset)],
        "save_many": [round(s, 4) for s in timed(repeats, together, reset)],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="result rows/s: COPY path against the ORM")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per run (10,000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per path; medians")
    parser.add_argument(
        "--per-row", action="store_true", help="also the ORM with one INSERT per row (slow)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--update-reference",
        action="store_true",
        help=f"write this run to {REFERENCE_JSON.relative_to(ROOT)}",
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats must be at least 1")
    return args


def measure(url: str, report: Report, args: argparse.Namespace) -> dict[str, Any]:
    engine = sa.create_engine(url)
    single = sa.create_engine(url, use_insertmanyvalues=False)
    try:
        one_row = Report(report.query, report.structure, report.rows.iloc[:1])
        compound_id = store.save(one_row, url=url)

        def reset() -> None:
            with engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE result_rows"))

        frame, n = report.rows, len(report.rows)
        copy_path(url, compound_id, frame.iloc[:100])  # warm up: connections, catalogues
        orm_path(engine, compound_id, frame.iloc[:100])
        copy_seconds = timed(
            args.repeats, lambda: copy_path(url, compound_id, frame), reset, "copy"
        )
        orm_seconds = timed(
            args.repeats, lambda: orm_path(engine, compound_id, frame), reset, "orm"
        )
        result: dict[str, Any] = {
            "copy": rates(n, copy_seconds, "copy"),
            "orm": rates(n, orm_seconds, "orm"),
        }
        if args.per_row:
            per_row = timed(args.repeats, lambda: orm_path(single, compound_id, frame), reset)
            result["orm_per_row"] = rates(n, per_row)
        reset()

        def save_again() -> None:
            store.save(report, on_duplicate="keep", url=url)

        result["save_seconds"] = [round(s, 3) for s in timed(args.repeats, save_again, reset)]
        result["chunk"] = chunk_seconds(url, report, args.repeats, reset)
        with engine.connect() as conn:
            result["postgresql"] = conn.execute(sa.text("SHOW server_version")).scalar()
        return result
    finally:
        _session.dispose()
        engine.dispose()
        single.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bindir = find_bindir_or_say()
    if bindir is None:
        return 1
    with tempfile.TemporaryDirectory(prefix="impulator-bench-") as folder:
        report = real_report(Path(folder), args.rows)
    cluster = PostgresCluster(bindir).start()
    try:
        url = cluster.create_database("impulator_bench")
        store.upgrade(url)
        measured = measure(url, report, args)
    finally:
        cluster.stop()

    ratio = measured["copy"]["rows_per_s_median"] / measured["orm"]["rows_per_s_median"]
    copy, orm = measured["copy"], measured["orm"]
    cpu_ratio = (orm["cpu_client_s"] + orm["cpu_server_s"]) / (
        copy["cpu_client_s"] + copy["cpu_server_s"]
    )
    reference = read_reference(REFERENCE_JSON)
    result: dict[str, Any] = {
        "benchmark": "bench_store",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "versions": {
            "impulator": impulator.__version__,
            "postgresql": measured.pop("postgresql"),
            "sqlalchemy": sa.__version__,
            "psycopg": psycopg.__version__,
        },
        "machine": machine(),
        "settings": {
            "rows": args.rows,
            "columns": len(report.rows.columns),
            "repeats": args.repeats,
        },
        **measured,
        "ratio": round(ratio, 2),
        "cpu_ratio": round(cpu_ratio, 2),
        "reference_ratio": reference.get("ratio") if reference else None,
    }
    if args.update_reference:
        stored = {k: v for k, v in result.items() if k != "reference_ratio"}
        REFERENCE_JSON.parent.mkdir(parents=True, exist_ok=True)
        REFERENCE_JSON.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    report_lines(result, reference, args)
    return 0


def _rate_line(name: str, r: dict[str, Any], rows: int) -> str:
    return (
        f"{name + ':':<13} {r['rows_per_s_median']:>10,.0f} rows/s (median of "
        f"{len(r['seconds'])}, min-max {r['rows_per_s_min']:,.0f}-{r['rows_per_s_max']:,.0f}); "
        f"{rows:,} rows in {statistics.median(r['seconds']):.2f} s"
    )


def report_lines(
    result: dict[str, Any], reference: dict[str, Any] | None, args: argparse.Namespace
) -> None:
    v, m, rows = result["versions"], result["machine"], args.rows
    print(
        f"impulator {v['impulator']}, PostgreSQL {v['postgresql']}, SQLAlchemy "
        f"{v['sqlalchemy']}, psycopg {v['psycopg']}"
    )
    print(f"machine: {m['cpu_count']} CPUs, {m['platform']}, Python {m['python']}")
    print(
        f"rows: {rows:,} result rows of {result['settings']['columns']} columns "
        "(naltrexone's neighbourhood in the demo fixture, repeated)"
    )
    print(_rate_line("copy", result["copy"], rows))
    print(_rate_line("orm", result["orm"], rows))
    if "orm_per_row" in result:
        print(_rate_line("orm-per-row", result["orm_per_row"], rows))
    for name in ("copy", "orm"):
        r = result[name]
        print(
            f"{name + ' cpu:':<13} {r['cpu_client_s']:.2f} s this process + "
            f"{r['cpu_server_s']:.2f} s PostgreSQL backend (medians)"
        )
    print(
        f"ratio: {result['ratio']:.1f}x (COPY path vs ORM add_all; goal: 5x or more); "
        f"CPU seconds: {result['cpu_ratio']:.1f}x"
    )
    save = result["save_seconds"]
    print(
        f"save: store.save of the {rows:,}-row report in {statistics.median(save):.2f} s "
        f"(median of {len(save)})"
    )
    chunk = result["chunk"]
    separately, together = (statistics.median(chunk[k]) for k in ("saves", "save_many"))
    print(
        f"chunk: {CHUNK} reports of 13 rows: {CHUNK} store.save {separately * 1000:.0f} ms, "
        f"one store.save_many {together * 1000:.0f} ms ({separately / together:.1f}x; medians)"
    )
    if reference and isinstance(reference.get("ratio"), int | float):
        ref_machine = reference.get("machine", {})
        print(
            f"reference ratio: {reference['ratio']:.1f}x ({reference.get('date', '?')}, "
            f"{ref_machine.get('cpu_count', '?')} CPUs; {REFERENCE_JSON.relative_to(ROOT)})"
        )
    else:
        print(f"reference ratio: none ({REFERENCE_JSON.relative_to(ROOT)} is missing)")
    if args.update_reference:
        print(f"wrote {REFERENCE_JSON.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
