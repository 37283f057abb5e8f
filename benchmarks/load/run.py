"""The platform under load: the local platform, simulated chemists, a report; all in one command.

    .venv/bin/python benchmarks/load/run.py --users 100 --minutes 3
    make load LOAD_ARGS="--users 200 --minutes 1"

What it does, bounded in count and time and on loopback only:

1. starts the local platform (``hub/launch.py up``: PostgreSQL, JupyterHub and its proxy, the
   job runner, the REST API and the Dask Gateway) in a fresh folder, with
   ``hub_config.py`` giving the simulated accounts a lighter server (``light_server.py``);
2. creates ``--users`` accounts (``load-0001``...) in the chemists' group through the hub's
   admin API;
3. runs ``locustfile.py`` headless for ``--minutes`` while sampling, every 2 s, PostgreSQL's
   connections (``pg_stat_activity``), the hub's and the proxy's memory (RSS) and the job
   queue;
4. waits (at most ``--drain-minutes``) for the queued batches to finish: the drain time;
5. stops everything (``hub/launch.py down``) and deletes the folder;
6. prints the report (``--json``: as JSON too, into a file).

Nothing here passes or fails on speed; the numbers are for docs/kubernetes.md's sizing.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import random
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LAUNCHER = REPO / "hub" / "launch.py"
BIN = Path(sys.executable).parent
PREFIX = "load-"
SAMPLE_EVERY = 2.0
V1 = "/services/impulator-api/v1"
#: Rows of the report, in this order (others follow).
KINDS = [
    "hub: login form",
    "hub: log in",
    "hub: new token",
    "hub: start server",
    "hub: server status",
    "server: first page",
    "api: list compounds",
    "api: open compound",
    "api: submit batch",
    "api: poll job",
    "server: dashboard page",
]


# ------------------------------------------------------------------ pure parts (tested)


@dataclass
class Kind:
    """One row of locust's statistics: a request kind."""

    name: str
    count: int
    failures: int
    per_s: float
    p50: float
    p95: float
    p99: float


def read_stats(text: str) -> tuple[list[Kind], Kind | None]:
    """Locust's ``*_stats.csv``: the request kinds (report order) and the aggregated row."""
    kinds: list[Kind] = []
    total = None
    for row in csv.DictReader(io.StringIO(text)):

        def number(column: str, row: dict[str, str] = row) -> float:
            value = row.get(column) or "0"
            return 0.0 if value == "N/A" else float(value)

        kind = Kind(
            name=row["Name"],
            count=int(number("Request Count")),
            failures=int(number("Failure Count")),
            per_s=number("Requests/s"),
            p50=number("50%"),
            p95=number("95%"),
            p99=number("99%"),
        )
        if row["Name"] == "Aggregated":
            total = kind
        else:
            kinds.append(kind)
    order = {name: i for i, name in enumerate(KINDS)}
    kinds.sort(key=lambda k: (order.get(k.name, len(order)), k.name))
    return kinds, total


def read_failures(text: str) -> list[tuple[str, str, int]]:
    """Locust's ``*_failures.csv``: (request kind, error, occurrences), most frequent first."""
    rows = [
        (row["Name"], row["Error"], int(row["Occurrences"]))
        for row in csv.DictReader(io.StringIO(text))
    ]
    return sorted(rows, key=lambda r: -r[2])


@dataclass
class Sample:
    """What the sampler saw at one moment (seconds since the load started)."""

    at: float
    connections: int
    by_login: dict[str, int]
    hub_rss_mb: float
    proxy_rss_mb: float
    unfinished_jobs: int
    stored: int


def peaks(samples: list[Sample]) -> dict[str, Any]:
    """The peaks of a run's samples: connections (and whose), the hub's memory, the queue."""
    if not samples:
        return {}
    top = max(samples, key=lambda s: s.connections)
    return {
        "connections_peak": top.connections,
        "connections_peak_by_login": dict(sorted(top.by_login.items(), key=lambda kv: -kv[1])),
        "connections_median": statistics.median(s.connections for s in samples),
        "hub_rss_mb_start": round(samples[0].hub_rss_mb, 1),
        "hub_rss_mb_peak": round(max(s.hub_rss_mb for s in samples), 1),
        "hub_rss_mb_end": round(samples[-1].hub_rss_mb, 1),
        "proxy_rss_mb_peak": round(max(s.proxy_rss_mb for s in samples), 1),
        "unfinished_jobs_peak": max(s.unfinished_jobs for s in samples),
    }


def login_group(login: str) -> str:
    """A database login as the report groups it (one line for all simulated users)."""
    return "users (load-*)" if login.startswith(PREFIX) else login


def format_report(result: dict[str, Any]) -> str:
    """The human report of one run (``result`` as ``main`` builds it)."""
    lines = [
        f"load: {result['users']} users for {result['seconds']:.0f} s on {result['machine']}",
        f"{'request kind':<24}{'count':>8}{'fail':>6}{'req/s':>8}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'p99 ms':>9}",
    ]
    for k in result["kinds"] + ([result["total"]] if result["total"] else []):
        lines.append(
            f"{k['name']:<24}{k['count']:>8}{k['failures']:>6}{k['per_s']:>8.1f}"
            f"{k['p50']:>9.0f}{k['p95']:>9.0f}{k['p99']:>9.0f}"
        )
    total = result["total"] or {"count": 0, "failures": 0}
    lines.append(f"errors: {total['failures']} of {total['count']} requests")
    for name, error, n in result["failures"][:8]:
        lines.append(f"  {n:>6} x {name}: {error[:120]}")
    p = result["peaks"]
    if p:
        lines.append(
            f"PostgreSQL connections: peak {p['connections_peak']} of max_connections "
            f"{result['max_connections']} (median {p['connections_median']}); at the peak: "
            + ", ".join(f"{k} {v}" for k, v in p["connections_peak_by_login"].items())
        )
        lines.append(
            f"hub RSS: {p['hub_rss_mb_start']} MB at start, peak {p['hub_rss_mb_peak']} MB, "
            f"{p['hub_rss_mb_end']} MB at the end; proxy peak {p['proxy_rss_mb_peak']} MB"
        )
    drain = result["drain"]
    lines.append(
        f"jobs: {drain['submitted']} batches submitted ({drain['compounds_stored']} compounds "
        f"stored); unfinished at the load's end {drain['unfinished_at_end']}, "
        + (
            f"queue drained {drain['seconds']:.0f} s after the load"
            if drain["drained"]
            else f"NOT drained after {drain['seconds']:.0f} s ({drain['unfinished']} left)"
        )
    )
    lines.append(f"runner: {drain['stored_per_s']:.2f} compounds stored per second over the run")
    return "\n".join(lines)


# ------------------------------------------------------------------ the platform


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    """What ran it: cores, memory, load average (the machine may be shared)."""
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        memory = f"{int(first.split()[1]) / 2**20:.0f} GiB"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, {memory}, load average {load} before the run"


def demo_smiles(path: Path, n: int = 600, seed: int = 20261205) -> list[str]:
    """``n`` demo ChEMBL structures with activities, in a fixed-seed order."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT cs.canonical_smiles FROM compound_structures cs WHERE EXISTS "
            "(SELECT 1 FROM activities a WHERE a.molregno = cs.molregno) ORDER BY cs.molregno"
        ).fetchall()
    smiles = [str(r[0]) for r in rows if r[0] and len(str(r[0])) < 120]
    random.Random(seed).shuffle(smiles)
    return smiles[:n]


@contextlib.contextmanager
def local_platform(home: Path, env: dict[str, str]) -> Iterator[str]:
    """``hub/launch.py up`` in ``home`` until the hub and the API answer; ``down`` after."""
    import httpx

    base = f"http://127.0.0.1:{env['IMPULATOR_HUB_PORT']}"
    log = open(home / "launcher.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, LAUNCHER, "up"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 600
        for url in (f"{base}/hub/health", f"{base}{V1}/health"):
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"the launcher exited:\n{(home / 'launcher.log').read_text()}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"the platform did not answer within 600 s ({url})")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url, timeout=5).status_code == 200:
                        break
                time.sleep(0.5)
        yield base
    finally:
        subprocess.run(
            [sys.executable, LAUNCHER, "down"], env=env, check=False, timeout=300, stdout=log
        )
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=60)
        if proc.poll() is None:
            proc.kill()
        log.close()


def create_accounts(base: str, admin_password: str, n: int) -> list[str]:
    """``n`` simulated chemists, made through the hub's admin API (as the ``admin`` account)."""
    import httpx

    names = [f"{PREFIX}{i:04d}" for i in range(1, n + 1)]
    with httpx.Client(base_url=base, timeout=120) as client:

        def xsrf() -> str:
            jar = client.cookies.jar
            return next(str(c.value) for c in jar if c.name == "_xsrf" and c.path == "/hub/")

        client.get("/hub/login").raise_for_status()
        form = {"username": "admin", "password": admin_password, "_xsrf": xsrf()}
        if client.post("/hub/login", data=form).status_code != 302:
            raise SystemExit("the admin could not log in")
        made = client.post(
            "/hub/api/users/admin/tokens",
            json={"note": "load scenario accounts", "expires_in": 3600},
            headers={"X-XSRFToken": xsrf()},
        )
        made.raise_for_status()
        headers = {"Authorization": f"token {made.json()['token']}"}
        for start in range(0, n, 100):
            chunk = names[start : start + 100]
            client.post(
                "/hub/api/users", json={"usernames": chunk}, headers=headers
            ).raise_for_status()
            client.post(
                "/hub/api/groups/impulator-chemists/users",
                json={"users": chunk},
                headers=headers,
            ).raise_for_status()
    return names


def rss_mb(pid_file: Path) -> float:
    """The resident memory of the process in ``pid_file`` (0 when it is gone)."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text().split()[0])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Sampler:
    """Samples the platform every ``SAMPLE_EVERY`` seconds in a thread."""

    home: Path
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self) -> str:
        port = (self.home / "pg" / "port").read_text().strip()
        return f"host={self.home / 'pg' / 'run'} port={port} dbname=impulator user=postgres"

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url()) as conn:
            return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]

    def sample(self) -> Sample:
        logins = self.query(
            "SELECT coalesce(usename, backend_type), count(*) FROM pg_stat_activity "
            "WHERE datname IS NOT NULL AND pid <> pg_backend_pid() GROUP BY 1"
        )
        by_login: dict[str, int] = {}
        for login, n in logins:
            key = login_group(str(login))
            by_login[key] = by_login.get(key, 0) + int(n)
        jobs = self.query(
            "SELECT (SELECT count(*) FROM jobs WHERE parent_job_id IS NULL AND status IN "
            "('queued', 'processing')), (SELECT count(*) FROM compounds)"
        )[0]
        return Sample(
            at=time.monotonic() - self.started,
            connections=sum(by_login.values()),
            by_login=by_login,
            hub_rss_mb=rss_mb(self.home / "hub.pid"),
            proxy_rss_mb=rss_mb(self.home / "hub" / "jupyterhub-proxy.pid"),
            unfinished_jobs=int(jobs[0]),
            stored=int(jobs[1]),
        )

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_EVERY):
            with contextlib.suppress(Exception):  # a sample lost under load is only a gap
                self.samples.append(self.sample())

    def __enter__(self) -> Sampler:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def run_locust(
    base: str, env: dict[str, str], users: int, rate: float, seconds: int, out: Path
) -> None:
    """The scenario, headless; its statistics in ``out``_stats.csv and _failures.csv."""
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        base,
        "--csv",
        str(out),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with open(f"{out}.log", "w") as log:
        subprocess.run(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 600
        )


def drain(sampler: Sampler, limit: float) -> tuple[bool, float, int]:
    """Wait until no batch is queued or running (at most ``limit`` s): (drained, s, left)."""
    started = time.monotonic()
    left = -1
    while time.monotonic() - started < limit:
        with contextlib.suppress(Exception):
            left = sampler.sample().unfinished_jobs
            if left == 0:
                return True, time.monotonic() - started, 0
        time.sleep(SAMPLE_EVERY)
    return False, time.monotonic() - started, left


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100, help="simulated users (default 100)")
    parser.add_argument("--minutes", type=float, default=3.0, help="load time (default 3)")
    parser.add_argument(
        "--spawn-rate", type=float, default=2.0, help="users started per second (default 2)"
    )
    parser.add_argument(
        "--drain-minutes", type=float, default=10.0, help="most to wait for the queue (10)"
    )
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    parser.add_argument(
        "--logs", type=Path, help="copy the hub's, the launcher's and locust's logs here"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 1000 or not 0 < args.minutes <= 30:
        parser.error("--users 1-1000 and --minutes up to 30 (the run is bounded)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO / "kernel_pkg"))
    from impulator.config import get_settings

    seconds = int(args.minutes * 60)
    seen_machine = machine()
    home = Path(tempfile.mkdtemp(prefix="impulator-load-"))
    home.chmod(0o755)  # PostgreSQL runs as 'postgres' when we are root
    password, admin_password = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMPULATOR_", "DASK_"))}
    env.update(
        IMPULATOR_HUB_HOME=str(home),
        IMPULATOR_HUB_PORT=str(free_port()),
        IMPULATOR_DATA_DIR=str(get_settings().data_dir),
        IMPULATOR_PDB_SOURCE="ccd",
        IMPULATOR_OFFLINE="1",
        IMPULATOR_DEMO_PASSWORD=password,
        IMPULATOR_DEMO_ADMIN_PASSWORD=admin_password,
        IMPULATOR_HUB_EXTRA_CONFIG=str(HERE / "hub_config.py"),
        IMPULATOR_LOAD_PREFIX=PREFIX,
    )
    smiles_file = home / "smiles.txt"
    smiles_file.write_text("\n".join(demo_smiles(get_settings().demo_database)) + "\n")
    try:
        with local_platform(home, env) as base:
            create_accounts(base, admin_password, args.users)
            max_connections = Sampler(home).query("SHOW max_connections")[0][0]
            locust_env = {
                **env,
                "IMPULATOR_LOAD_PASSWORD": password,
                "IMPULATOR_LOAD_SMILES": str(smiles_file),
            }
            out = home / "locust"
            with Sampler(home) as sampler:
                run_locust(base, locust_env, args.users, args.spawn_rate, seconds, out)
                ended = sampler.sample()
                drained, drain_s, left = drain(sampler, args.drain_minutes * 60)
                final = sampler.sample()
            submitted = sampler.query("SELECT count(*) FROM jobs WHERE parent_job_id IS NULL")
            kinds, total = read_stats(Path(f"{out}_stats.csv").read_text())
            failures = read_failures(Path(f"{out}_failures.csv").read_text())
            hub_log_tail = (home / "hub" / "jupyterhub.log").read_text()[-3000:]
    finally:
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            logs = (home / "hub" / "jupyterhub.log", home / "launcher.log", home / "locust.log")
            for log in logs:
                with contextlib.suppress(OSError):
                    shutil.copy(log, args.logs / log.name)
        shutil.rmtree(home, ignore_errors=True)
    result: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "users": args.users,
        "seconds": seconds,
        "spawn_rate": args.spawn_rate,
        "machine": seen_machine,
        "python": platform.python_version(),
        "max_connections": int(max_connections),
        "kinds": [vars(k) for k in kinds],
        "total": vars(total) if total else None,
        "failures": failures,
        "peaks": peaks(sampler.samples),
        "drain": {
            "submitted": int(submitted[0][0]),
            "unfinished_at_end": ended.unfinished_jobs,
            "drained": drained,
            "seconds": drain_s,
            "unfinished": left,
            "compounds_stored": final.stored,
            "stored_per_s": final.stored / max(final.at, 1.0),
        },
    }
    print(format_report(result))
    if total is None or total.failures:
        print("hub log, last lines:\n" + hub_log_tail[-1500:])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
