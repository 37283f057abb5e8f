"""The REST API's latency under 50 concurrent clients, next to the same reads in the library.

Starts a throw-away PostgreSQL cluster (``tests/postgres.py``), migrates it, provisions a
chemist and the API's own login, and saves, as the chemist, N compounds (default 300: the demo
fixture's naltrexone report, 13 activity rows, under N names). Then, in the same run:

- ``api``: the API served by uvicorn in its own process on loopback (as the hub runs it:
  its own database login, ``SET LOCAL ROLE`` to the caller, the rate limiter counting every
  request in PostgreSQL), called by C concurrent clients (default 50; ``httpx.AsyncClient``,
  one connection each) with the chemist's token: ``GET /v1/compounds/{id}`` (a random
  compound) and ``GET /v1/compounds?page=P&limit=50`` (a random page);
- ``library``: the same reads through ``store.get`` and ``store.list_compounds`` with the
  chemist's own login, from C threads at once.

Each client makes R requests per kind (default 20). Printed: p50 and p95 latency (ms) and
requests/s for each kind and path, and the API's overhead as ratios API / library (latency)
and library / API (requests/s). With more clients than either path serves at once, latency
is mostly queueing, so the throughput ratio is the steadier measure of the API's own cost. The token
check is a stand-in that answers at once: JupyterHub's ``HubAuth`` keeps a checked token for
a minute, so the hub is asked once per token and minute, not per request. Nothing is asserted
on time.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_api.py --compounds 300``.
Needs the PostgreSQL server binaries (``apt-get install postgresql``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/postgres.py: the ephemeral cluster of the test suite
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from benchmarks.bench_exports import fill  # noqa: E402
from benchmarks.bench_science import machine  # noqa: E402
from tests.postgres import PostgresCluster, find_bindir_or_say  # noqa: E402

import impulator  # noqa: E402
from impulator import store  # noqa: E402
from impulator.store import _session  # noqa: E402

USER = "bench_api_chemist"
TOKEN = "bench-api-token"
PREFIX = "/services/impulator-api/"
PAGE = 50


def serve(port: int, database_url: str) -> None:
    """The API on uvicorn until killed; the bench token is the chemist's (write scope)."""
    import uvicorn

    from impulator.api import ApiSettings, create_app

    async def identify(token: str) -> dict[str, Any] | None:
        if token != TOKEN:
            return None
        return {"kind": "user", "name": USER, "scopes": ["custom:impulator:write"]}

    settings = ApiSettings(
        database_url=database_url,
        prefix=PREFIX,
        submits_per_minute=1_000_000,
        reads_per_minute=1_000_000,
        identify=identify,
    )
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_api(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """The API in its own process; returns it and its v1 address once it answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, sys.path)])}
    env.pop("IMPULATOR_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)],
        env={**env, "BENCH_API_DATABASE_URL": database_url},
    )
    base = f"http://127.0.0.1:{port}{PREFIX}v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API process exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the API did not answer within 60 s")


def percentiles(seconds: list[float], wall: float) -> dict[str, Any]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "per_second": round(len(ordered) / wall, 1),
    }


def api_latencies(
    base: str, clients: int, requests: int, paths: Callable[[random.Random], str]
) -> dict[str, Any]:
    """``clients`` concurrent clients, ``requests`` each, of the paths ``paths`` draws."""

    async def one_client(seed: int, seconds: list[float]) -> None:
        draw = random.Random(seed)
        headers = {"Authorization": f"token {TOKEN}"}
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(
            base_url=base + "/", headers=headers, timeout=120, limits=limits
        ) as client:
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(paths(draw))
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

    async def all_clients() -> list[float]:
        seconds: list[float] = []
        await asyncio.gather(*(one_client(seed, seconds) for seed in range(clients)))
        return seconds

    started = time.perf_counter()
    seconds = asyncio.run(all_clients())
    return percentiles(seconds, time.perf_counter() - started)


def library_latencies(
    clients: int, requests: int, call: Callable[[random.Random], Any]
) -> dict[str, Any]:
    """``clients`` threads at once, ``requests`` calls each."""
    seconds: list[float] = []
    lock = threading.Lock()

    def one_client(seed: int) -> None:
        draw = random.Random(seed)
        for _ in range(requests):
            started = time.perf_counter()
            call(draw)
            took = time.perf_counter() - started
            with lock:
                seconds.append(took)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one_client, range(clients)))
    return percentiles(seconds, time.perf_counter() - started)


def measure(
    user_url: str, api_url: str, ids: list[int], clients: int, requests: int
) -> dict[str, Any]:
    pages = max(1, -(-len(ids) // PAGE))
    process, base = start_api(api_url)
    try:
        result: dict[str, Any] = {}
        kinds: dict[str, tuple[Callable[[random.Random], str], Callable[[random.Random], Any]]] = {
            "get": (
                lambda d: f"compounds/{d.choice(ids)}",
                lambda d: store.get(d.choice(ids), url=user_url),
            ),
            "list": (
                lambda d: f"compounds?limit={PAGE}&page={d.randint(1, pages)}",
                lambda d: store.list_compounds(page=d.randint(1, pages), limit=PAGE, url=user_url),
            ),
        }
        for kind, (path, call) in kinds.items():
            api_latencies(base, clients, 2, path)  # warm up: connections, imports, caches
            library_latencies(clients, 2, call)
            api = api_latencies(base, clients, requests, path)
            library = library_latencies(clients, requests, call)
            result[kind] = {
                "api": api,
                "library": library,
                "overhead_p50": round(api["p50_ms"] / library["p50_ms"], 2),
                "overhead_p95": round(api["p95_ms"] / library["p95_ms"], 2),
                "overhead_throughput": round(library["per_second"] / api["per_second"], 2),
            }
        return result
    finally:
        process.terminate()
        process.wait(timeout=30)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="REST API latency against the library")
    parser.add_argument("--compounds", type=int, default=300, help="compounds stored (300)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--requests", type=int, default=20, help="requests per client and kind")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.compounds, args.clients, args.requests) < 1:
        parser.error("--compounds, --clients and --requests must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve, os.environ["BENCH_API_DATABASE_URL"])
        return 0
    bindir = find_bindir_or_say()
    if bindir is None:
        return 1
    cluster = PostgresCluster(bindir).start()
    try:
        admin = cluster.create_database("impulator_bench_api")
        store.upgrade(admin)
        user_url = store.provision_user(USER, "chemist", ["bench_team"], url=admin)
        api_url = store.provision_api("bench_api", url=admin)
        try:
            ids, fill_seconds = fill(user_url, args.compounds)
            measured = measure(user_url, api_url, ids, args.clients, args.requests)
        finally:
            _session.dispose()
    finally:
        cluster.stop()
    result = {
        "benchmark": "bench_api",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "versions": {"impulator": impulator.__version__, "httpx": httpx.__version__},
        "machine": machine(),
        "settings": {
            "compounds": args.compounds,
            "clients": args.clients,
            "requests_per_client": args.requests,
            "page": PAGE,
        },
        "fill_seconds": round(fill_seconds, 2),
        **measured,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    m = result["machine"]
    print(f"impulator {impulator.__version__}; {m['cpu_count']} CPUs, Python {m['python']}")
    print(
        f"{args.compounds:,} compounds of 13 rows saved as a chemist in {fill_seconds:.1f} s; "
        f"{args.clients} concurrent clients, {args.requests} requests each per kind"
    )
    labels = {"get": "get one compound", "list": f"list a page of {PAGE}"}
    for kind, label in labels.items():
        r = measured[kind]
        for path in ("api", "library"):
            p = r[path]
            print(
                f"{label}, {path + ':':<8} p50 {p['p50_ms']:>8.1f} ms, p95 {p['p95_ms']:>8.1f} ms, "
                f"{p['per_second']:>7.1f} requests/s ({p['requests']:,} requests)"
            )
        print(
            f"{label}, API overhead: p50 {r['overhead_p50']:.2f}x, p95 {r['overhead_p95']:.2f}x "
            f"the library; throughput {r['overhead_throughput']:.2f}x lower"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
