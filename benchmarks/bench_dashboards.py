"""First-render seconds of every dashboard in Chromium, against a bare Voila page.

Starts a throw-away PostgreSQL cluster (``tests/postgres.py``), a chemist with a few stored
compounds and a finished batch, and standalone Voila over ``dashboards/`` with the chemist's
own login (as a user's server does). Each page is opened R times in a fresh Chromium page;
the time is from ``goto`` to the page's frame (``.impulator-page``) being drawn with its
content. The baseline, measured in the same run, is a one-cell notebook that prints a line:
Voila's own cost (a kernel, the page, the widget manager). Ratios to it are what compare
across machines; seconds are printed too.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_dashboards.py --repeats 3``.
Needs the PostgreSQL server binaries and Debian's chromium (``make test`` installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/postgres.py: the ephemeral cluster of the test suite
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from benchmarks.bench_science import machine  # noqa: E402
from tests.postgres import PostgresCluster, find_bindir  # noqa: E402

from impulator import jobs, store  # noqa: E402
from impulator.pipeline import analyze  # noqa: E402

BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
FIXTURE = ROOT / "tests" / "data" / "chembl_demo_fixture.sqlite"
#: Page -> (query string, selector that means "drawn with its content").
PAGES = {
    "Home": ("", ".impulator-recent-compounds"),
    "Analyze": ("", ".impulator-page"),
    "Batch": ("", ".impulator-page"),
    "Jobs": ("", ".impulator-page"),
    "Explorer": ("", ".impulator-page"),
    "Compound": ("id=1", ".impulator-page"),
    "Analytics": ("", ".impulator-page"),
}
BASELINE = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "bare",
            "metadata": {},
            "outputs": [],
            "source": "print('impulator-baseline')",
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def data_dir(folder: Path) -> Path:
    """The demo fixture as the data directory (its similarity index built once)."""
    from impulator.sources import ChemblDatabase

    demo = folder / "demo"
    demo.mkdir(parents=True)
    shutil.copy(FIXTURE, demo / "chembl_demo.sqlite")
    ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}").build_index(demo / "chembl_demo.h5")
    return folder


@contextlib.contextmanager
def voila(root: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """Standalone Voila over ``root``; yields its base URL."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(BIN / "voila"),
                str(root),
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base, timeout=2).status_code < 500:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"voila did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def render_seconds(browser: object, url: str, selector: str, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        started = time.monotonic()
        page.goto(url, timeout=180_000)
        page.wait_for_selector(selector, timeout=180_000)
        times.append(time.monotonic() - started)
        page.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    bindir = find_bindir()
    if bindir is None or not Path(CHROMIUM).exists():
        print("bench_dashboards: needs the PostgreSQL server binaries and /usr/bin/chromium")
        return 0
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="impulator-bench-dash-"))
    cluster = PostgresCluster(bindir).start()
    try:
        env_data = data_dir(folder / "data")
        os.environ.update(
            IMPULATOR_DATA_DIR=str(env_data), IMPULATOR_PDB_SOURCE="ccd", IMPULATOR_OFFLINE="1"
        )
        admin = cluster.create_database("impulator_bench")
        store.upgrade(admin)
        chemist = store.provision_user("chemist", "chemist", ["med-chem"], url=admin)
        for query in (
            "Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1",
            "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1",
        ):
            store.save(analyze(query, pdb=False), url=chemist)
        jobs.submit(["CCO", "CCN"], url=chemist, pdb=False)
        bare = folder / "bare"
        bare.mkdir()
        (bare / "Bare.ipynb").write_text(json.dumps(BASELINE))
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
        env.update(
            IMPULATOR_DATA_DIR=str(env_data),
            IMPULATOR_PDB_SOURCE="ccd",
            IMPULATOR_OFFLINE="1",
            IMPULATOR_DATABASE_URL=chemist,
        )
        results: dict[str, dict[str, float]] = {}
        with (
            voila(ROOT / "dashboards", env, folder / "voila.log") as base,
            voila(bare, env, folder / "bare.log") as bare_base,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            # One unmeasured render on each server: its first page pays one-off start costs.
            render_seconds(
                browser, f"{bare_base}/voila/render/Bare.ipynb", "text=impulator-baseline", 1
            )
            render_seconds(browser, f"{base}/voila/render/Home.ipynb", PAGES["Home"][1], 1)
            baseline = statistics.median(
                render_seconds(
                    browser,
                    f"{bare_base}/voila/render/Bare.ipynb",
                    "text=impulator-baseline",
                    args.repeats,
                )
            )
            print(f"machine: {machine()}")
            print(f"{'bare Voila page':<18} {baseline:6.2f} s   (baseline)")
            for name, (query, selector) in PAGES.items():
                if not (ROOT / "dashboards" / f"{name}.ipynb").exists():
                    print(f"{name:<18} (no dashboards/{name}.ipynb)")
                    continue
                url = f"{base}/voila/render/{name}.ipynb" + (f"?{query}" if query else "")
                median = statistics.median(render_seconds(browser, url, selector, args.repeats))
                results[name] = {"median_s": round(median, 2), "ratio": round(median / baseline, 2)}
                print(f"{name:<18} {median:6.2f} s   {median / baseline:5.2f}x the bare page")
            browser.close()
        if args.json:
            args.json.write_text(json.dumps({"baseline_s": baseline, "pages": results}, indent=2))
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
