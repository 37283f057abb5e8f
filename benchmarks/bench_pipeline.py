"""How fast one analysis and one similarity search are, against in-run baselines.

Prints, on the demo ChEMBL (built on first use):

- ``analyze``: median and p95 ms per compound over N demo compounds, warm (source, index and
  catalogues loaded; a few warm-up analyses not counted), next to the prototype's 4-8 s, four
  ways in the same run, each starting from empty per-process caches (structures, profiles,
  PDB lookups, CCD keys): without the cache files (the in-run baseline: every CCD candidate
  is standardised and keyed, and every structure standardised and profiled, in each
  process), with empty CCD key and structure files (an installation's first analyses, which
  fill them), with the filled key file alone, and with both filled (every later process);
- similarity search: median ms per query with the FPSim2 index, next to RDKit
  ``BulkTanimotoSimilarity`` brute force over the same fingerprints, on the demo library
  (~37k) and on a library of at least 1,000,000 fingerprints.

The large library is made honestly from real chemistry: every demo parent, plus single-point
analogues of it (each aromatic or aliphatic C-H in turn replaced by C-F, C-Cl, C-CH3, C-OH or
C-NH2, sanitised by RDKit, deduplicated by canonical SMILES) until the count is reached. It
is built once into the data directory (``bench/`` there) and reused.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_pipeline.py --compounds 200``;
``--library-size 0`` skips the large library.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdFingerprintGenerator

import impulator
from impulator.chem import standardize
from impulator.config import get_settings
from impulator.pipeline import StructureCache, _analyze, analyze, use_structure_cache
from impulator.sources import CcdPdbSource, ChemblDatabase, PdbSource, open_source
from impulator.sources import _pdb_ccd as ccd
from impulator.sources._similarity import SimilarityIndex, build_index

PROTOTYPE_SECONDS = (4.0, 8.0)
SUBSTITUENTS = ("F", "Cl", "C", "O", "N")
SEED = 20261129


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def demo_smiles(db: ChemblDatabase) -> list[tuple[int, str, bool]]:
    """(molregno, parent SMILES, has activities) of every demo molecule."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT cs.molregno, cs.canonical_smiles,"
                " EXISTS (SELECT 1 FROM activities a WHERE a.molregno = cs.molregno)"
                " FROM compound_structures cs ORDER BY cs.molregno"
            )
        ).all()
    return [(int(m), str(s), bool(a)) for m, s, a in rows]


def forget_structures() -> None:
    """Empty the per-process caches of analyses: every pass starts from the same state."""
    _analyze._read_smiles.cache_clear()
    _analyze._profile.cache_clear()
    _analyze._pdb_cache.clear()
    ccd._KEYS.clear()


def analyze_pass(
    db: ChemblDatabase,
    pdb_source: PdbSource,
    warmup: list[str],
    measured: list[str],
    structures: StructureCache | None = None,
) -> dict[str, Any]:
    forget_structures()
    use_structure_cache(structures)
    for smiles in warmup:
        analyze(smiles, source=db, pdb_source=pdb_source)
    times, rows = [], []
    for smiles in measured:
        start = time.perf_counter()
        report = analyze(smiles, source=db, pdb_source=pdb_source)
        times.append((time.perf_counter() - start) * 1000.0)
        rows.append(len(report.rows))
    median = statistics.median(times)
    return {
        "compounds": len(measured),
        "median_ms": round(median, 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "median_rows": statistics.median(rows),
        "below_prototype": [round(s * 1000.0 / median, 1) for s in PROTOTYPE_SECONDS],
    }


def bench_analyze(
    db: ChemblDatabase, molecules: list[tuple[int, str, bool]], n: int
) -> dict[str, Any]:
    """Warm analyses without the cache files, filling empty ones, and with them filled."""
    rng = random.Random(SEED)
    with_activities = [s for _, s, a in molecules if a]
    queries = rng.sample(with_activities, min(n + 5, len(with_activities)))
    warmup, measured = queries[:5], queries[5:]
    with tempfile.TemporaryDirectory(prefix="impulator-cache-") as folder:
        baseline = analyze_pass(db, CcdPdbSource(), warmup, measured)
        filling = analyze_pass(
            db, CcdPdbSource(key_cache=folder), warmup, measured, StructureCache(folder)
        )
        keys_only = analyze_pass(db, CcdPdbSource(key_cache=folder), warmup, measured)
        cached = analyze_pass(
            db, CcdPdbSource(key_cache=folder), warmup, measured, StructureCache(folder)
        )
    use_structure_cache(None)
    return {
        **cached,
        "filling_cache_files": filling,
        "key_file_only": keys_only,
        "no_cache_files": baseline,
        "ratio_median": round(baseline["median_ms"] / cached["median_ms"], 2),
        "ratio_median_key_file_only": round(keys_only["median_ms"] / cached["median_ms"], 2),
    }


def fingerprints(smiles: list[str]) -> list[Any]:
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    out = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            out.append(generator.GetFingerprint(mol))
    return out


def bench_search(
    index: SimilarityIndex, library: list[Any], queries: list[str], threshold: float
) -> dict[str, Any]:
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    structures = [standardize(q) for q in queries]
    fps = [generator.GetFingerprint(s.mol) for s in structures]
    index.search(structures[0], threshold)  # first call pays one-off set-up
    indexed = [timed(lambda s=s: index.search(s, threshold)) for s in structures]

    def brute(fp: Any) -> int:
        sims = DataStructs.BulkTanimotoSimilarity(fp, library)
        return sum(1 for x in sims if x >= threshold)

    brute_times = [timed(lambda fp=fp: brute(fp)) for fp in fps]
    agree = all(
        len(index.search(s, threshold)) == brute(fp)
        for s, fp in list(zip(structures, fps, strict=True))[:5]
    )
    fpsim2_ms, brute_ms = statistics.median(indexed), statistics.median(brute_times)
    return {
        "library": len(library),
        "queries": len(queries),
        "threshold": threshold,
        "fpsim2_median_ms": round(fpsim2_ms, 2),
        "brute_force_median_ms": round(brute_ms, 2),
        "speedup": round(brute_ms / fpsim2_ms, 1),
        "same_hit_counts": agree,
    }


def analogues(smiles: str) -> Iterator[str]:
    """Single-point substitutions of every C-H of a molecule."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return
    for atom in mol.GetAtoms():
        if atom.GetSymbol() != "C" or atom.GetTotalNumHs() == 0:
            continue
        for substituent in SUBSTITUENTS:
            rw = Chem.RWMol(mol)
            new = rw.AddAtom(Chem.Atom(substituent))
            rw.AddBond(atom.GetIdx(), new, Chem.BondType.SINGLE)
            rw.GetAtomWithIdx(atom.GetIdx()).SetNoImplicit(False)
            rw.GetAtomWithIdx(atom.GetIdx()).SetNumExplicitHs(0)
            try:
                Chem.SanitizeMol(rw)
            except Exception:
                continue
            yield Chem.MolToSmiles(rw)


def large_library(base: list[str], size: int, folder: Path) -> tuple[Path, list[str]]:
    """An FPSim2 index of ``size`` molecules: the demo parents plus their analogues."""
    path = folder / f"library-{size}.h5"
    smiles_file = folder / f"library-{size}.smi"
    if path.is_file() and smiles_file.is_file():
        return path, smiles_file.read_text().split("\n")
    folder.mkdir(parents=True, exist_ok=True)
    RDLogger.DisableLog("rdApp.*")
    seen: dict[str, None] = dict.fromkeys(base)
    rng = random.Random(SEED)
    order = base[:]
    rng.shuffle(order)
    started = time.perf_counter()
    while len(seen) < size:
        for parent in order:
            for variant in analogues(parent):
                seen.setdefault(variant)
                if len(seen) >= size:
                    break
            if len(seen) >= size:
                break
        else:
            order = list(seen)[len(base) :]  # second generation when the first runs out
    RDLogger.EnableLog("rdApp.*")
    smiles = list(seen)[:size]
    print(f"  made {len(smiles):,} molecules in {time.perf_counter() - started:.0f} s", flush=True)
    build_index(((s, i) for i, s in enumerate(smiles, start=1)), path)
    smiles_file.write_text("\n".join(smiles))
    print(f"  indexed them in {time.perf_counter() - started:.0f} s", flush=True)
    return path, smiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compounds", type=int, default=200)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--library-size", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    settings = get_settings()
    source = open_source(settings)
    assert isinstance(source, ChemblDatabase), "the benchmark runs on a local ChEMBL"
    print(
        f"impulator {impulator.__version__}; {source.name}; {os.cpu_count()} CPUs; "
        f"{platform.platform()}",
        flush=True,
    )
    molecules = demo_smiles(source)
    results: dict[str, Any] = {"source": source.name}

    results["analyze"] = a = bench_analyze(source, molecules, args.compounds)
    for label, r in (
        ("no cache files (baseline)", a["no_cache_files"]),
        ("filling the CCD key and structure files", a["filling_cache_files"]),
        ("CCD key file filled, no structure file", a["key_file_only"]),
    ):
        print(
            f"analyze warm, {label}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms",
            flush=True,
        )
    print(
        f"analyze warm: median {a['median_ms']} ms, p95 {a['p95_ms']} ms over {a['compounds']} "
        f"compounds (median {a['median_rows']} rows; CCD key and structure files filled): "
        f"{a['ratio_median_key_file_only']}x faster than without the structure file, "
        f"{a['ratio_median']}x faster than the baseline (goal: median <= 20 ms); the "
        f"prototype's 4-8 s is {a['below_prototype'][0]}-{a['below_prototype'][1]}x slower",
        flush=True,
    )

    rng = random.Random(SEED + 1)
    queries = rng.sample([s for _, s, _ in molecules], args.queries)
    demo_fps = fingerprints([s for _, s, _ in molecules])
    results["search_demo"] = s = bench_search(source.index(), demo_fps, queries, args.threshold)
    print(
        f"similarity (demo, {s['library']:,} fps, T={s['threshold']}): FPSim2 median "
        f"{s['fpsim2_median_ms']} ms, BulkTanimotoSimilarity {s['brute_force_median_ms']} ms, "
        f"ratio {s['speedup']}x; same hits: {s['same_hit_counts']}",
        flush=True,
    )

    if args.library_size:
        print(f"large library ({args.library_size:,}): building or reusing...", flush=True)
        path, smiles = large_library(
            [s for _, s, _ in molecules], args.library_size, settings.data_dir / "bench"
        )
        large_fps = fingerprints(smiles)
        index = SimilarityIndex(path)
        results["search_large"] = s = bench_search(index, large_fps, queries, args.threshold)
        print(
            f"similarity (large, {s['library']:,} fps, T={s['threshold']}): FPSim2 median "
            f"{s['fpsim2_median_ms']} ms, BulkTanimotoSimilarity {s['brute_force_median_ms']} "
            f"ms, ratio {s['speedup']}x; same hits: {s['same_hit_counts']}",
            flush=True,
        )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
