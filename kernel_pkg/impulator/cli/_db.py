"""``impulator db ...``: create and migrate the impulator database (Alembic, packaged)."""

from __future__ import annotations

import argparse
from typing import Any

from impulator._errors import ExitStatus
from impulator.cli._output import fail

__all__ = ["add_commands"]

_URL_HELP = "SQLAlchemy URL (default: IMPULATOR_DATABASE_URL, else DATA_DIR/impulator.sqlite)"


def add_commands(commands: Any) -> None:
    """Add ``db`` and its subcommands to the ``impulator`` command."""
    db = commands.add_parser("db", help="the impulator database: migrate, show its revision")
    sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")

    p = sub.add_parser("upgrade", help="migrate the database up (default: to the newest)")
    p.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    p.add_argument("--url", help=_URL_HELP)
    p.set_defaults(run=_upgrade)

    p = sub.add_parser("downgrade", help="migrate the database down to REV ('base': empty)")
    p.add_argument("revision", metavar="REV")
    p.add_argument("--url", help=_URL_HELP)
    p.set_defaults(run=_downgrade)

    p = sub.add_parser("current", help="the revision the database is at")
    p.add_argument("--url", help=_URL_HELP)
    p.set_defaults(run=_current)

    p = sub.add_parser(
        "provision-user",
        help="create or update a user's PostgreSQL login (new password); print its URL",
        description="Create or update NAME's login role, platform role and groups, set a new "
        "random password, and print the user's connection URL on stdout (nothing else). "
        "Run with an administrator's URL (CREATEROLE and BYPASSRLS, or a superuser).",
    )
    p.add_argument("name", metavar="NAME", help="the platform (hub) user name")
    p.add_argument("--role", required=True, choices=("chemist", "viewer", "instructor", "admin"))
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="G",
        help="a group the user belongs to (repeat; memberships are set to exactly these)",
    )
    p.add_argument("--url", help=_URL_HELP)
    p.set_defaults(run=_provision_user)

    p = sub.add_parser(
        "provision-runner",
        help="create or update a job runner's PostgreSQL login (new password); print its URL",
    )
    p.add_argument("name", metavar="NAME", help="the runner's login name, e.g. runner-1")
    p.add_argument("--url", help=_URL_HELP)
    p.set_defaults(run=_provision_runner)

    p = sub.add_parser(
        "provision-api",
        help="create or update the REST API's PostgreSQL login (new password); print its URL",
    )
    p.add_argument("name", metavar="NAME", help="the API's login name, e.g. api")
    p.add_argument("--url", help=_URL_HELP)
    p.set_defaults(run=_provision_api)


def _migrate(args: argparse.Namespace, action: str) -> int:
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from impulator import store

    url = args.url or store.database_url()
    try:
        step = store.upgrade if action == "upgrade" else store.downgrade
        revision = step(url, args.revision)
    except CommandError as exc:
        return fail(f"{action} to {args.revision!r}: {exc}", ExitStatus.INVALID_INPUT)
    except SQLAlchemyError as exc:
        return fail(f"{store.redact(url)}: {_first_line(exc)}", ExitStatus.UNAVAILABLE)
    print(f"{store.redact(url)}: at revision {revision or 'base (empty)'}")
    return 0


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


def _upgrade(args: argparse.Namespace) -> int:
    return _migrate(args, "upgrade")


def _downgrade(args: argparse.Namespace) -> int:
    return _migrate(args, "downgrade")


def _current(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from impulator import store

    url = args.url or store.database_url()
    try:
        revision = store.current_revision(url)
    except SQLAlchemyError as exc:
        return fail(f"{store.redact(url)}: {_first_line(exc)}", ExitStatus.UNAVAILABLE)
    head = store.head_revision()
    state = "up to date" if revision == head else f"newest is {head}: run 'impulator db upgrade'"
    print(f"{store.redact(url)}: at revision {revision or 'base (empty)'} ({state})")
    return 0


def _provision(args: argparse.Namespace, make: Any) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from impulator import store

    url = args.url or store.database_url()
    try:
        login = make(url)
    except SQLAlchemyError as exc:
        return fail(f"{store.redact(url)}: {_first_line(exc)}", ExitStatus.UNAVAILABLE)
    print(login)
    return 0


def _provision_user(args: argparse.Namespace) -> int:
    from impulator.store import provision_user

    return _provision(args, lambda url: provision_user(args.name, args.role, args.group, url=url))


def _provision_api(args: argparse.Namespace) -> int:
    from impulator.store import provision_api

    return _provision(args, lambda url: provision_api(args.name, url=url))


def _provision_runner(args: argparse.Namespace) -> int:
    from impulator.store import provision_runner

    return _provision(args, lambda url: provision_runner(args.name, url=url))
