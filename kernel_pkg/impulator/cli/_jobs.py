"""``impulator jobs ...`` and ``impulator runner``: durable batches from the command line.

impulator jobs submit FILE [--wait] [--column C] [--name-column N] [analysis options]
impulator jobs status ID [--json]
impulator jobs errors ID [--json]
impulator jobs cancel ID
impulator jobs retry ID
impulator jobs list [--status S] [--json]
impulator runner [--once] [--cluster local|gateway|ADDRESS]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pandas as pd

from impulator._errors import ExitStatus
from impulator.cli._analyze import add_analysis_options, analysis_options
from impulator.cli._output import emit, jsonable

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add ``jobs`` and ``runner`` to the ``impulator`` command."""
    jobs = commands.add_parser("jobs", help="durable batches: submit, follow, cancel, retry")
    sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")

    p = sub.add_parser(
        "submit",
        help="validate a CSV or SDF file and queue it; prints the job id",
        description="Every row is validated first; invalid rows are listed by 'jobs errors' "
        "and do not stop the valid ones. A runner ('impulator runner') does the work.",
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="CSV/TSV (with a SMILES, InChI, InChIKey, ChEMBL id or name column) or SDF",
    )
    p.add_argument("--column", help="the column holding the queries (default: detected)")
    p.add_argument("--name-column", help="the column naming the compounds (default: detected)")
    p.add_argument(
        "--on-duplicate",
        default="skip",
        choices=["skip", "replace", "keep"],
        help="a compound stored before with the same settings: skip it (default), "
        "replace it, or keep both",
    )
    p.add_argument("--wait", action="store_true", help="follow the job until it ends")
    add_analysis_options(p)
    p.set_defaults(run=_submit)

    for action, help_text in (
        ("status", "status, progress and counts of a job"),
        ("errors", "the rows of a job that were not stored, and why"),
        ("cancel", "stop a job (stored compounds are kept)"),
        ("retry", "queue a job's failed compounds again"),
    ):
        p = sub.add_parser(action, help=help_text)
        p.add_argument("job_id", type=int, metavar="ID")
        if action in ("status", "errors"):
            p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(run=globals()[f"_{action}"])

    p = sub.add_parser("list", help="your jobs, newest first")
    p.add_argument(
        "--status",
        choices=_JobStates(),
        metavar="STATE",
        help="only the jobs in this state: %(choices)s",
    )
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_list)

    p = commands.add_parser(
        "runner",
        help="process queued jobs (a hub service; several may run at once)",
        description="Claims queued jobs from IMPULATOR_DATABASE_URL, scores their compounds "
        "on Dask and stores the results as each job's owner. Ctrl-C stops it cleanly.",
    )
    p.add_argument("--once", action="store_true", help="process what is queued, then exit")
    p.add_argument(
        "--cluster",
        default=None,
        help="'local', 'gateway' or a scheduler address (default: the configured "
        "Dask Gateway, else a local cluster)",
    )
    p.add_argument("--name", help="this runner's name (default host:pid)")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics on PORT/metrics (default: "
        "IMPULATOR_RUNNER_METRICS_PORT, else none)",
    )
    p.add_argument(
        "--metrics-host",
        default=None,
        help="address the metrics listen on (default: IMPULATOR_RUNNER_METRICS_HOST, else "
        "127.0.0.1; 0.0.0.0 in a container Prometheus scrapes)",
    )
    p.add_argument(
        "--stale-after",
        type=float,
        default=30.0,
        help="seconds of silence before a job is taken from its runner",
    )
    p.set_defaults(run=_runner)


class _JobStates:
    """``impulator.store.JobState``'s values, read when first needed: the store (and
    SQLAlchemy) is imported only by a command that uses it, so ``impulator --help`` is quick."""

    def __iter__(self) -> Iterator[str]:
        from impulator.store import JobState

        return iter([state.value for state in JobState])

    def __contains__(self, value: object) -> bool:
        return value in list(self)


def _submit(args: argparse.Namespace) -> int:
    from impulator import jobs

    job = jobs.submit(
        args.file,
        column=args.column,
        name_column=args.name_column,
        on_duplicate=args.on_duplicate,
        options=analysis_options(args),
    )
    print(job.id)
    sys.stdout.flush()
    if args.wait:
        state = job.wait(progress=sys.stderr.isatty())
        print(
            f"job {job.id}: {state.status}: {state.stored} stored, {state.failed} failed, "
            f"{state.invalid} invalid rows",
            file=sys.stderr,
        )
    return 0


def _job(job_id: int) -> Any:
    """The job ``job_id``; one that does not exist (or is not yours) is invalid input (exit 2)."""
    from impulator import jobs

    return jobs.get(job_id)


def _status(args: argparse.Namespace) -> int:
    emit(_job(args.job_id).status().to_dict(), args.json)
    return 0


def _errors(args: argparse.Namespace) -> int:
    table = _job(args.job_id).errors()
    if args.json:
        emit({"errors": jsonable(table.to_dict(orient="records"))}, True)
    elif table.empty:
        print(f"job {args.job_id}: no errors")
    else:
        for row in table.itertuples():
            print(f"row {row.row} ({row.stage}): {row.reason}  [{row.input}]")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    job = _job(args.job_id)
    if job.cancel():
        print(f"job {args.job_id}: cancelled (compounds stored so far are kept)")
    else:
        print(f"job {args.job_id}: already {job.status().status}; nothing to cancel")
    return 0


def _retry(args: argparse.Namespace) -> int:
    count = _job(args.job_id).retry_failed()
    print(f"job {args.job_id}: {count} compounds queued again")
    return 0


def _list(args: argparse.Namespace) -> int:
    from impulator import jobs

    table = jobs.list_jobs(args.status, limit=args.limit)
    if args.json:
        records = table.astype(object).to_dict(orient="records")
        # Times as ISO 8601 (as 'jobs status --json'), missing ones as null: json cannot
        # write pandas Timestamps.
        records = [{k: _iso(v) for k, v in record.items()} for record in records]
        emit({"jobs": jsonable(records)}, True)
    elif table.empty:
        print("no jobs")
    else:
        print(table.drop(columns=["owner"]).to_string(index=False))
    return 0


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return None if pd.isna(value) else value.isoformat()
    return value


def _runner(args: argparse.Namespace) -> int:
    from impulator._logs import configure_logging
    from impulator.jobs import Runner

    # One JSON object a line (IMPULATOR_LOG_FORMAT=text for plain lines), secrets hidden.
    configure_logging()
    port = args.metrics_port or int(os.environ.get("IMPULATOR_RUNNER_METRICS_PORT") or 0)
    if port:
        from impulator.jobs import serve_metrics

        host = args.metrics_host or os.environ.get("IMPULATOR_RUNNER_METRICS_HOST") or "127.0.0.1"
        serve_metrics(port, host)
    stop = threading.Event()
    # SIGTERM (a service manager stopping us) ends the loop between jobs, like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runner = Runner(name=args.name, cluster=args.cluster, stale_after=args.stale_after)
    try:
        count = runner.run(once=args.once, stop=stop)
    except KeyboardInterrupt:
        stop.set()
        return ExitStatus.INTERRUPTED
    print(f"runner {runner.name}: {count} jobs processed", file=sys.stderr)
    return 0
