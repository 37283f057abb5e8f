"""compounds/s of batch scoring on Dask, against a serial analyze loop in the same run.

Prints, for N distinct demo compounds with activities (fixed-seed sample; default 200):

- serial: ``[impulator.analyze(s) for s in smiles]`` in this process (the in-run baseline);
- ``impulator.batch.score`` on a LocalCluster of 1 worker, then of 2 workers (processes, one
  thread each), end to end: validation, chunking, scheduling, reports sent back, one table;
- the speed-up from 1 to 2 workers, and each against the serial loop.

Every path is warmed first on other compounds (imports, sources, the PDB dictionary), so the
rates compare steady states; each is the median of ``--repeats`` runs, run ``r`` of every path
on the same ``r``-th set of N compounds, a set no earlier run has seen (analyze keeps
per-process caches: re-scoring one set would measure the caches). Absolute rates depend
on the machine (and on what else it runs); the ratios are what to compare with the reference
in ``baselines/bench_batch.json`` (``--update-reference`` rewrites it).

Run: ``.venv/bin/python benchmarks/bench_batch.py --limit 200``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the other benchmarks' helpers
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from benchmarks.bench_science import read_reference  # noqa: E402

import impulator  # noqa: E402
from impulator.batch import open_client, read_batch, score  # noqa: E402
from impulator.config import get_settings  # noqa: E402
from impulator.pipeline import analyze  # noqa: E402
from impulator.sources import ChemblDatabase, open_source  # noqa: E402

REFERENCE_JSON = ROOT / "benchmarks" / "baselines" / "bench_batch.json"
SEED = 20261129


@dataclass
class PathResult:
    name: str
    compounds: int
    rates: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    def as_dict(self) -> dict[str, Any]:
        return {
            "compounds": self.compounds,
            "median_per_s": round(self.median, 2),
            "rates_per_s": [round(r, 2) for r in self.rates],
            "note": self.note,
        }


def demo_compounds(
    source: ChemblDatabase, n: int, warmup: int, repeats: int
) -> tuple[list[str], list[list[str]]]:
    """``warmup`` compounds, and ``repeats`` disjoint sets of ``n``: distinct parents (by
    InChIKey) of demo compounds with activities, in a fixed-seed order."""
    with source.engine.connect() as conn:
        smiles = [
            str(s)
            for (s,) in conn.execute(
                sa.text(
                    "SELECT cs.canonical_smiles FROM compound_structures cs WHERE EXISTS "
                    "(SELECT 1 FROM activities a WHERE a.molregno = cs.molregno) "
                    "ORDER BY cs.molregno"
                )
            )
        ]
    random.Random(SEED).shuffle(smiles)
    needed = warmup + n * repeats
    rows = read_batch(smiles[: 2 * needed + 20], max_rows=10**9, max_bytes=10**12).rows
    distinct = list({r.inchikey: r.query for r in rows}.values())
    if len(distinct) < needed:
        raise SystemExit(
            f"the source has only {len(distinct)} usable compounds for {needed}; "
            "lower --limit or --repeats"
        )
    sets = [distinct[warmup + i * n : warmup + (i + 1) * n] for i in range(repeats)]
    return distinct[:warmup], sets


def timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def serial(warm: list[str], sets: list[list[str]], options: dict[str, Any]) -> PathResult:
    for smiles in warm:
        analyze(smiles, **options)
    rates = []
    for chosen in sets:
        seconds = timed(lambda chosen=chosen: [analyze(s, **options) for s in chosen])
        rates.append(len(chosen) / seconds)
    return PathResult("serial analyze", len(sets[0]), rates)


def on_dask(
    workers: int, warm: list[str], sets: list[list[str]], options: dict[str, Any]
) -> PathResult:
    with open_client("local", workers=workers) as client:
        started = time.perf_counter()
        # Each worker warms up on its own share (imports, sources, the PDB dictionary).
        score(warm * workers, client, progress=False, chunk_size=1, **options)
        warmup_s = time.perf_counter() - started
        rates, chunk = [], 0
        for chosen in sets:
            started = time.perf_counter()
            table = score(chosen, client, progress=False, **options)
            rates.append(len(chosen) / (time.perf_counter() - started))
            chunk = table.attrs["summary"]["chunk_size"]
            failed = table.attrs["errors"]
            if len(failed):
                print(f"  {len(failed)} compounds failed: {failed['reason'].iloc[0]}", flush=True)
    label = "1 worker" if workers == 1 else f"{workers} workers"
    note = f"chunk size {chunk}; cluster start and warm-up {warmup_s:.1f} s (not in the rates)"
    return PathResult(f"dask, {label}", len(sets[0]), rates, note)


def format_path(result: PathResult, width: int = 16) -> str:
    return (
        f"{result.name + ':':<{width}} {result.median:7.2f} compounds/s (median of "
        f"{len(result.rates)}, min-max {min(result.rates):.2f}-{max(result.rates):.2f}); "
        f"{result.compounds} compounds{'; ' + result.note if result.note else ''}"
    )


def parse_args(
    argv: list[str] | None,
    *,
    doc: str = __doc__ or "",
    limit: int = 200,
    warmup: int = 5,
    repeats: int = 3,
    reference: Path = REFERENCE_JSON,
) -> argparse.Namespace:
    """The options of the compound benchmarks (this one and bench_jobs.py, with its defaults)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=limit, help=f"compounds (default {limit})")
    parser.add_argument("--warmup", type=int, default=warmup, help="warm-up compounds per path")
    parser.add_argument("--repeats", type=int, default=repeats, help="runs per path (median)")
    parser.add_argument("--no-pdb", action="store_true", help="analyze(..., pdb=False)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--update-reference",
        action="store_true",
        help=f"write this run to {reference.relative_to(ROOT)}",
    )
    args = parser.parse_args(argv)
    for option in ("limit", "warmup", "repeats"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    source = open_source(get_settings())
    assert isinstance(source, ChemblDatabase), "the benchmark runs on a local ChEMBL"
    warm, sets = demo_compounds(source, args.limit, args.warmup, args.repeats)
    options: dict[str, Any] = {"pdb": False} if args.no_pdb else {}

    base = serial(warm, sets, options)
    one = on_dask(1, warm, sets, options)
    two = on_dask(2, warm, sets, options)
    speedup = two.median / one.median
    reference = read_reference(REFERENCE_JSON)
    result: dict[str, Any] = {
        "benchmark": "bench_batch",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "versions": {"impulator": impulator.__version__},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "source": source.name,
        "settings": {"limit": args.limit, "repeats": args.repeats, "pdb": not args.no_pdb},
        "serial": base.as_dict(),
        "dask_1_worker": one.as_dict(),
        "dask_2_workers": two.as_dict(),
        "speedup_1_to_2_workers": round(speedup, 2),
        "two_workers_vs_serial": round(two.median / base.median, 2),
    }
    if args.update_reference:
        REFERENCE_JSON.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"impulator {impulator.__version__}; {source.name}; {os.cpu_count()} CPUs; "
        f"{platform.platform()}"
    )
    for path in (base, one, two):
        print(format_path(path))
    print(
        f"speed-up 1 -> 2 workers: {speedup:.2f}x; 1 worker vs serial: "
        f"{one.median / base.median:.2f}x; 2 workers vs serial: {two.median / base.median:.2f}x"
    )
    ref = (reference or {}).get("speedup_1_to_2_workers")
    where = REFERENCE_JSON.relative_to(ROOT)
    if isinstance(ref, int | float):
        machine = (reference or {}).get("machine", {})
        print(
            f"reference speed-up 1 -> 2 workers: {ref:.2f}x ({(reference or {}).get('date')}, "
            f"{machine.get('cpu_count', '?')} CPUs; {where})"
        )
    else:
        print(f"reference speed-up 1 -> 2 workers: none ({where} is missing)")
    if args.update_reference:
        print(f"wrote {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
