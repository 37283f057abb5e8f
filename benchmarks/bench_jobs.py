"""compounds/s of durable batch jobs (``impulator runner``) on 1 and 2 Dask workers, stored per
chunk and per compound (the earlier path), against a serial analyze loop in the same run.

Starts a throw-away PostgreSQL cluster (``tests/postgres.py``), and for each worker count a
fresh database in it (migrated; a chemist and a runner login provisioned), so nothing one path
stored is found by the next. On the demo ChEMBL of the data directory (built on first use,
as ``bench_batch.py`` finds it), for N distinct demo compounds with activities (fixed-seed
sample, the same sets as ``bench_batch.py``; default 1,000) it prints:

- serial: ``[impulator.analyze(s) for s in smiles]`` in this process (the in-run baseline);
- runner, 1 worker, then 2 workers: the chemist submits the N compounds as one job
  (``impulator.jobs.submit``, validation and queueing, timed apart), then
  ``impulator.jobs.Runner(...).run(once=True)`` on a LocalCluster of that many worker
  processes (``impulator.batch.open_client("local", workers=N)``) claims it, scores it on
  the workers, which also prepare the rows to store (``store.prepare_report``), and stores
  each chunk in one transaction as the chemist: the rate is N / the runner's time;
- per compound, 1 worker, then 2 workers: the same on the same cluster with
  ``Runner(per_compound=True)``, the earlier path (workers return whole reports, the runner
  computes the rows and stores each compound in its own transaction), on another set of N
  compounds (a set stored before would be skipped as duplicates, and warm the workers);
- the speed-up from 1 to 2 workers of each path (the target is 1.7x or better on 2 cores),
  chunks against per compound, each against the serial loop, and how each runner's time
  splits: storing (in the runner's own thread), analysis (``analyze`` on the workers, summed
  over workers), how busy the workers were, and CPU seconds of the workers, the runner's
  process, PostgreSQL and the machine's other processes (on a shared machine they take
  cores from the workers: the 2-worker speed-up is only comparable when they are near 0).

Every path is warmed first on other compounds (imports, sources, the PDB dictionary, the
runner's connections), so the rates compare steady states. The data directory's structure
file (``cache/structures-*.sqlite``) and CCD InChIKey file, which the workers share, are
filled for every compound set before the runner paths start (the serial loop fills them for
the chunk path's sets, then an untimed loop over the per-compound path's sets), so neither
path finds files the other one warmed. With ``--repeats R`` each path
runs R times, run ``r`` of every path on the same ``r``-th set of N compounds, a set no
earlier run has seen; the rates are medians. Absolute rates depend on the machine; the ratios
are what to compare with the reference in ``baselines/bench_jobs.json``
(``--update-reference`` rewrites it).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_jobs.py --limit 300`` (about 2
minutes on 2 cores; the default 1,000 compounds take about 4-5). Needs the PostgreSQL server
binaries (``apt-get install postgresql``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/postgres.py, and bench_batch.py's compound sets
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from benchmarks.bench_batch import (  # noqa: E402
    PathResult,
    demo_compounds,
    format_path,
    read_reference,
    serial,
)
from benchmarks.bench_batch import parse_args as batch_arguments  # noqa: E402
from tests.postgres import PostgresCluster, find_bindir_or_say  # noqa: E402

import impulator  # noqa: E402
from impulator import jobs, store  # noqa: E402
from impulator.batch import chunk_size_for, open_client  # noqa: E402
from impulator.config import get_settings  # noqa: E402
from impulator.jobs import Runner  # noqa: E402
from impulator.jobs._runner import Scored  # noqa: E402
from impulator.sources import ChemblDatabase, open_source  # noqa: E402
from impulator.store import _session  # noqa: E402

REFERENCE_JSON = ROOT / "benchmarks" / "baselines" / "bench_jobs.json"
WIDTH = 25  # "per compound, 2 workers:"


class TimedRunner(Runner):
    """A runner that adds up the time it spends storing, and the workers' analysis times."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store_seconds = 0.0
        self.analysis_seconds = 0.0

    def _store(
        self,
        lease: Any,
        on_duplicate: str,
        result: Scored,
        children: list[Any],
        retries: int,
    ) -> None:
        started = time.perf_counter()
        try:
            super()._store(lease, on_duplicate, result, children, retries)
        finally:
            self.store_seconds += time.perf_counter() - started
        if result.analyzed:
            self.analysis_seconds += result.seconds

    def _store_chunk(
        self, lease: Any, on_duplicate: str, scored: list[tuple[Scored, list[Any], int]]
    ) -> None:
        started = time.perf_counter()
        try:
            super()._store_chunk(lease, on_duplicate, scored)
        finally:
            self.store_seconds += time.perf_counter() - started
        self.analysis_seconds += sum(r.seconds for r, _, _ in scored if r.analyzed)


@dataclass
class Split:
    """Where one runner run's time went: wall-clock times of the runner's thread and of the
    workers' analyses, and CPU seconds of the workers, this process and PostgreSQL."""

    wall: float
    storing: float
    analysis: float
    workers: int
    cpu: dict[str, float | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "runner_s": round(self.wall, 2),
            "storing_s": round(self.storing, 2),
            "analysis_worker_s": round(self.analysis, 2),
            "workers_busy": round(self.analysis / (self.wall * self.workers), 3),
            "cpu_s": {k: None if v is None else round(v, 2) for k, v in self.cpu.items()},
        }


def postgres_cpu(cluster: PostgresCluster) -> float | None:
    """CPU seconds of the PostgreSQL server so far: the postmaster, its live children and
    the children it has reaped (Linux ``/proc``; None elsewhere)."""
    try:
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == postmaster:  # its own time and that of the children it reaped
                total += sum(int(f) for f in fields[11:15])
            elif ppid == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, ValueError, IndexError):
        return None


def machine_cpu() -> float | None:
    """CPU seconds all processes of the machine spent so far (Linux ``/proc/stat``: user,
    nice, system, irq, softirq, steal; None elsewhere)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_now(client: Any, cluster: PostgresCluster) -> dict[str, float | None]:
    """CPU seconds so far of the Dask workers (summed), of this process (the runner's thread,
    its heartbeats, the LocalCluster's scheduler and the client), of PostgreSQL, and of the
    whole machine (what other processes took from the cores shows as the difference)."""
    workers = client.run(time.process_time)
    return {
        "workers": float(sum(workers.values())),
        "runner_process": time.process_time(),
        "postgresql": postgres_cpu(cluster),
        "machine": machine_cpu(),
    }


def cpu_since(
    before: dict[str, float | None], after: dict[str, float | None]
) -> dict[str, float | None]:
    spent: dict[str, float | None] = {}
    for key, start in before.items():
        end = after[key]
        spent[key] = None if start is None or end is None else end - start
    return spent


@dataclass
class JobsPath:
    """A runner path: its rates, plus the submit times and the time splits of its runs."""

    result: PathResult
    submit_seconds: list[float] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)

    def split(self) -> Split:
        """The split of the median run (by runner time)."""
        ordered = sorted(self.splits, key=lambda s: s.wall)
        return ordered[(len(ordered) - 1) // 2]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.result.as_dict(),
            "submit_s": [round(s, 2) for s in self.submit_seconds],
            "split_of_median_run": self.split().as_dict(),
        }


class Platform:
    """A fresh database in ``cluster`` with a chemist and a runner login."""

    def __init__(self, cluster: PostgresCluster, name: str) -> None:
        self.cluster = cluster
        self.admin = cluster.create_database(name)
        store.upgrade(self.admin)
        self.chemist = store.provision_user("bench_chemist", "chemist", url=self.admin)
        self.runner = store.provision_runner("bench_runner", url=self.admin)


def run_job(
    platform: Platform,
    client: Any,
    workers: int,
    smiles: list[str],
    options: dict[str, Any],
    **runner_options: Any,
) -> tuple[float, Split]:
    """Submit ``smiles`` as one job and run it to its end; the submit's seconds and the
    runner's :class:`Split`."""
    started = time.perf_counter()
    job = jobs.submit(smiles, url=platform.chemist, **options)
    submitted = time.perf_counter() - started
    runner = TimedRunner(platform.runner, cluster=client, name="bench", **runner_options)
    cpu = cpu_now(client, platform.cluster)
    started = time.perf_counter()
    processed = runner.run(once=True)
    seconds = time.perf_counter() - started
    cpu = cpu_since(cpu, cpu_now(client, platform.cluster))
    state = job.status()
    if processed != 1 or state.status != "completed" or state.stored != len(smiles):
        print(
            f"  job {job.id}: {state.status}, {state.stored} of {len(smiles)} stored, "
            f"{state.failed} failed ({state.error_message})",
            flush=True,
        )
    split = Split(seconds, runner.store_seconds, runner.analysis_seconds, workers, cpu)
    return submitted, split


def on_runner(
    workers: int,
    platform: Platform,
    warm: list[str],
    sets: list[list[str]],
    today_sets: list[list[str]],
    options: dict[str, Any],
) -> tuple[JobsPath, JobsPath]:
    """Both paths on one cluster, run ``r`` of each one after the other: per chunk (on
    ``sets``) and per compound (on ``today_sets``)."""
    label = "1 worker" if workers == 1 else f"{workers} workers"
    chunks = JobsPath(PathResult(f"runner, {label}", len(sets[0]), []))
    today = JobsPath(PathResult(f"per compound, {label}", len(sets[0]), []))
    with open_client("local", workers=workers) as client:
        started = time.perf_counter()
        # One compound per task, so every worker warms up (imports, sources, the PDB
        # dictionary); the runner's connections and the store's code paths warm up too.
        half = max(1, len(warm) // 2)
        run_job(platform, client, workers, warm[:half], options, chunk_size=1)
        run_job(platform, client, workers, warm[half:], options, per_compound=True)
        warmup_s = time.perf_counter() - started
        for chosen, earlier in zip(sets, today_sets, strict=True):
            for path, compounds, per_compound in ((chunks, chosen, False), (today, earlier, True)):
                submitted, split = run_job(
                    platform, client, workers, compounds, options, per_compound=per_compound
                )
                path.result.rates.append(len(compounds) / split.wall)
                path.submit_seconds.append(submitted)
                path.splits.append(split)
    for path in (chunks, today):
        path.result.note = (
            f"chunk size {chunk_size_for(len(sets[0]), workers)}; submit "
            f"{statistics.median(path.submit_seconds):.1f} s, cluster start and warm-up "
            f"{warmup_s:.1f} s for both paths (not in the rates)"
        )
    return chunks, today


def format_split(path: JobsPath) -> list[str]:
    s, n = path.split(), path.result.compounds
    label = path.result.name.removeprefix("runner, ")
    other = s.wall - s.storing
    ours = {k: v for k, v in s.cpu.items() if k != "machine"}
    machine = s.cpu.get("machine")
    if machine is not None and None not in ours.values():
        ours["other processes"] = max(0.0, machine - sum(v or 0.0 for v in ours.values()))
    cpu = ", ".join(
        f"{name.replace('_', ' ')} {'n/a' if v is None else f'{v:.1f} s'}"
        for name, v in ours.items()
    )
    return [
        f"time split, {label}: {s.wall:.1f} s in the runner: storing {s.storing:.1f} s "
        f"({100 * s.storing / s.wall:.0f}%, {1000 * s.storing / n:.0f} ms a compound), waiting "
        f"for the workers and the rest {other:.1f} s ({100 * other / s.wall:.0f}%); analysis "
        f"on the workers {s.analysis:.1f} worker-s ({1000 * s.analysis / n:.0f} ms a compound), "
        f"workers busy {100 * s.analysis / (s.wall * s.workers):.0f}% of the time",
        f"cpu, {label}: {cpu}; of {s.wall * (os.cpu_count() or 1):.1f} core-s "
        f"({os.cpu_count()} CPUs x {s.wall:.1f} s)",
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    return batch_arguments(
        argv, doc=__doc__ or "", limit=1000, warmup=6, repeats=1, reference=REFERENCE_JSON
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bindir = find_bindir_or_say()
    if bindir is None:
        return 1
    source = open_source(get_settings())
    assert isinstance(source, ChemblDatabase), "the benchmark runs on a local ChEMBL"
    warm, both = demo_compounds(source, args.limit, args.warmup, 2 * args.repeats)
    sets, today_sets = both[::2], both[1::2]
    options: dict[str, Any] = {"pdb": False} if args.no_pdb else {}

    base = serial(warm, sets, options)
    # The serial loop filled the data directory's structure file (and the CCD InChIKey file)
    # for the chunk path's compounds and their neighbours; the same for the per-compound
    # path's, so both runner paths read the same warm files, whichever runs first.
    started = time.perf_counter()
    for chosen in today_sets:
        for smiles in chosen:
            impulator.analyze(smiles, **options)
    cache_fill_s = time.perf_counter() - started
    cluster = PostgresCluster(bindir).start()
    try:
        one, one_today = on_runner(
            1, Platform(cluster, "bench_jobs_1"), warm, sets, today_sets, options
        )
        two, two_today = on_runner(
            2, Platform(cluster, "bench_jobs_2"), warm, sets, today_sets, options
        )
        engine = sa.create_engine(cluster.url())
        with engine.connect() as conn:
            server = str(conn.execute(sa.text("SHOW server_version")).scalar())
        engine.dispose()
    finally:
        _session.dispose()
        cluster.stop()

    speedup = two.result.median / one.result.median
    speedup_today = two_today.result.median / one_today.result.median
    one_gain = one.result.median / one_today.result.median
    two_gain = two.result.median / two_today.result.median
    reference = read_reference(REFERENCE_JSON)
    result: dict[str, Any] = {
        "benchmark": "bench_jobs",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "versions": {"impulator": impulator.__version__, "postgresql": server},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "source": source.name,
        "settings": {"limit": args.limit, "repeats": args.repeats, "pdb": not args.no_pdb},
        "cache_fill_s": round(cache_fill_s, 1),
        "serial": base.as_dict(),
        "runner_1_worker": one.as_dict(),
        "runner_2_workers": two.as_dict(),
        "per_compound_1_worker": one_today.as_dict(),
        "per_compound_2_workers": two_today.as_dict(),
        "speedup_1_to_2_workers": round(speedup, 2),
        "per_compound_speedup_1_to_2_workers": round(speedup_today, 2),
        "chunks_vs_per_compound": {"1_worker": round(one_gain, 2), "2_workers": round(two_gain, 2)},
        "two_workers_vs_serial": round(two.result.median / base.median, 2),
    }
    if args.update_reference:
        REFERENCE_JSON.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"impulator {impulator.__version__}; {source.name}; PostgreSQL {server}; "
        f"{os.cpu_count()} CPUs; {platform.platform()}"
    )
    for rates in (base, one.result, two.result, one_today.result, two_today.result):
        print(format_path(rates, WIDTH))
    print(
        f"caches: the structure and CCD files of the data directory filled for every "
        f"compound set before the runner paths (serial loop, then {cache_fill_s:.1f} s more "
        "for the per-compound sets), so both paths read warm files whichever runs first"
    )
    print(
        f"speed-up 1 -> 2 workers: {speedup:.2f}x (target 1.7x or better on 2 cores); "
        f"1 worker vs serial: {one.result.median / base.median:.2f}x; "
        f"2 workers vs serial: {two.result.median / base.median:.2f}x"
    )
    print(
        f"per chunk vs per compound: 1 worker {one_gain:.2f}x, 2 workers {two_gain:.2f}x "
        f"(target 2x); per compound: speed-up 1 -> 2 workers {speedup_today:.2f}x"
    )
    for runs in (one, two, one_today, two_today):
        print("\n".join(format_split(runs)))
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
