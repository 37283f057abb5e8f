"""Throughput of impulator's chemistry core against the prototype's per-molecule catalogues.

Measures molecules/s for ``standardize`` + ``descriptors`` + ``interference_flags`` over the
unique SMILES of MoleculeACE 3.0.0 (30 ChEMBL Ki/EC50 sets, 48,714 rows), next to a naive
baseline run in the same process on the same molecules. The baseline does what the prototype
did: it builds the RDKit FilterCatalogs (PAINS A/B/C, Brenk, NIH) and compiles impulator's own
SMARTS for every molecule. Standardisation and descriptors are impulator's in both paths, so
only the catalogue handling differs.

Run it with::

    make bench
    .venv/bin/python benchmarks/bench_science.py --limit 500
    .venv/bin/python benchmarks/bench_science.py --data DIR --json

``make bench`` installs MoleculeACE with ``pip install --no-deps MoleculeACE==3.0.0``. The
package is never imported (its import pulls in torch): its CSV files are found through the
installed distribution's file list. Without it the script falls back to the 300-molecule
sample in ``tests/data/moleculeace_sample.csv`` and says so.

Absolute rates depend on the machine; the speedup ratio is what compares across machines, and
it is printed next to the reference ratio kept in ``benchmarks/baselines/bench_science.json``
(rewrite that file with ``--update-reference``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rdkit
from rdkit import Chem, rdBase
from rdkit.Chem import rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

import impulator
from impulator import InvalidStructure
from impulator.chem import descriptors, interference_flags, standardize
from impulator.chem._alerts import ALERT_PATTERNS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = ROOT / "tests" / "data" / "moleculeace_sample.csv"
REFERENCE_JSON = Path(__file__).resolve().parent / "baselines" / "bench_science.json"
MOLECULEACE = "MoleculeACE"
#: Seed of the molecule sample: the same molecules on every run and every machine.
SEED = 20240
#: The catalogues impulator builds once per process, and the naive path builds per molecule.
CATALOGUES = ("PAINS_A", "PAINS_B", "PAINS_C", "BRENK", "NIH")
_BENCHMARK_FILE = re.compile(r"^CHEMBL\d+_(Ki|EC50)\.csv$")


@dataclass(frozen=True)
class Molecules:
    """The unique SMILES to run over, and where they came from."""

    smiles: list[str]
    source: str
    files: int
    rows: int


@dataclass(frozen=True)
class PathResult:
    """One path's rates over its repeats."""

    name: str
    molecules: int
    invalid: int
    rates: list[float]
    #: Why molecules failed: InvalidStructure message -> count, from the last repeat.
    failures: dict[str, int]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    def as_dict(self) -> dict[str, Any]:
        return {
            "molecules": self.molecules,
            "invalid": self.invalid,
            "rate_median": round(self.median, 2),
            "rate_min": round(min(self.rates), 2),
            "rate_max": round(max(self.rates), 2),
            "rates": [round(rate, 2) for rate in self.rates],
            "failures": self.failures,
        }


# --- data ----------------------------------------------------------------------------------


def moleculeace_csvs() -> list[Path]:
    """MoleculeACE's benchmark CSVs, located without importing the package (empty if absent)."""
    try:
        dist = importlib.metadata.distribution(MOLECULEACE)
    except importlib.metadata.PackageNotFoundError:
        return []
    found = [
        Path(str(dist.locate_file(f)))
        for f in dist.files or []
        if "benchmark_data" in f.parts and _BENCHMARK_FILE.match(f.name)
    ]
    return sorted(path for path in found if path.is_file())


def read_smiles(paths: Iterable[Path]) -> tuple[list[str], int]:
    """Unique SMILES (first-seen order) from CSV files with a ``smiles`` column, and row count."""
    seen: dict[str, None] = {}
    rows = 0
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows += 1
                text = (row.get("smiles") or "").strip()
                if text:
                    seen.setdefault(text, None)
    return list(seen), rows


def load_molecules(data: Path | None) -> Molecules:
    """The benchmark molecules: ``--data``, else installed MoleculeACE, else the test sample."""
    if data is not None:
        paths = sorted(data.glob("*.csv")) if data.is_dir() else [data]
        if not paths:
            raise SystemExit(f"error: no CSV files in {data}")
        smiles, rows = read_smiles(paths)
        return Molecules(smiles, str(data), len(paths), rows)
    paths = moleculeace_csvs()
    if paths:
        version = importlib.metadata.version(MOLECULEACE)
        smiles, rows = read_smiles(paths)
        return Molecules(smiles, f"MoleculeACE {version}", len(paths), rows)
    print(
        f"note: {MOLECULEACE} is not installed (make bench installs it); using the "
        f"{SAMPLE_CSV.relative_to(ROOT)} sample instead",
        file=sys.stderr,
    )
    smiles, rows = read_smiles([SAMPLE_CSV])
    return Molecules(smiles, str(SAMPLE_CSV.relative_to(ROOT)), 1, rows)


def sample(smiles: Sequence[str], limit: int) -> list[str]:
    """A deterministic sample of ``limit`` SMILES (all of them when there are fewer)."""
    ordered = sorted(smiles)
    if limit >= len(ordered):
        return ordered
    return random.Random(SEED).sample(ordered, limit)


# --- the two paths -------------------------------------------------------------------------


def impulator_one(smiles: str) -> None:
    """What impulator does per molecule: catalogues and SMARTS come from per-process caches."""
    structure = standardize(smiles)
    descriptors(structure)
    interference_flags(structure)


def naive_one(smiles: str) -> None:
    """The prototype: every FilterCatalog and every SMARTS is rebuilt for each molecule."""
    structure = standardize(smiles)
    mol = structure.mol
    desc = descriptors(structure)
    hits: list[tuple[str, str, tuple[int, ...]]] = []
    for name in CATALOGUES:
        params = FilterCatalogParams()
        params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, name))
        catalogue = FilterCatalog(params)
        for entry in catalogue.GetMatches(mol):
            atoms = tuple(
                sorted({int(p[1]) for m in entry.GetFilterMatches(mol) for p in m.atomPairs})
            )
            hits.append((name, str(entry.GetDescription()), atoms))
    aggregator = (
        desc["aromatic_rings"] >= 3
        and desc["rotatable_bonds"] <= 2
        and desc["logp"] > 3
        and rdMolDescriptors.CalcExactMolWt(mol) > 300
    )
    if aggregator:
        hits.append(("physchem", "aggregator-like", ()))
    for pattern in ALERT_PATTERNS:
        query = Chem.MolFromSmarts(pattern.smarts)
        found = mol.GetSubstructMatches(query, uniquify=True, maxMatches=1000)
        if found:
            hits.append(("impulator", pattern.name, tuple(sorted({a for f in found for a in f}))))


def run_path(
    name: str, work: Callable[[str], None], smiles: Sequence[str], repeats: int
) -> PathResult:
    """Rate (molecules/s) of ``work`` over ``smiles``, once per repeat."""
    rates: list[float] = []
    failures: dict[str, int] = {}
    for _ in range(repeats):
        # Each repeat standardises afresh: a Structure caches its descriptors and flags, so
        # reusing Structure objects from an earlier repeat would time cache hits, not work.
        failures = {}
        start = time.perf_counter()
        for text in smiles:
            try:
                work(text)
            except InvalidStructure as exc:  # counted, not fatal: real data has a few
                reason = str(exc)
                failures[reason] = failures.get(reason, 0) + 1
        elapsed = time.perf_counter() - start
        rates.append(len(smiles) / elapsed if elapsed > 0 else float("inf"))
    return PathResult(name, len(smiles), sum(failures.values()), rates, failures)


def warm_up() -> float:
    """Build impulator's per-process catalogues before timing; return the seconds it took."""
    start = time.perf_counter()
    interference_flags("c1ccccc1O")
    return time.perf_counter() - start


# --- reporting -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    return {"impulator": impulator.__version__, "rdkit": rdkit.__version__}


def read_reference(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def format_path(result: PathResult, width: int) -> str:
    return (
        f"{result.name + ':':<{width}} {result.median:8.1f} molecules/s "
        f"(median of {len(result.rates)}, min-max {min(result.rates):.1f}-"
        f"{max(result.rates):.1f}); {result.molecules} molecules, {result.invalid} invalid"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="molecules/s of impulator's chemistry core against a naive baseline",
    )
    parser.add_argument(
        "--limit", type=int, default=2000, help="molecules for impulator's path (default 2000)"
    )
    parser.add_argument(
        "--baseline-limit",
        type=int,
        default=200,
        help="molecules for the naive path, the first N of the same sample (default 200)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per path; the median is reported"
    )
    parser.add_argument(
        "--data", type=Path, help="a folder of MoleculeACE-style CSVs (a 'smiles' column)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--update-reference",
        action="store_true",
        help=f"write this run to {REFERENCE_JSON.relative_to(ROOT)}",
    )
    args = parser.parse_args(argv)
    for option in ("limit", "baseline_limit", "repeats"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    molecules = load_molecules(args.data)
    if not molecules.smiles:
        print(f"error: no SMILES in {molecules.source}", file=sys.stderr)
        return 1
    chosen = sample(molecules.smiles, args.limit)
    # The naive path is slow: it runs over the first molecules of the same sample.
    baseline_chosen = chosen[: args.baseline_limit]

    # RDKit warnings (mostly InChI's "Omitted undefined stereo") would flood stderr and time
    # terminal output; errors stay on, as impulator reads them to explain invalid structures.
    warnings_were_on = "rdApp.warning:enabled" in rdBase.LogStatus()
    rdBase.DisableLog("rdApp.warning")
    try:
        setup_s = warm_up()
        fast = run_path("impulator", impulator_one, chosen, args.repeats)
        naive = run_path("naive", naive_one, baseline_chosen, args.repeats)
    finally:
        if warnings_were_on:
            rdBase.EnableLog("rdApp.warning")
    speedup = fast.median / naive.median

    reference = read_reference(REFERENCE_JSON)
    result: dict[str, Any] = {
        "benchmark": "bench_science",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "versions": versions(),
        "machine": machine(),
        "data": {
            "source": molecules.source,
            "files": molecules.files,
            "rows": molecules.rows,
            "unique_smiles": len(molecules.smiles),
        },
        "settings": {
            "limit": args.limit,
            "baseline_limit": args.baseline_limit,
            "repeats": args.repeats,
            "seed": SEED,
        },
        "catalogue_setup_s": round(setup_s, 3),
        "impulator": fast.as_dict(),
        "naive": naive.as_dict(),
        "speedup": round(speedup, 2),
        "reference_speedup": reference.get("speedup") if reference else None,
    }
    if args.update_reference:
        stored = {k: v for k, v in result.items() if k != "reference_speedup"}
        REFERENCE_JSON.parent.mkdir(parents=True, exist_ok=True)
        REFERENCE_JSON.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")

    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    mach = result["machine"]
    print(f"impulator {impulator.__version__}, RDKit {rdkit.__version__}")
    print(f"machine: {mach['cpu_count']} CPUs, {mach['platform']}, Python {mach['python']}")
    print(
        f"data: {molecules.source} ({molecules.files} files, {molecules.rows:,} rows, "
        f"{len(molecules.smiles):,} unique SMILES)"
    )
    print(f"setup: impulator's catalogues built once in {setup_s:.2f} s (not in the rates)")
    print(format_path(fast, 10))
    print(format_path(naive, 10))
    for reason, count in sorted(fast.failures.items(), key=lambda item: -item[1])[:5]:
        print(f"  invalid ({count}x): {reason}")
    print(f"speedup: {speedup:.1f}x (impulator vs naive per-molecule catalogues)")
    if reference and isinstance(reference.get("speedup"), int | float):
        ref_machine = reference.get("machine", {})
        print(
            f"reference speedup: {reference['speedup']:.1f}x "
            f"({reference.get('date', '?')}, {ref_machine.get('cpu_count', '?')} CPUs, "
            f"{ref_machine.get('platform', '?')}; {REFERENCE_JSON.relative_to(ROOT)})"
        )
    else:
        print(f"reference speedup: none ({REFERENCE_JSON.relative_to(ROOT)} is missing)")
    if args.update_reference:
        print(f"wrote {REFERENCE_JSON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
