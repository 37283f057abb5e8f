"""Connections to the results database: one engine per URL, errors a user can act on.

The embedded SQLite default needs no set-up: the first use of a SQLite file creates or migrates
its schema (it is the user's own file). PostgreSQL is never migrated here: ``impulator db
upgrade`` does that, and a database whose schema is missing or behind this impulator is a
clear :class:`StoreUnavailable` saying so.

Who owns what is the database's business. On PostgreSQL the owner of a row is the database
role (``current_user``, so after ``SET ROLE alice`` a job runner writes as Alice) and
row-level security decides what each user sees. **Row-level security does not exist on
SQLite**: a SQLite file is private because it is the user's own file, and whoever can open it
reads and changes everything in it; its owner column holds the operating-system user name.

Errors are translated once, here: the database refusing a privilege becomes
:class:`PermissionDenied` (naming the user and the operation), a connection that cannot be
made or is lost becomes :class:`StoreUnavailable` (naming the database, password hidden).
"""

from __future__ import annotations

import getpass
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import StaticPool

from impulator._errors import InvalidInput, PermissionDenied, StoreUnavailable
from impulator._urls import redact
from impulator.store._metrics import instrument, watch_pools
from impulator.store._migrate import alembic_config, database_url

__all__ = ["Tx", "acting_as", "connect", "dispose", "engine_for", "local_user", "transaction"]

#: Engines kept open at once (least recently used ones are closed beyond this).
ENGINE_LIMIT = 8

_engines: OrderedDict[str, sa.Engine] = OrderedDict()
_ready: set[str] = set()
_lock = threading.RLock()
_acting_as: ContextVar[str | None] = ContextVar("impulator_acting_as", default=None)


def local_user() -> str:
    """The operating-system user: the owner of everything in a SQLite database.

    Example:
        >>> isinstance(local_user(), str) and local_user() != ""
        True
    """
    try:
        return getpass.getuser() or "local"
    except Exception:  # no login name in a container without passwd entry
        return "local"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # cascade deletes to a compound's rows
    cursor.close()


def _create(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        options: dict[str, Any] = {"connect_args": {"timeout": 30}}
        if memory:  # one shared connection, or every checkout would see a new empty database
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, **options)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=8)
    instrument(engine)
    return engine


def _open_engines() -> list[sa.Engine]:
    with _lock:
        return list(_engines.values())


watch_pools(_open_engines)


def engine_for(url: str | None = None) -> sa.Engine:
    """The engine of ``url`` (default :func:`database_url`), created once per process.

    The first call for a URL checks the schema: a SQLite file is created or migrated to the
    newest revision; a PostgreSQL database behind it is an error saying to run
    ``impulator db upgrade``.
    """
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create(url)
            while len(_engines) > ENGINE_LIMIT:
                key, old = _engines.popitem(last=False)
                _ready.discard(key)
                old.dispose()
        _engines.move_to_end(url)
        if url not in _ready:
            with translated(url, "open the results database"):
                _check_schema(engine, url)
            _ready.add(url)
    return engine


def dispose(url: str | None = None) -> None:
    """Close the pooled connections of ``url``'s engine, or of every engine (``None``)."""
    with _lock:
        urls = list(_engines) if url is None else [url]
        for key in urls:
            engine = _engines.pop(key, None)
            _ready.discard(key)
            if engine is not None:
                engine.dispose()


def _check_schema(engine: sa.Engine, url: str) -> None:
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    if current == head:
        return
    known = current is None or _known(scripts, current)
    if not known:
        raise StoreUnavailable(
            f"{redact(url)} is at revision {current}, made by a newer impulator than this one "
            f"(newest here: {head}): upgrade impulator"
        )
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, url)
        return
    state = "has no impulator tables yet" if current is None else f"is at revision {current}"
    raise StoreUnavailable(
        f"{redact(url)} {state}; this impulator needs revision {head}: "
        "run 'impulator db upgrade' (or ask the database's administrator to)"
    )


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:  # alembic raises on a revision it does not know
        return False


def _migrate_sqlite(engine: sa.Engine, url: str) -> None:
    # Foreign keys off while batch migrations rebuild tables: with them on, dropping the old
    # copy of a table would cascade into the rows that reference it.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                config = alembic_config(url)
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


class Tx:
    """One transaction on the results database and the user it acts as."""

    def __init__(self, conn: sa.Connection, url: str) -> None:
        self.conn = conn
        self.url = url
        self._owner: str | None = None

    @property
    def postgres(self) -> bool:
        """Whether this is PostgreSQL (else the embedded SQLite)."""
        return self.conn.dialect.name == "postgresql"

    @property
    def owner(self) -> str:
        """The user rows are written as: ``current_user`` on PostgreSQL, else the OS user."""
        if self._owner is None:
            if self.postgres:
                self._owner = str(self.conn.exec_driver_sql("SELECT current_user").scalar_one())
            else:
                self._owner = local_user()
        return self._owner

    @property
    def known_owner(self) -> str | None:
        """The owner if it was looked up already (for messages)."""
        return self._owner


@contextmanager
def transaction(
    url: str | None, operation: str, *, write: bool = False, connection: sa.Connection | None = None
) -> Iterator[Tx]:
    """A transaction for ``operation`` (words for messages), committed when the block ends.

    With ``connection``, the caller's open connection is used as it is (the caller commits);
    errors are translated either way. ``write`` takes SQLite's write lock at the start, so
    that two processes saving into one file cannot both miss a duplicate.
    """
    if connection is not None:
        tx = Tx(connection, connection.engine.url.render_as_string(hide_password=True))
        with translated(tx.url, operation, lambda: tx.known_owner, write=write):
            yield tx
        return
    url = url or database_url()
    holder: list[Tx] = []
    with translated(url, operation, lambda: holder[0].known_owner if holder else None, write=write):
        engine = engine_for(url)
        with engine.begin() as conn:
            if write and conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            user = _acting_as.get()
            if user is not None and conn.dialect.name == "postgresql":
                _set_role(conn, user)
            holder.append(Tx(conn, url))
            yield holder[0]


@contextmanager
def acting_as(user: str) -> Iterator[None]:
    """Every transaction opened in this block (in this thread or task) acts as ``user``.

    For services that log in with their own PostgreSQL role and serve many users, as the
    REST API does: each transaction starts with ``SET LOCAL ROLE user``, so row-level
    security decides what it sees and rows are written as ``user``. The service's login must
    be allowed to become ``user`` (``provision_api`` and ``provision_user`` arrange that).
    A user with no database role is :class:`PermissionDenied` saying how to get one. On
    SQLite (one user, no roles) it changes nothing.

    Example:
        >>> with acting_as("alice"):
        ...     pass
    """
    token = _acting_as.set(user)
    try:
        yield
    finally:
        _acting_as.reset(token)


def _set_role(conn: sa.Connection, user: str) -> None:
    from impulator.store._provision import check_role_name

    try:
        check_role_name(user)  # never a group role or the database's own
    except ValueError as exc:
        raise PermissionDenied(f"cannot act as {user!r} in the results database: {exc}") from exc
    quoted = conn.dialect.identifier_preparer.quote_identifier(user)
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"SET LOCAL ROLE {quoted}")
    except sa.exc.DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state == "22023":  # the role does not exist
            raise PermissionDenied(
                f"{user} has no account in the results database yet: log in to the hub and "
                "start your server once (that creates it), or ask an administrator"
            ) from exc
        if state == "42501":
            login = conn.engine.url.username
            raise PermissionDenied(
                f"{login} may not act as {user} in the results database: an administrator "
                "should run 'impulator db upgrade' and restart the hub (that grants it)"
            ) from exc
        raise


@contextmanager
def connect(url: str | None = None) -> Iterator[sa.Connection]:
    """A connection to the results database inside one transaction, committed at the end.

    Pass it as ``connection=`` to :func:`impulator.store.save` to save within your own
    transaction, e.g. a job runner acting for a user::

        with store.connect() as conn:
            conn.execute(sqlalchemy.text("SET LOCAL ROLE alice"))
            store.save(report, connection=conn)

    Example:
        >>> import os, tempfile, sqlalchemy
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> with connect(url) as conn:
        ...     conn.execute(sqlalchemy.text("SELECT count(*) FROM compounds")).scalar()
        0
    """
    with transaction(url, "use the results database") as tx:
        yield tx.conn


# -- errors -----------------------------------------------------------------------------------


@contextmanager
def translated(
    url: str,
    operation: str,
    user: Callable[[], str | None] = lambda: None,
    *,
    write: bool = False,
) -> Iterator[None]:
    """Database errors inside the block become PermissionDenied or StoreUnavailable."""
    try:
        yield
    except Exception as exc:
        better = _translate(exc, url, operation, user(), write)
        if better is None:
            raise
        raise better from exc


def _translate(
    exc: Exception, url: str, operation: str, user: str | None, write: bool
) -> Exception | None:
    if isinstance(exc, sa.exc.DBAPIError):
        orig: Any = exc.orig if exc.orig is not None else exc
        lost = isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError)
        lost = lost or exc.connection_invalidated
    elif type(exc).__module__.split(".")[0] == "psycopg":  # raised by a raw COPY
        orig, lost = exc, isinstance(exc, _psycopg_connection_errors())
    else:
        return None
    reason = _first_line(orig, url)
    if "NUL (0x00)" in reason:  # psycopg refuses it before the server sees the statement
        return InvalidInput(
            f"cannot {operation}: the text holds a NUL character (\\x00), which the database "
            "cannot store; remove it and try again"
        )
    if getattr(orig, "sqlstate", None) == "42501":
        who = user or sa.make_url(url).username or local_user()
        if "row-level security" in reason:
            return PermissionDenied(
                f"cannot {operation}: the results database refused it for {who} ({reason}); "
                "you can change only your own compounds and share only with groups you belong to"
            )
        if not write:
            return PermissionDenied(
                f"cannot {operation}: {who} may not read the results database (not a "
                "platform user of it). Ask an administrator."
            )
        return PermissionDenied(
            f"cannot {operation}: {who} has read-only access to the results database "
            "(viewer); saving, deleting and sharing need the chemist role. "
            "Ask an administrator."
        )
    if lost:
        tail = " Nothing was changed." if write else ""
        return StoreUnavailable(
            f"{redact(url)}: could not {operation} ({reason}).{tail} Check that the database "
            "is running and reachable, then try again."
        )
    return None


def _psycopg_connection_errors() -> tuple[type[Exception], ...]:
    import psycopg

    return (psycopg.OperationalError, psycopg.InterfaceError)


def _first_line(error: object, url: str) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    try:
        password = sa.make_url(url).password
    except Exception:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text
