"""The spawn hook: each user's database login, landing page and (locally) folder."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from impulator.hub._policy import DASHBOARD_GROUP, ROLE_GROUPS, VOILA_HOME, platform_role

#: Prepares a user's folder before their server starts (locally: the dashboards and notebook
#: templates copied in, the notebooks published to the user's groups fetched). Called with the
#: folder and the user's database URL as the hub reaches it (None without a database).
PrepareHome = Callable[[Path, "str | None"], None]


def user_database_url(url: str, environ: Mapping[str, str] = os.environ) -> str:
    """``url`` pointed at the host and port users reach (if they differ from the admin's)."""
    import sqlalchemy as sa

    host = environ.get("IMPULATOR_HUB_DB_HOST")
    if not host:
        return url
    parsed = sa.make_url(url)
    port = int(environ.get("IMPULATOR_HUB_DB_PORT") or parsed.port or 5432)
    query = {k: v for k, v in parsed.query.items() if k not in ("host", "port")}
    return parsed.set(host=host, port=port, query=query).render_as_string(hide_password=False)


def make_pre_spawn_hook(
    environ: Mapping[str, str] = os.environ, prepare_home: PrepareHome | None = None
) -> Callable[[Any], Awaitable[None]]:
    """The hook that provisions the user's PostgreSQL login (new password) and hands its URL
    to the server (``IMPULATOR_HUB_ADMIN_DATABASE_URL`` set), picks the landing page and, for
    spawners with a ``home_dir``, calls ``prepare_home`` on the user's folder.

    The role comes from the user's JupyterHub group; the user's other JupyterHub groups
    become their impulator sharing groups. A user in no impulator group cannot start a
    server: the message says whom to ask.
    """

    async def pre_spawn_hook(spawner: Any) -> None:
        admin_url = environ.get("IMPULATOR_HUB_ADMIN_DATABASE_URL")
        name = spawner.user.name
        groups = sorted(g.name for g in spawner.user.groups)
        role = platform_role(groups)
        if role is None:
            raise RuntimeError(
                f"{name} is in none of the impulator groups ({', '.join(ROLE_GROUPS)}): "
                "ask a hub admin to add you to one"
            )
        env = dict(spawner.environment)
        viewer_pool = environ.get("IMPULATOR_VIEWER_PAGE_POOL_SIZE")
        if role == "viewer" and viewer_pool:  # where viewers' servers have less memory
            env["IMPULATOR_PAGE_POOL_SIZE"] = viewer_pool
        landing_on_dashboards = role == "viewer" or DASHBOARD_GROUP in groups
        spawner.default_url = VOILA_HOME if landing_on_dashboards else "/lab"
        url = None
        if admin_url:
            from impulator.store import provision_user

            sharing = [g for g in groups if g not in ROLE_GROUPS and g != DASHBOARD_GROUP]
            try:
                url = await asyncio.to_thread(provision_user, name, role, sharing, url=admin_url)
            except ValueError as exc:  # a name PostgreSQL cannot take, a foreign role, ...
                message = f"impulator cannot give {name} a database login: {exc}"
                raise RuntimeError(message) from None
            env["IMPULATOR_DATABASE_URL"] = user_database_url(url, environ)
            spawner.log.info("impulator: database login of %s ready (role %s)", name, role)
        home = getattr(spawner, "home_dir", None)  # local processes: the user's folder
        if home and prepare_home is not None:
            await asyncio.to_thread(prepare_home, Path(home), url)
        # A new dict, never the shared config value: one user's URL must not reach another.
        spawner.environment = env

    return pre_spawn_hook
