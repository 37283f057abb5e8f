"""JupyterHub configuration of the impulator platform.

Read by ``jupyterhub -f hub/jupyterhub_config.py``. ``hub/launch.py`` (``make up``) starts
the hub with the environment below; in production the same variables come from the
deployment.

| variable | meaning |
|---|---|
| ``IMPULATOR_HUB_HOME`` | the project data directory: hub state, user folders, passwords |
| ``IMPULATOR_HUB_MODE`` | ``local`` (shared demo password, demo accounts, local processes) or
  ``production`` (OpenID Connect login; the spawner comes from the deployment) |
| ``IMPULATOR_HUB_PORT`` | public port on 127.0.0.1 (default 8000) |
| ``IMPULATOR_HUB_API_PORT``, ``IMPULATOR_PROXY_API_PORT``, ``IMPULATOR_GATEWAY_PORT`` |
  internal ports (hub API, proxy API, Dask Gateway) |
| ``IMPULATOR_IDLE_TIMEOUT`` | seconds before an idle user server is stopped (default 3600) |
| ``IMPULATOR_OIDC_*`` | production login: see ``configure_oidc`` |
| ``IMPULATOR_HUB_ADMIN_DATABASE_URL`` | the connection that provisions users (CREATEROLE,
  bypasses row-level security); never handed to any user server |
| ``IMPULATOR_HUB_DB_HOST``, ``IMPULATOR_HUB_DB_PORT`` | where user servers reach PostgreSQL,
  when it differs from the admin connection (locally: loopback TCP instead of the socket) |
| ``IMPULATOR_DEMO_PASSWORD``, ``IMPULATOR_DEMO_ADMIN_PASSWORD`` | the shared passwords
  (else read from ``demo-password`` / ``demo-admin-password`` in the home) |
| ``IMPULATOR_DATA_DIR`` and the other ``IMPULATOR_*`` source settings | passed on to user
  servers and the runner |

Credentials: each user's database URL is made by ``provision_user`` just before the spawn
(new password every time) and goes into that server's environment only: never into a log
line, a URL or the hub's database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by JupyterHub

HUB_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(HUB_DIR))  # this file's sibling modules (the hub runs it by path)

from _hub_oidc import configure_oidc  # noqa: E402
from _hub_services import (  # noqa: E402
    GATEWAY_SERVICE,
    external_gateway_service,
    gateway_environment,
    gateway_service,
    idle_culler_service,
    runner_service,
)

BIN = Path(sys.executable).parent
HOME = Path(os.environ.get("IMPULATOR_HUB_HOME") or HUB_DIR.parent / ".impulator")
LOCAL = os.environ.get("IMPULATOR_HUB_MODE", "local") == "local"

#: JupyterHub group -> platform role, strongest first (a user in several gets the first).
ROLE_GROUPS = {
    "impulator-admins": "admin",
    "impulator-instructors": "instructor",
    "impulator-chemists": "chemist",
    "impulator-viewers": "viewer",
}
#: The demo accounts of the local platform and their JupyterHub groups.
DEMO_ACCOUNTS = {
    "chemist": "impulator-chemists",
    "viewer": "impulator-viewers",
    "instructor": "impulator-instructors",
    "admin": "impulator-admins",
}
DEMO_TEAM = "demo-team"
#: Users in this group land on the Voila home whatever their role (viewers always do).
DASHBOARD_GROUP = "impulator-dashboard-users"
#: The Voila home: where viewers and non-coders land; one click away for everyone else.
VOILA_HOME = "/voila/render/dashboards/Home.ipynb"
#: The Voila notebooks copied into each user's folder before each spawn (kept current).
DASHBOARDS = HUB_DIR.parent / "dashboards"
#: impulator's permissions as JupyterHub scopes (a token or service can check them).
CUSTOM_SCOPES = {
    "custom:impulator:read": {
        "description": "Read impulator results: one's own and those shared with one's groups.",
    },
    "custom:impulator:write": {
        "description": "Analyze, save, share and delete one's own impulator results.",
        "subscopes": ["custom:impulator:read"],
    },
    "custom:impulator:admin": {
        "description": "Read every user's impulator results and manage everyone's jobs.",
        "subscopes": ["custom:impulator:write"],
    },
}
#: JupyterHub roles of the impulator groups. Computing on a Dask Gateway cluster needs
#: access to the gateway service; viewers only read.
ROLES = [
    {
        "name": "impulator-viewer",
        "description": "Reads results; no writes, no clusters.",
        "scopes": ["custom:impulator:read"],
        "groups": ["impulator-viewers"],
    },
    {
        "name": "impulator-chemist",
        "description": "Analyzes and saves results; Dask Gateway clusters.",
        "scopes": ["custom:impulator:write", f"access:services!service={GATEWAY_SERVICE}"],
        "groups": ["impulator-chemists", "impulator-instructors"],
    },
    {
        "name": "impulator-admin",
        "description": "Reads everyone's results; Dask Gateway clusters.",
        "scopes": ["custom:impulator:admin", f"access:services!service={GATEWAY_SERVICE}"],
        "groups": ["impulator-admins"],
    },
    {
        # What jupyterhub-idle-culler needs, nothing more.
        "name": "idle-culler",
        "description": "Stops user servers idle for longer than IMPULATOR_IDLE_TIMEOUT.",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    },
]
#: The scopes a user server's own token may carry (each user gets the subset they hold), so
#: code on the server reaches the gateway and can tell what its user may do.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    f"access:services!service={GATEWAY_SERVICE}",
    *CUSTOM_SCOPES,
]
#: Settings of the data sources that user servers and the runner inherit from the hub.
PASSED_ON = (
    "IMPULATOR_DATA_DIR",
    "IMPULATOR_CHEMBL_SOURCE",
    "IMPULATOR_CHEMBL_URL",
    "IMPULATOR_CHEMBL_INDEX",
    "IMPULATOR_WEB_CACHE",
    "IMPULATOR_PDB_SOURCE",
    "IMPULATOR_PDB_INDEX_DIR",
    "IMPULATOR_OFFLINE",
    "IMPULATOR_HUB_SESSION",
    "LANG",
    "LC_ALL",
)


def secret(variable: str, filename: str) -> str | None:
    """A password from the environment, else from the file ``make up`` keeps in the home."""
    value = os.environ.get(variable)
    if value:
        return value
    path = HOME / filename
    return path.read_text().strip() if path.is_file() else None


def base_environment() -> dict[str, str]:
    """The environment every user server and service starts with (no credentials)."""
    env = {name: os.environ[name] for name in PASSED_ON if os.environ.get(name)}
    # JupyterHub passes almost nothing from its own environment (env_keep): the venv's
    # executables come first so kernels, `impulator` and `dask` are this installation's.
    env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    return env


def user_database_url(url: str) -> str:
    """``url`` pointed at the host and port users reach (if they differ from the admin's)."""
    import sqlalchemy as sa

    host = os.environ.get("IMPULATOR_HUB_DB_HOST")
    if not host:
        return url
    parsed = sa.make_url(url)
    port = int(os.environ.get("IMPULATOR_HUB_DB_PORT") or parsed.port or 5432)
    query = {k: v for k, v in parsed.query.items() if k not in ("host", "port")}
    return parsed.set(host=host, port=port, query=query).render_as_string(hide_password=False)


def platform_role(groups: list[str]) -> str | None:
    """The platform role carried by the strongest of ``groups`` (None: no impulator group)."""
    for group, role in ROLE_GROUPS.items():
        if group in groups:
            return role
    return None


async def pre_spawn_hook(spawner: Any) -> None:
    """Provision the user's PostgreSQL login (new password) and hand its URL to the server.

    The role comes from the user's JupyterHub group; the user's other JupyterHub groups
    become their impulator sharing groups. A user in no impulator group cannot start a
    server: the message says whom to ask.
    """
    admin_url = os.environ.get("IMPULATOR_HUB_ADMIN_DATABASE_URL")
    name = spawner.user.name
    groups = sorted(g.name for g in spawner.user.groups)
    role = platform_role(groups)
    if role is None:
        raise RuntimeError(
            f"{name} is in none of the impulator groups ({', '.join(ROLE_GROUPS)}): "
            "ask a hub admin to add you to one"
        )
    env = dict(spawner.environment)
    landing_on_dashboards = role == "viewer" or DASHBOARD_GROUP in groups
    spawner.default_url = VOILA_HOME if landing_on_dashboards else "/lab"
    home = getattr(spawner, "home_dir", None)  # local processes: the user's folder
    if home:
        await asyncio.to_thread(install_dashboards, Path(home))
    if admin_url:
        from impulator.store import provision_user

        sharing = [g for g in groups if g not in ROLE_GROUPS and g != DASHBOARD_GROUP]
        try:
            url = await asyncio.to_thread(provision_user, name, role, sharing, url=admin_url)
        except ValueError as exc:  # a name PostgreSQL cannot take, a foreign role, ...
            raise RuntimeError(f"impulator cannot give {name} a database login: {exc}") from None
        env["IMPULATOR_DATABASE_URL"] = user_database_url(url)
        spawner.log.info("impulator: database login of %s ready (role %s)", name, role)
    # A new dict, never the shared config value: one user's URL must not reach another.
    spawner.environment = env


def install_dashboards(home: Path) -> None:
    """Copy the Voila dashboards into a user's folder (``dashboards/``), replacing older ones.

    The folder is the platform's: a user's edits there are replaced on the next start (copy
    a dashboard elsewhere to keep a changed version).
    """
    target = home / "dashboards"
    target.mkdir(parents=True, exist_ok=True)
    for notebook in DASHBOARDS.glob("*.ipynb"):
        shutil.copyfile(notebook, target / notebook.name)


def runner_database_url() -> str | None:
    """The job runner's own database URL (its login is provisioned, password rotated)."""
    admin_url = os.environ.get("IMPULATOR_HUB_ADMIN_DATABASE_URL")
    if not admin_url:
        return None
    from impulator.store import provision_runner

    return user_database_url(provision_runner("runner", url=admin_url))


def configure_network() -> None:
    """Where the hub, its proxy and its API listen."""
    port = int(os.environ.get("IMPULATOR_HUB_PORT", "8000"))
    # Loopback only: the local platform is for this machine; production sits behind ingress.
    c.JupyterHub.bind_url = f"http://127.0.0.1:{port}"
    # Internal ports chosen by the launcher, so a second hub (a test) never collides.
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = int(os.environ.get("IMPULATOR_HUB_API_PORT", "8081"))
    c.ConfigurableHTTPProxy.api_url = (
        f"http://127.0.0.1:{os.environ.get('IMPULATOR_PROXY_API_PORT', '8001')}"
    )
    # The proxy installed in hub/node_modules by `make up` (never a global npm install).
    c.ConfigurableHTTPProxy.command = [
        os.environ.get("IMPULATOR_PROXY_COMMAND")
        or str(HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy")
    ]
    # Its pid file in the hub's state folder: a proxy orphaned by a crash is stopped on the
    # next start instead of holding the port.
    c.ConfigurableHTTPProxy.pid_file = str(HOME / "hub" / "jupyterhub-proxy.pid")


def configure_state() -> None:
    """The hub's own state, kept in the project data directory."""
    state = HOME / "hub"
    state.mkdir(parents=True, exist_ok=True)
    # SQLite is enough for one hub process; its schema is upgraded automatically.
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.upgrade_db = True
    # A stable cookie secret (mode 600, made by JupyterHub) keeps logins across restarts.
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    # Stopping the hub stops user servers too: Ctrl-C / `make down` leave nothing behind.
    c.JupyterHub.cleanup_servers = True


def configure_authenticator() -> None:
    """Locally: one shared password for the demo users and a separate one for ``admin``."""
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

    c.JupyterHub.authenticator_class = SharedPasswordAuthenticator
    # JupyterHub requires admins to use their own password of 32+ characters.
    c.SharedPasswordAuthenticator.user_password = secret("IMPULATOR_DEMO_PASSWORD", "demo-password")
    c.SharedPasswordAuthenticator.admin_password = secret(
        "IMPULATOR_DEMO_ADMIN_PASSWORD", "demo-admin-password"
    )
    # Only the demo accounts may log in (any other name is refused, even with the password).
    c.Authenticator.allowed_users = {n for n in DEMO_ACCOUNTS if n != "admin"}
    c.Authenticator.admin_users = {"admin"}


def configure_groups() -> None:
    """The role groups (and a sharing group) of the demo accounts, created at start."""
    groups: dict[str, dict[str, Any]] = {g: {"users": []} for g in ROLE_GROUPS}
    for user, group in DEMO_ACCOUNTS.items():
        groups[group]["users"].append(user)
    groups[DEMO_TEAM] = {"users": list(DEMO_ACCOUNTS)}
    c.JupyterHub.load_groups = groups


def configure_spawner() -> None:
    """User servers: what every server gets, and (locally) local processes, one folder each."""
    c.Spawner.environment = {**base_environment(), **gateway_environment(os.environ, local=LOCAL)}
    c.Spawner.pre_spawn_hook = pre_spawn_hook
    c.Spawner.server_token_scopes = SERVER_TOKEN_SCOPES
    c.Spawner.default_url = "/lab"
    # A cold start imports JupyterLab, Voila and RDKit: allow for a slow laptop.
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    if not LOCAL:
        return  # the deployment sets the spawner (KubeSpawner in the Helm chart)
    c.JupyterHub.spawner_class = "simple"
    # Each user's notebooks persist in the project data directory (not /tmp).
    c.SimpleLocalProcessSpawner.home_dir_template = str(HOME / "users" / "{username}")
    c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
    # Jupyter refuses to run as root unless told; the local platform may run as root.
    c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []


def configure_roles() -> None:
    """impulator's groups as JupyterHub roles carrying the custom impulator scopes."""
    c.JupyterHub.custom_scopes = CUSTOM_SCOPES
    c.JupyterHub.load_roles = ROLES


def configure_services() -> None:
    """Locally: the runner, the gateway and the idle culler as hub-managed services. In
    production the Helm chart runs them as deployments; the gateway registers by URL."""
    if LOCAL:
        env = base_environment()
        c.JupyterHub.services = [
            runner_service(HOME, env, runner_database_url()),
            gateway_service(HOME, env, os.environ),
            idle_culler_service(os.environ, env),
        ]
    else:
        c.JupyterHub.services = external_gateway_service(os.environ)


def configure() -> None:
    """The whole configuration, one concern per function."""
    mode = os.environ.get("IMPULATOR_HUB_MODE", "local")
    if mode not in ("local", "production"):
        raise RuntimeError(f"IMPULATOR_HUB_MODE={mode!r}: use 'local' (make up) or 'production'")
    if LOCAL:
        configure_network()
        configure_state()
        configure_authenticator()
        configure_groups()
    else:  # the Helm chart (z2jh) sets the network, the hub database and the spawner
        configure_oidc(c, ROLE_GROUPS, os.environ)
    configure_roles()
    configure_spawner()
    configure_services()


configure()
