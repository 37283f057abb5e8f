"""What the services' observability costs: statement timing and JSON log lines.

1. Statement timing (``db_query_duration_seconds``): a throw-away PostgreSQL cluster
   (``tests/postgres.py``); N one-row statements (``SELECT id FROM compounds WHERE id = ...``)
   on an engine with impulator's SQLAlchemy event listeners and on a plain engine, in turn,
   R times each. Printed: microseconds per statement (median of R) and the ratio, next to
   the ratio of a second plain engine to the first (the noise floor of the run).
2. Log lines: N records (a runner's progress line) formatted to memory by the services'
   handler (the redacting filter and the JSON formatter) and by the standard library's plain
   formatter, R times; also lines holding a database URL whose password is hidden. Printed:
   microseconds per line (median of R) and the ratio.

Nothing is asserted on time.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_observability.py``.
Needs the PostgreSQL server binaries (``apt-get install postgresql``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/postgres.py: the ephemeral cluster of the test suite
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from benchmarks.bench_science import machine  # noqa: E402
from tests.postgres import PostgresCluster, find_bindir_or_say  # noqa: E402

import impulator  # noqa: E402
from impulator import _logs, store  # noqa: E402
from impulator.store import _metrics  # noqa: E402

STATEMENT = sa.text("SELECT id FROM compounds WHERE id = :id")
URL = "postgresql+psycopg://impulator_runner:s3cret@db.internal:5432/impulator"


def statements_seconds(engine: sa.Engine, count: int) -> float:
    """Seconds to run ``count`` one-row statements on one connection."""
    with engine.connect() as conn:
        started = time.perf_counter()
        for i in range(count):
            conn.execute(STATEMENT, {"id": i}).first()
        return time.perf_counter() - started


def measure_statements(url: str, count: int, repeats: int) -> dict[str, Any]:
    # A second plain engine shows the noise floor: two identical paths differ by this much.
    engines = {name: sa.create_engine(url, pool_size=1) for name in ("plain", "timed", "control")}
    _metrics.instrument(engines["timed"])
    for engine in engines.values():
        statements_seconds(engine, 50)  # warm the connections and statement caches
    runs: dict[str, list[float]] = {name: [] for name in engines}
    names = list(engines)
    for repeat in range(repeats):
        # A different order each time: a busy machine's slow spells fall on all three.
        for name in names[repeat % 3 :] + names[: repeat % 3]:
            runs[name].append(statements_seconds(engines[name], count))
    for engine in engines.values():
        engine.dispose()
    micro = {k: 1e6 * statistics.median(v) / count for k, v in runs.items()}
    return {
        "statements": count,
        "plain_us": round(micro["plain"], 2),
        "timed_us": round(micro["timed"], 2),
        "ratio": round(micro["timed"] / micro["plain"], 3),
        "control_ratio": round(micro["control"] / micro["plain"], 3),
    }


def lines_seconds(handler: logging.Handler, count: int, secret: bool = False) -> float:
    log = logging.getLogger("bench.observability")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    started = time.perf_counter()
    with _logs.log_context(job_id=42, user="alice"):
        if secret:
            for i in range(count):
                log.warning("job %s: compound %s: %s unavailable, retrying", 42, i, URL)
        else:
            for i in range(count):
                log.info("job %s: compound %s stored (%s of %s)", 42, i, i, count)
    return time.perf_counter() - started


def measure_lines(count: int, repeats: int) -> dict[str, Any]:
    def service() -> logging.Handler:
        handler = logging.StreamHandler(io.StringIO())
        handler.setFormatter(_logs.JsonFormatter())
        handler.addFilter(_logs.RedactingFilter())
        return handler

    def plain() -> logging.Handler:
        handler = logging.StreamHandler(io.StringIO())
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        return handler

    runs: dict[str, list[float]] = {"plain": [], "json": [], "json_url": []}
    for _ in range(repeats):
        runs["plain"].append(lines_seconds(plain(), count))
        runs["json"].append(lines_seconds(service(), count))
        runs["json_url"].append(lines_seconds(service(), count, secret=True))
    micro = {k: 1e6 * statistics.median(v) / count for k, v in runs.items()}
    return {
        "lines": count,
        "plain_us": round(micro["plain"], 2),
        "json_us": round(micro["json"], 2),
        "json_with_url_us": round(micro["json_url"], 2),
        "ratio": round(micro["json"] / micro["plain"], 3),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=5000, help="statements per run")
    parser.add_argument("--lines", type=int, default=20000, help="log lines per run")
    parser.add_argument("--repeats", type=int, default=9, help="runs of each (median)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if min(args.statements, args.lines, args.repeats) < 1:
        parser.error("--statements, --lines and --repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bindir = find_bindir_or_say()
    if bindir is None:
        return 1
    cluster = PostgresCluster(bindir).start()
    try:
        admin = cluster.create_database("impulator_bench_observability")
        store.upgrade(admin)
        statements = measure_statements(admin, args.statements, args.repeats)
    finally:
        cluster.stop()
    lines = measure_lines(args.lines, args.repeats)
    result = {
        "benchmark": "bench_observability",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "versions": {"impulator": impulator.__version__, "sqlalchemy": sa.__version__},
        "machine": machine(),
        "settings": {"repeats": args.repeats},
        "statement_timing": statements,
        "log_lines": lines,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    m, s, n = result["machine"], statements, lines
    print(f"impulator {impulator.__version__}; {m['cpu_count']} CPUs, Python {m['python']}")
    print(
        f"statement: plain {s['plain_us']:.1f} us, timed {s['timed_us']:.1f} us; "
        f"ratio {s['ratio']:.3f}x (median of {args.repeats}, {s['statements']:,} statements, "
        f"PostgreSQL on loopback); plain against plain {s['control_ratio']:.3f}x"
    )
    print(
        f"log line: plain {n['plain_us']:.1f} us, JSON redacted {n['json_us']:.1f} us; "
        f"ratio {n['ratio']:.2f}x (median of {args.repeats}, {n['lines']:,} lines); "
        f"with a database URL to hide {n['json_with_url_us']:.1f} us"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
