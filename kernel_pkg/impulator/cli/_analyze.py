"""``impulator analyze QUERY``: one compound's scored ChEMBL neighbourhood.

With ``--save`` the report is stored in the results database (``IMPULATOR_DATABASE_URL``, else
the SQLite file in the data directory) and the compound id is printed on stdout (inside the
JSON as ``compound_id`` with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from impulator._errors import ExitStatus, InvalidInput
from impulator.cli._output import emit, fail, progress_bar
from impulator.science import CURATION_MODES, DEFAULT_ACTIVITY_TYPES, DEFAULT_MODEL, MODELS

if TYPE_CHECKING:  # the pipeline is imported when a command runs: `impulator --help` is quick
    from impulator.pipeline import AnalyzeOptions

__all__ = ["add_analysis_options", "add_commands", "analysis_options"]

_SHOWN = [
    "molecule_chembl_id",
    "pref_name",
    "similarity",
    "target_chembl_id",
    "standard_type",
    "pactivity",
    "final_score",
    "classification",
]


def add_commands(commands: Any) -> None:
    """Add ``analyze`` to the ``impulator`` command."""
    p = commands.add_parser(
        "analyze",
        help="score the ChEMBL neighbourhood of a compound",
        description="QUERY is a SMILES, InChI, InChIKey, ChEMBL id, name or synonym.",
    )
    p.add_argument("query", help="SMILES, InChI, InChIKey, ChEMBL id, name or synonym")
    add_analysis_options(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the whole report as JSON")
    out.add_argument("--csv", metavar="OUT", help="write the rows to this CSV file")
    p.add_argument(
        "--prototype-columns",
        action="store_true",
        help="with --csv: the old prototype's column names",
    )
    p.add_argument(
        "--save",
        action="store_true",
        help="store the report in the results database and print the compound id",
    )
    p.add_argument("--name", help="with --save: the compound's name (default: ChEMBL name)")
    p.add_argument(
        "--on-duplicate",
        choices=["skip", "replace", "keep"],
        help="with --save, when this compound was stored with the same settings: skip "
        "(default, print the stored id), replace it, or keep both",
    )
    p.set_defaults(run=_run)


def add_analysis_options(p: argparse.ArgumentParser) -> None:
    """The options of one analysis (similarity, top-k, types, model, curation, PDB)."""
    p.add_argument("--similarity", type=float, default=0.90, help="Tanimoto threshold, 0.40-1.00")
    p.add_argument("--top-k", type=int, default=None, help="keep only the K most similar")
    p.add_argument(
        "--types",
        default=",".join(DEFAULT_ACTIVITY_TYPES),
        help="activity types, comma-separated (default: %(default)s); 'all' for every type",
    )
    p.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
    p.add_argument("--curation", default="curated", choices=CURATION_MODES)
    p.add_argument("--no-pdb", action="store_true", help="do not look up PDB structures")


def analysis_options(args: argparse.Namespace) -> AnalyzeOptions:
    """The checked options of :func:`add_analysis_options` (ValueError, exit status 2, when
    one is out of range)."""
    from impulator.pipeline import AnalyzeOptions

    types = None if args.types.strip().lower() == "all" else _split(args.types)
    return AnalyzeOptions(
        similarity=args.similarity,
        top_k=args.top_k,
        activity_types=types,
        model=args.model,
        curation=args.curation,
        pdb=not args.no_pdb,
    )


def _run(args: argparse.Namespace) -> int:
    from impulator.pipeline import analyze

    if not args.save and (args.name is not None or args.on_duplicate is not None):
        raise InvalidInput("--name and --on-duplicate go with --save")
    options = analysis_options(args)
    update, close = progress_bar("analyze")
    try:
        report = analyze(args.query, progress=update, options=options)
    finally:
        close()
    if report.summary.get("neighbours", 0) == 0:
        probe = ", ".join(f"{t:.2f}: {n}" for t, n in report.availability.items())
        fail(
            f"no compound in {report.provenance.get('bioactivity_source')} reaches "
            f"similarity {args.similarity:.2f}; neighbours at lower thresholds: {probe or 'none'}",
            ExitStatus.NO_NEIGHBOURS,
        )
        if args.save:
            print("impulator: nothing saved (no rows to store)", file=sys.stderr)
        if args.json:
            print(report.to_json())
        return ExitStatus.NO_NEIGHBOURS
    compound_id = _save(report, args) if args.save else None
    if args.json:
        payload = json.loads(report.to_json())
        if compound_id is not None:
            payload = {"compound_id": compound_id, **payload}
        print(json.dumps(payload, indent=2, allow_nan=False))
    elif args.csv:
        path = report.to_csv(
            args.csv, flavour="prototype" if args.prototype_columns else "impulator"
        )
        print(f"{len(report.rows)} rows written to {path}", file=sys.stderr)
        if compound_id is not None:
            print(compound_id)
    elif compound_id is not None:
        print(compound_id)
    else:
        _print_text(report)
    return 0


def _save(report: Any, args: argparse.Namespace) -> int:
    from impulator.store import save_report

    saved = save_report(report, args.name, args.on_duplicate or "skip")
    said = {
        "inserted": f"saved as compound {saved.compound_id}",
        "replaced": f"replaced compound {saved.compound_id}",
        "skipped": f"already stored as compound {saved.compound_id} with the same settings "
        "(--on-duplicate replace overwrites it, keep stores another copy)",
    }[saved.action]
    print(f"impulator: {said}", file=sys.stderr)
    return saved.compound_id


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _print_text(report: Any) -> None:
    s, p = report.summary, report.provenance
    emit(
        {
            "query": report.query,
            "parent smiles": report.structure.smiles,
            "source": p["bioactivity_source"]
            + (
                ""
                if p["bioactivity_release"] in p["bioactivity_source"]
                else f" ({p['bioactivity_release']})"
            ),
            "model": f"{p['scoring_model']}: {MODELS[p['scoring_model']].high_means}",
            "neighbours": s["neighbours"],
            "activities": f"{s['activities_kept']} kept of {s['activities_in']}",
            "removed": ", ".join(f"{k} {v}" for k, v in s["removed"].items() if v) or "none",
            "rows scored": s["rows"],
            "IMP candidates": f"{s['imp_candidate_rows']} rows, "
            f"{s['imp_candidate_compounds']} compounds",
            "best score": s["best_score"],
        },
        as_json=False,
    )
    print()
    top = report.rows.sort_values("final_score", ascending=False).head(15)[_SHOWN]
    print(top.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
