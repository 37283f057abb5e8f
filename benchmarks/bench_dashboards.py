"""First-render seconds of every dashboard in Chromium, cold and from a warm kernel.

Starts a throw-away PostgreSQL cluster (``tests/postgres.py``), a chemist with a few stored
compounds and a finished batch, and standalone Voila over ``dashboards/`` with the chemist's
own login (as a user's server does), twice: today's path (every page starts a kernel and
imports the science stack, loads every installed browser extension, each plotly figure
carries plotly's code, and the 3D view is nglview's) and impulator's
(``impulator.hub.WarmKernelManager``: after the first page, a page takes a kernel that has
built every page once; each page loads only the extensions it draws with; plotly's widget
code and NGL's viewer are files the browser caches, imported once the page is drawn). Both
use impulator's page template and compiled-template cache. Each page is opened R times in a
new tab of a browser profile, one per path (Voila's scripts cached, as a chemist's has them); the
time, recorded in the page, is from the start of navigation to the first animation frame in
which the page's frame (``.impulator-page``) is visible with its content (Compound's and
Analytics' plots are timed too). On the warm server each opening waits for the pool to have
refilled, as it has when a chemist reads a page before opening the next. The baseline,
measured in the same run, is a one-cell notebook that prints a line: Voila's own cost (a
kernel, the page, the widget manager), the floor of any page. Printed: both times, warm/cold
(goal: 0.3x or less), and the memory the pool holds (one warm kernel).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_dashboards.py --repeats 3``.
Needs the PostgreSQL server binaries and Debian's chromium (``make test`` installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
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
    "Structure": ("id=1", ".impulator-page"),
    "Analytics": ("", ".impulator-page"),
}
#: Pages whose plots follow their frame: the plots' time is printed too.
PLOTS = {"Compound": ".js-plotly-plot .main-svg", "Analytics": ".js-plotly-plot .main-svg"}
#: What the one-cell baseline page draws: its printed line.
BARE_DRAWN = {"frame": ".jp-OutputArea-output.jp-RenderedText"}
#: Records, in the page, the time since navigation began of the first animation frame in which
#: each selector's element is visible. Polling from outside the page (Playwright's waits) sees
#: it up to half a second late, or only after a long script (compiling plotly takes about a
#: second) has let the page answer.
DRAWN_SCRIPT = """
if (window === window.top) {
  const watched = %s;
  const drawn = (window.__impulatorDrawn = {});
  const visible = (selector) => {
    const element = document.querySelector(selector);
    return !!element && element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  };
  const tick = () => {
    for (const [name, selector] of Object.entries(watched)) {
      if (!(name in drawn) && visible(selector)) drawn[name] = performance.now();
    }
    if (Object.keys(drawn).length < Object.keys(watched).length) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""
#: The pages' warm kernels and trimmed extensions (impulator's ``etc/jupyter/voila.*``), and
#: today's path: no warm kernel, every extension's scripts on every page.
WARM = ("--VoilaConfiguration.multi_kernel_manager_class=impulator.hub.WarmKernelManager",)
COLD = (
    "--WarmKernelManager.pool_size=0",
    "--WarmKernelManager.page_client=False",
    "--VoilaConfiguration.page_config_hook=None",
)
#: Seconds between closing a page and opening the next, as a chemist reads a page: the last
#: page's kernel has been shut down by then, on both servers.
READING = 2.0
WARM_READY = re.compile(r"Warm kernel \S+ ready for Voila pages \((\d+) MB in the pool\)")
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
def voila(root: Path, env: dict[str, str], log: Path, *options: str) -> Iterator[str]:
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
                *options,
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


def wait_for_warm_kernels(log: Path, count: int, timeout: float = 120) -> float:
    """Wait until the log says ``count`` warm kernels were made ready; returns the MB the
    pool held at the last one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = WARM_READY.findall(log.read_text(errors="replace"))
        if len(ready) >= count:
            return float(ready[-1])
        time.sleep(0.2)
    raise RuntimeError(f"no warm kernel after {timeout:.0f} s:\n{log.read_text()[-2000:]}")


def render_seconds(
    context: object, url: str, watched: dict[str, str], repeats: int
) -> list[dict[str, float]]:
    """For each of ``repeats`` openings of ``url`` in a new tab of ``context``, each
    ``READING`` seconds after the last was closed: the seconds from the start of navigation to
    the animation frame in which each of ``watched`` (name -> selector) is first visible."""
    check = f"Object.keys(window.__impulatorDrawn || {{}}).length === {len(watched)}"
    times = []
    for _ in range(repeats):
        time.sleep(READING)
        page = context.new_page()  # type: ignore[attr-defined]
        page.add_init_script(DRAWN_SCRIPT % json.dumps(watched))
        page.goto(url, timeout=180_000)
        page.wait_for_function(check, timeout=180_000)
        drawn = page.evaluate("window.__impulatorDrawn")
        times.append({name: float(drawn[name]) / 1000 for name in watched})
        page.close(run_before_unload=True)  # as a closed tab: Voila shuts its kernel down
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
        # Today's path: each of plotly's figures carries plotly's code, and the 3D view is
        # nglview's (nothing served as a file).
        cold_env = {**env, "IMPULATOR_PLOTLY_WIDGET": "", "IMPULATOR_NGL_VIEWER": ""}
        results: dict[str, dict[str, float]] = {}
        warm_log = folder / "warm.log"
        with (
            voila(ROOT / "dashboards", cold_env, folder / "voila.log", *COLD) as base,
            voila(ROOT / "dashboards", env, warm_log, *WARM) as warm_base,
            voila(bare, env, folder / "bare.log", *COLD) as bare_base,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            # A browser profile for each path, as a chemist has one of them: Voila's scripts
            # come from its cache after the first page, and no page of the other path shares
            # its renderer (today's pages load every extension, 10 MB of scripts more).
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            warm_context = browser.new_context(viewport={"width": 1280, "height": 800})
            # One unmeasured render on each server: its first page pays one-off start costs
            # (on the warm server it is the first page a chemist opens: the pool starts after).
            bare_page = f"{bare_base}/voila/render/Bare.ipynb"
            home = {"frame": PAGES["Home"][1]}
            render_seconds(context, bare_page, BARE_DRAWN, 1)
            render_seconds(context, f"{base}/voila/render/Home.ipynb", home, 1)
            render_seconds(warm_context, f"{warm_base}/voila/render/Home.ipynb", home, 1)
            baseline = statistics.median(
                t["frame"] for t in render_seconds(context, bare_page, BARE_DRAWN, args.repeats)
            )
            print(f"machine: {machine()}")
            print(f"{'bare Voila page':<18} {baseline:6.2f} s   (baseline)")
            print(f"{'page':<12} {'cold':>8} {'warm':>8} {'warm/cold':>10}   cold vs bare page")
            pool_mb = 0.0
            readied = 1
            for name, (query, selector) in PAGES.items():
                if not (ROOT / "dashboards" / f"{name}.ipynb").exists():
                    print(f"{name:<12} (no dashboards/{name}.ipynb)")
                    continue
                page = f"/voila/render/{name}.ipynb" + (f"?{query}" if query else "")
                watched = {"frame": selector} | ({"plots": PLOTS[name]} if name in PLOTS else {})
                # The last page's refill has ended: it takes no CPU from the cold openings.
                pool_mb = wait_for_warm_kernels(warm_log, readied)
                cold_times = render_seconds(context, base + page, watched, args.repeats)
                warm_times = []
                for _ in range(args.repeats):
                    # A chemist reads a page before the next: the pool has refilled by then.
                    pool_mb = wait_for_warm_kernels(warm_log, readied)
                    warm_times += render_seconds(warm_context, warm_base + page, watched, 1)
                    readied += 1
                cold = statistics.median(t["frame"] for t in cold_times)
                warm = statistics.median(t["frame"] for t in warm_times)
                results[name] = {
                    "median_s": round(cold, 2),
                    "ratio": round(cold / baseline, 2),
                    "warm_median_s": round(warm, 2),
                    "warm_ratio": round(warm / cold, 2),
                }
                print(
                    f"{name:<12} {cold:6.2f} s {warm:6.2f} s {warm / cold:9.2f}x"
                    f"   {cold / baseline:5.2f}x  (goal: warm <= 0.3x cold)"
                )
                if "plots" in watched:
                    cold_plots = statistics.median(t["plots"] for t in cold_times)
                    warm_plots = statistics.median(t["plots"] for t in warm_times)
                    results[name] |= {
                        "plots_median_s": round(cold_plots, 2),
                        "warm_plots_median_s": round(warm_plots, 2),
                    }
                    print(
                        f"{'  its plots':<12} {cold_plots:6.2f} s {warm_plots:6.2f} s"
                        f" {warm_plots / cold_plots:9.2f}x"
                    )
            print(f"memory of the warm pool (1 kernel): {pool_mb:.0f} MB resident")
            browser.close()
        if args.json:
            args.json.write_text(
                json.dumps({"baseline_s": baseline, "pool_mb": pool_mb, "pages": results}, indent=2)
            )
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
