"""Where the impulator database lives, and moving its schema up and down with Alembic.

The migrations ship inside the package (``impulator/store/migrations``); the Alembic
configuration is built in code, so no ``alembic.ini`` is needed at run time.

| variable | meaning | default |
|---|---|---|
| ``IMPULATOR_DATABASE_URL`` | SQLAlchemy URL of the database | ``DATA_DIR/impulator.sqlite`` |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from impulator._urls import redact
from impulator.config import Settings, get_settings

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "database_url",
    "downgrade",
    "head_revision",
    "redact",
    "upgrade",
]

#: The Alembic script directory shipped with the package.
MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(settings: Settings | None = None, env: Mapping[str, str] | None = None) -> str:
    """``IMPULATOR_DATABASE_URL``, else a SQLite file in the data directory.

    Example:
        >>> from impulator.config import get_settings
        >>> database_url(get_settings({"IMPULATOR_DATA_DIR": "/tmp/imp"}), env={})
        'sqlite:////tmp/imp/impulator.sqlite'
        >>> database_url(env={"IMPULATOR_DATABASE_URL": "postgresql+psycopg://u@db/imp"})
        'postgresql+psycopg://u@db/imp'
    """
    environ = os.environ if env is None else env
    url = environ.get("IMPULATOR_DATABASE_URL", "").strip()
    return url or (settings or get_settings(dict(environ))).database_url


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    """The newest revision shipped with this version of impulator."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(parsed)


def _run(url: str, action: str, revision: str) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            if action == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    finally:
        engine.dispose()


def upgrade(url: str | None = None, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` (default: :func:`database_url`) up to ``revision``.

    Returns the revision the database is at afterwards.
    """
    url = url or database_url()
    _run(url, "upgrade", revision)
    return current_revision(url)


def downgrade(url: str | None, revision: str) -> str | None:
    """Migrate down to ``revision`` (``"base"`` drops every impulator table).

    Returns the revision the database is at afterwards (None at base).
    """
    url = url or database_url()
    _run(url, "downgrade", revision)
    return current_revision(url)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    engine = _engine(url or database_url())
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
