"""The ``impulator`` command line.

    impulator descriptors SMILES [--json]
    impulator flags SMILES [--json]
    impulator indices SMILES --pactivity 7.5 [--json]

Invalid input exits with status 2 and one line saying why.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from impulator._errors import InvalidStructure
from impulator._version import __version__

__all__ = ["main"]

EXIT_INVALID_INPUT = 2


def _structure_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "structure", help="SMILES, InChI, or a molfile path prefixed with @ (e.g. @aspirin.mol)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation tools)."""
    parser = argparse.ArgumentParser(
        prog="impulator",
        description="Ligand efficiency, interference flags and IMP scores for compounds.",
    )
    parser.add_argument("--version", action="version", version=f"impulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("descriptors", help="descriptors of the standardised parent")
    _structure_arg(p)
    p.set_defaults(run=_run_descriptors)

    p = commands.add_parser("flags", help="assay-interference flags with what matched")
    _structure_arg(p)
    p.set_defaults(run=_run_flags)

    p = commands.add_parser("indices", help="efficiency indices for one activity value")
    _structure_arg(p)
    p.add_argument(
        "--pactivity",
        type=float,
        required=True,
        help="pActivity (9 - log10 of the value in nM; 10 nM is 8.0)",
    )
    p.set_defaults(run=_run_indices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for invalid input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], dict[str, Any]] = args.run
    try:
        result = run(args)
    except ValueError as exc:  # InvalidStructure included
        print("impulator: " + " ".join(str(exc).split()), file=sys.stderr)
        return EXIT_INVALID_INPUT
    if args.json:
        print(json.dumps(_jsonable(result), indent=2, allow_nan=False))
    else:
        print(_table(result))
    return 0


def _structure(args: argparse.Namespace) -> Any:
    from impulator.chem import standardize

    text: str = args.structure
    if text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(2_000_000)
        except OSError as exc:
            raise InvalidStructure(path, f"cannot open the file ({exc.strerror})") from None
    return standardize(text)


def _identity(structure: Any) -> dict[str, Any]:
    return {"smiles": structure.smiles, "inchikey": structure.inchikey}


def _run_descriptors(args: argparse.Namespace) -> dict[str, Any]:
    from impulator.chem import descriptors

    structure = _structure(args)
    return {**_identity(structure), **descriptors(structure)}


def _run_flags(args: argparse.Namespace) -> dict[str, Any]:
    from impulator.chem import FLAG_NAMES, alert_provenance, interference_flags

    structure = _structure(args)
    flags = interference_flags(structure)
    return {
        **_identity(structure),
        **{name: getattr(flags, name) for name in FLAG_NAMES},
        "matches": [
            {"flag": m.flag, "name": m.name, "catalogue": m.catalogue, "atoms": list(m.atoms)}
            for m in flags.matches
        ],
        "rdkit": alert_provenance()["rdkit"],
    }


def _run_indices(args: argparse.Namespace) -> dict[str, Any]:
    from impulator.chem import descriptors
    from impulator.science import angle_label, efficiency_indices, plane_geometry

    if not math.isfinite(args.pactivity):
        raise ValueError(f"--pactivity must be a finite number, not {args.pactivity}")
    structure = _structure(args)
    d = descriptors(structure)
    ix = efficiency_indices(args.pactivity, d["tpsa"], d["mw"], d["npol"], d["nha"], d["logp"])
    modulus, _ = plane_geometry(ix["sei"], ix["bei"])
    angle = math.degrees(math.atan(10 * d["tpsa"] / d["mw"]))
    return {
        **_identity(structure),
        "pactivity": args.pactivity,
        **{k: d[k] for k in ("tpsa", "mw", "npol", "nha", "logp")},
        **ix,
        "modulus_sei_bei": modulus,
        "angle_sei_bei": angle,
        "angle_label": angle_label(angle),
    }


def _clean(value: Any) -> Any:
    """Plain Python for output: numpy scalars unwrapped, NaN and inf as None (JSON null)."""
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return _clean(value)


def _table(result: dict[str, Any]) -> str:
    lines = []
    width = max(len(k) for k in result)
    for key, value in result.items():
        if key == "matches":
            for m in value:
                atoms = ",".join(str(a) for a in m["atoms"])
                lines.append(f"{'':{width}}  - {m['flag']}: {m['name']} [{m['catalogue']}] {atoms}")
            continue
        shown = _clean(value)
        if isinstance(shown, float):
            shown = f"{shown:.4f}"
        elif shown is None:
            shown = "n/a"
        lines.append(f"{key:{width}}  {shown}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
