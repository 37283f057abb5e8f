"""The ``impulator`` command line.

    impulator descriptors|flags STRUCTURE [--json]
    impulator indices STRUCTURE --pactivity 7.5 [--json]
    impulator analyze QUERY [--similarity 0.8] [--model imp-4] [--json | --csv OUT] [--save]
    impulator compounds list | show ID | delete ID | share ID GROUP | unshare ID GROUP
    impulator data build-demo | load-chembl PATH | index | status
    impulator jobs submit FILE [--wait] | status ID | errors ID | cancel ID | retry ID | list
    impulator notebooks publish PATH GROUP | fetch [GROUP] | link --repo URL
    impulator runner [--once]
    impulator api [--host H] [--port P]

Exit status (``impulator._errors.ExitStatus``): 0 done; 2 invalid input (one line says why);
3 the query has no neighbours (the availability probe is printed); 4 a source or the results
database is unavailable; 5 the results database refused the operation to this user (a viewer
saving, say); 70 a bug in impulator (the traceback is printed); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from impulator._errors import ExitStatus, ImpulatorError
from impulator._version import __version__
from impulator.cli import _analyze, _api, _chem, _compounds, _data, _db, _jobs, _notebooks
from impulator.cli._output import fail, report_bug

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation tools)."""
    parser = argparse.ArgumentParser(
        prog="impulator",
        description="Ligand efficiency, interference flags and IMP scores for compounds.",
    )
    parser.add_argument("--version", action="version", version=f"impulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (_chem, _analyze, _data, _db, _compounds, _jobs, _notebooks, _api):
        module.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except ImpulatorError as exc:  # raised on purpose: its message says what to do
        return fail(exc, exc.exit_status)
    except KeyboardInterrupt:
        return fail("interrupted", ExitStatus.INTERRUPTED)
    except Exception as exc:  # nobody raised it on purpose: a bug, said as one
        return report_bug(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
