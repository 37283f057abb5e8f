"""``impulator compounds ...``: the analyses stored in the results database.

    impulator compounds list [--json] [--limit N] [--page P] [--sort=[-]KEY] [--mine] [filters]
    impulator compounds show ID [--json] [--rows N]
    impulator compounds delete ID
    impulator compounds share ID GROUP  |  unshare ID GROUP

The database is ``IMPULATOR_DATABASE_URL`` (else the SQLite file in the data directory). You
see your own compounds and those shared with your groups.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from impulator.cli._output import emit, jsonable

__all__ = ["add_commands"]

_SORTS = ("created_at", "name", "best_score", "mw", "n_rows")
_LISTED = [
    "id",
    "name",
    "best_score",
    "best_class",
    "model_id",
    "n_rows",
    "n_flags",
    "owner",
    "created_at",
]
_ROWS_SHOWN = [
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
    """Add ``compounds`` and its subcommands to the ``impulator`` command."""
    top = commands.add_parser("compounds", help="stored analyses: list, show, delete, share")
    sub = top.add_subparsers(dest="compounds_command", required=True, metavar="ACTION")

    p = sub.add_parser("list", help="the compounds you can see, newest first")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=int, default=20, help="compounds per page (default 20)")
    p.add_argument("--page", type=int, default=1, help="page number, from 1")
    p.add_argument(
        "--sort",
        default="-created_at",
        metavar="KEY",
        help=f"one of {', '.join(_SORTS)}; descending with a leading - written "
        "--sort=-KEY (default -created_at)",
    )
    p.add_argument("--mine", action="store_true", help="only compounds you own")
    p.add_argument("--min-score", type=float, help="best score at least this")
    p.add_argument(
        "--class",
        dest="classes",
        action="append",
        metavar="CLASS",
        help="best class, e.g. 'Strong IMP' (repeat for several)",
    )
    p.add_argument("--target", help="a target ChEMBL id among the compound's rows")
    p.add_argument("--search", metavar="TEXT", help="name, ChEMBL id, InChIKey or SMARTS")
    p.set_defaults(run=_list)

    p = sub.add_parser("show", help="one compound: summary, provenance and best rows")
    p.add_argument("compound_id", type=int, metavar="ID")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument("--rows", type=int, default=15, help="rows shown in the table (default 15)")
    p.set_defaults(run=_show)

    p = sub.add_parser("delete", help="delete one of your compounds with its rows")
    p.add_argument("compound_id", type=int, metavar="ID")
    p.set_defaults(run=_delete)

    for action, text in (("share", "let a group read"), ("unshare", "stop a group reading")):
        p = sub.add_parser(action, help=f"{text} one of your compounds")
        p.add_argument("compound_id", type=int, metavar="ID")
        p.add_argument("group", metavar="GROUP")
        p.set_defaults(run=_share if action == "share" else _unshare)


def _when(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _list(args: argparse.Namespace) -> int:
    from impulator import store

    wanted = {
        "min_score": args.min_score,
        "classes": args.classes,
        "target": args.target,
        "text": args.search,
    }
    page = store.list_compounds(
        {k: v for k, v in wanted.items() if v is not None},
        sort=args.sort,
        page=args.page,
        limit=args.limit,
        mine=args.mine,
    )
    items = page.items.copy()
    if args.json:
        items["created_at"] = [_when(v) for v in items["created_at"]]
        payload = {
            "total": page.total,
            "page": page.page,
            "limit": page.limit,
            "pages": page.pages,
            "items": items.to_dict(orient="records"),
        }
        print(json.dumps(jsonable(payload), indent=2, allow_nan=False))
        return 0
    if items.empty:
        print("no compounds" if page.total == 0 else f"no compounds on page {page.page}")
    else:
        items["created_at"] = items["created_at"].dt.strftime("%Y-%m-%d %H:%M")
        items["name"] = items["name"].map(
            lambda n: n if n is None or len(n) <= 40 else n[:39] + "…"
        )
        table = items[_LISTED].to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.3f}")
        print(table)
    print(f"page {page.page} of {max(page.pages, 1)} ({page.total} compounds)")
    return 0


def _show(args: argparse.Namespace) -> int:
    from impulator import store

    found = store.get(args.compound_id)
    head = {
        "id": found.id,
        "name": found.name,
        "owner": found.owner,
        "query": found.query,
        "parent smiles": found.parent_smiles,
        "inchikey": found.inchikey,
        "chembl id": found.chembl_id,
        "model": found.model_id,
        "best score": found.best_score,
        "best class": found.best_class,
        "mw": found.mw,
        "rows": found.n_rows,
        "query flags": found.n_flags,
        "created": _when(found.created_at),
        "shared with": ", ".join(found.shared_with) or "nobody",
    }
    if args.json:
        payload = {
            **{k.replace(" ", "_"): v for k, v in head.items()},
            "shared_with": found.shared_with,
            "job_id": found.job_id,
            "provenance_key": found.provenance_key,
            "summary": found.summary,
            "provenance": found.provenance,
            "flags": found.flags,
            "pdb": found.pdb,
            "rows": found.rows.to_dict(orient="records"),
        }
        print(json.dumps(jsonable(payload), indent=2, allow_nan=False))
        return 0
    emit(head, as_json=False)
    rows = found.rows
    if not rows.empty and args.rows > 0:
        print()
        shown = [c for c in _ROWS_SHOWN if c in rows.columns]
        if "final_score" in rows.columns:
            rows = rows.sort_values("final_score", ascending=False)
        print(
            rows.head(args.rows)[shown].to_string(
                index=False, na_rep="-", float_format=lambda v: f"{v:.3f}"
            )
        )
        if len(rows) > args.rows:
            print(f"... {len(rows) - args.rows} more rows (--rows N, or --json for all)")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from impulator import store

    store.delete(args.compound_id)
    print(f"deleted compound {args.compound_id}")
    return 0


def _share(args: argparse.Namespace) -> int:
    from impulator import store

    store.share(args.compound_id, args.group)
    print(f"compound {args.compound_id} is shared with {args.group}")
    return 0


def _unshare(args: argparse.Namespace) -> int:
    from impulator import store

    store.unshare(args.compound_id, args.group)
    print(f"compound {args.compound_id} is no longer shared with {args.group}")
    return 0
