"""Commands over one structure: ``descriptors``, ``flags``, ``indices``."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from impulator._errors import InvalidInput, InvalidStructure
from impulator.cli._output import emit

__all__ = ["add_commands"]


def _structure_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "structure", help="SMILES, InChI, or a molfile path prefixed with @ (e.g. @aspirin.mol)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def add_commands(commands: Any) -> None:
    """Add ``descriptors``, ``flags`` and ``indices`` to the ``impulator`` command."""
    p = commands.add_parser("descriptors", help="descriptors of the standardised parent")
    _structure_arg(p)
    p.set_defaults(run=_printing(_run_descriptors))

    p = commands.add_parser("flags", help="assay-interference flags with what matched")
    _structure_arg(p)
    p.set_defaults(run=_printing(_run_flags))

    p = commands.add_parser("indices", help="efficiency indices for one activity value")
    _structure_arg(p)
    p.add_argument(
        "--pactivity",
        type=float,
        required=True,
        help="pActivity (9 - log10 of the value in nM; 10 nM is 8.0)",
    )
    p.set_defaults(run=_printing(_run_indices))


def _printing(
    compute: Callable[[argparse.Namespace], dict[str, Any]],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        emit(compute(args), args.json)
        return 0

    return run


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
        raise InvalidInput(f"--pactivity must be a finite number, not {args.pactivity}")
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
