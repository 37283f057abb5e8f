"""PostgreSQL login roles for platform users and job runners (the hub calls this per spawn).

Each platform user is a PostgreSQL login role of the same name; the row-level security policies
of migration 0003 compare ``owner`` with ``current_user``, so the role *is* the identity. The
platform role decides the group roles granted:

| platform role | group roles |
|---|---|
| chemist, instructor | ``impulator_user``, ``impulator_writer`` |
| viewer | ``impulator_user`` (read only: no INSERT, UPDATE or DELETE privilege) |
| admin | ``impulator_user``, ``impulator_writer``, ``impulator_admin`` (reads every row) |

Every provisioning sets a new random password (the hub rotates it before each spawn). The
server receives a SCRAM-SHA-256 verifier computed here, never the password itself, so the
password cannot appear in the server's log even with ``log_statement = all``.

The connection doing this needs ``CREATEROLE`` and must bypass row-level security (a superuser,
or a role with ``BYPASSRLS``), since it writes the ``users``, ``groups`` and audit tables for
everyone. Roles not created by impulator (no ``impulator`` comment) are never touched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Sequence

import sqlalchemy as sa

from impulator._errors import InvalidInput
from impulator.store._migrate import _engine, database_url
from impulator.store._models import ROLES

__all__ = [
    "GROUP_ROLES",
    "check_role_name",
    "provision_api",
    "provision_runner",
    "provision_user",
    "scram_verifier",
]

#: Group roles granted for each platform role.
GROUP_ROLES: dict[str, tuple[str, ...]] = {
    "chemist": ("impulator_user", "impulator_writer"),
    "instructor": ("impulator_user", "impulator_writer"),
    "viewer": ("impulator_user",),
    "admin": ("impulator_user", "impulator_writer", "impulator_admin"),
}
_ALL_GROUP_ROLES = ("impulator_user", "impulator_writer", "impulator_admin")
_MANAGED = "impulator platform user"
_MANAGED_RUNNER = "impulator job runner"
_MANAGED_API = "impulator rest api"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,62}$")
_RESERVED = re.compile(r"^(pg_|impulator_|postgres$|public$|current_|session_user$|none$)", re.I)


def check_role_name(name: str) -> str:
    """``name`` if it can be a platform user's database role, else a ValueError saying why.

    Example:
        >>> check_role_name("alice.smith@lab")
        'alice.smith@lab'
        >>> check_role_name("pg_monitor")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        impulator._errors.InvalidInput: 'pg_monitor' is reserved for the database itself; ...
    """
    if not _NAME.match(name) or len(name.encode()) > 63:
        raise InvalidInput(
            f"{name!r} cannot be a database role: use 1-63 letters, digits and . _ @ + - "
            "starting with a letter or digit"
        )
    if _RESERVED.match(name):
        raise InvalidInput(
            f"{name!r} is reserved for the database itself; choose another user name"
        )
    return name


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802 / 7677).

    Example:
        >>> scram_verifier("pencil", salt=b"0123456789abcdef").split("$")[0:2]
        ['SCRAM-SHA-256', '4096:MDEyMzQ1Njc4OWFiY2RlZg==']
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _postgres_engine(url: str | None) -> sa.Engine:
    engine = _engine(url or database_url())
    if engine.dialect.name != "postgresql":
        engine.dispose()
        raise InvalidInput(
            "per-user database roles exist only on PostgreSQL; the embedded SQLite database "
            "has one user (its file's owner)"
        )
    return engine


def _set_login(conn: sa.Connection, name: str, comment: str, options: str) -> str:
    """Create or update login role ``name``; returns its new password."""
    quoted = conn.dialect.identifier_preparer.quote_identifier(name)
    existing = conn.execute(
        sa.text(
            "SELECT rolsuper, shobj_description(oid, 'pg_authid') FROM pg_roles "
            "WHERE rolname = :name"
        ),
        {"name": name},
    ).first()
    if existing is not None and (existing[0] or existing[1] != comment):
        raise InvalidInput(
            f"a database role named {name!r} exists and was not created by impulator for this "
            "purpose; it is left alone: rename the user or drop that role"
        )
    password = secrets.token_urlsafe(24)
    verb = "ALTER" if existing is not None else "CREATE"
    # The verifier contains only base64 characters, '$' and ':': safe in a literal.
    conn.exec_driver_sql(
        f"{verb} ROLE {quoted} WITH LOGIN {options} NOSUPERUSER NOCREATEDB NOCREATEROLE "
        f"NOREPLICATION NOBYPASSRLS PASSWORD '{scram_verifier(password)}'"
    )
    conn.exec_driver_sql(f"COMMENT ON ROLE {quoted} IS '{comment}'")
    return password


def _login_url(admin_url: sa.URL, name: str, password: str) -> str:
    url = admin_url.set(username=name, password=password)
    return url.render_as_string(hide_password=False)


def _audit(conn: sa.Connection, action: str, target: str, details: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO audit_log (actor, action, target, details) "
            "VALUES (session_user, :action, :target, CAST(:details AS jsonb))"
        ),
        {"action": action, "target": target, "details": details},
    )


def provision_user(
    name: str, role: str, groups: Sequence[str] = (), *, url: str | None = None
) -> str:
    """Create or update ``name``'s login role, platform role and groups; rotate its password.

    Returns the user's own connection URL (same host and database as ``url``, the
    administrator's connection; default ``IMPULATOR_DATABASE_URL``). Group memberships are set
    to exactly ``groups`` (groups are created when missing). Job runners and the REST API may
    act as the user.
    """
    check_role_name(name)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    groups = sorted(set(groups))
    engine = _postgres_engine(url)
    try:
        with engine.begin() as conn:
            quoted = conn.dialect.identifier_preparer.quote_identifier(name)
            password = _set_login(conn, name, _MANAGED, "INHERIT CONNECTION LIMIT 50")
            conn.exec_driver_sql(f"REVOKE {', '.join(_ALL_GROUP_ROLES)} FROM {quoted}")
            conn.exec_driver_sql(f"GRANT {', '.join(GROUP_ROLES[role])} TO {quoted}")
            conn.exec_driver_sql(f"GRANT {quoted} TO impulator_runner, impulator_api")
            conn.execute(
                sa.text(
                    "INSERT INTO users (name, role, is_active) VALUES (:name, :role, true) "
                    "ON CONFLICT (name) DO UPDATE SET role = :role, is_active = true"
                ),
                {"name": name, "role": role},
            )
            _set_groups(conn, name, groups)
            details = json.dumps({"role": role, "groups": groups})
            _audit(conn, "provision-user", f"user:{name}", details)
        return _login_url(engine.url, name, password)
    finally:
        engine.dispose()


def _set_groups(conn: sa.Connection, name: str, groups: Sequence[str]) -> None:
    for group in groups:
        conn.execute(
            sa.text("INSERT INTO groups (name) VALUES (:g) ON CONFLICT (name) DO NOTHING"),
            {"g": group},
        )
    conn.execute(
        sa.text(
            "DELETE FROM group_memberships WHERE member = :name AND group_id NOT IN "
            "(SELECT id FROM groups WHERE name = ANY(:groups))"
        ),
        {"name": name, "groups": list(groups)},
    )
    conn.execute(
        sa.text(
            "INSERT INTO group_memberships (group_id, member) "
            "SELECT id, :name FROM groups WHERE name = ANY(:groups) "
            "ON CONFLICT DO NOTHING"
        ),
        {"name": name, "groups": list(groups)},
    )


def provision_runner(name: str, *, url: str | None = None) -> str:
    """Create or update a job runner's login role and rotate its password; returns its URL.

    A runner reads and updates every user's jobs and writes results after ``SET ROLE`` to the
    job's owner; acting as itself it sees no compound.
    """
    return _provision_service(name, "runner", _MANAGED_RUNNER, url)


def provision_api(name: str, *, url: str | None = None) -> str:
    """Create or update the REST API's login role and rotate its password; returns its URL.

    The API acts as the calling user in every request (``SET LOCAL ROLE``, see
    :func:`impulator.store.acting_as`); acting as itself it sees no user's rows and only
    counts requests for rate limits (``api_rate_counts``, migration 0005).
    """
    return _provision_service(name, "api", _MANAGED_API, url)


def _provision_service(name: str, kind: str, managed: str, url: str | None) -> str:
    """A service login (``kind``: runner or api) in the group role ``impulator_<kind>``, its
    password rotated; returns its URL."""
    check_role_name(name)
    engine = _postgres_engine(url)
    try:
        with engine.begin() as conn:
            quoted = conn.dialect.identifier_preparer.quote_identifier(name)
            password = _set_login(conn, name, managed, "INHERIT")
            conn.exec_driver_sql(f"GRANT impulator_{kind} TO {quoted}")
            _audit(conn, f"provision-{kind}", f"{kind}:{name}", "{}")
        return _login_url(engine.url, name, password)
    finally:
        engine.dispose()
