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
| ``IMPULATOR_HUB_API_PORT``, ``IMPULATOR_PROXY_API_PORT``, ``IMPULATOR_GATEWAY_PORT``,
  ``IMPULATOR_API_PORT`` | internal ports (hub API, proxy API, Dask Gateway, REST API) |
| ``IMPULATOR_API_*`` | the REST API's rate limits and upload cap (see ``impulator.api``) |
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
| ``IMPULATOR_HUB_EXTRA_CONFIG`` | a configuration file read after this one (local changes
  kept out of the repository; the load benchmark's lighter servers) |

The platform itself (roles, custom scopes, spawn hook, Voila home, OIDC) is
``impulator.hub.configure``, which the Helm chart's ``hub.extraConfig`` calls too; this file
adds what only the local platform has: network, hub state, demo login and hub-managed
services.

Credentials: each user's database URL is made by ``provision_user`` just before the spawn
(new password every time) and goes into that server's environment only: never into a log
line, a URL or the hub's database.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from impulator.hub import (
    IDLE_CULLER_ROLE,
    ROLE_GROUPS,
    api_service,
    gateway_service,
    idle_culler_service,
    runner_service,
    user_database_url,
)
from impulator.hub import configure as configure_impulator

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by JupyterHub

HUB_DIR = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
HOME = Path(os.environ.get("IMPULATOR_HUB_HOME") or HUB_DIR.parent / ".impulator")
LOCAL = os.environ.get("IMPULATOR_HUB_MODE", "local") == "local"

#: The demo accounts of the local platform and their JupyterHub groups.
DEMO_ACCOUNTS = {
    "chemist": "impulator-chemists",
    "viewer": "impulator-viewers",
    "instructor": "impulator-instructors",
    "admin": "impulator-admins",
}
DEMO_TEAM = "demo-team"
#: The Voila notebooks copied into each user's folder before each spawn (kept current).
DASHBOARDS = HUB_DIR.parent / "dashboards"


def secret(variable: str, filename: str) -> str | None:
    """A password from the environment, else from the file ``make up`` keeps in the home."""
    value = os.environ.get(variable)
    if value:
        return value
    path = HOME / filename
    return path.read_text().strip() if path.is_file() else None


def local_environment() -> dict[str, str]:
    """What local processes need beyond impulator's settings: this venv first on PATH."""
    # JupyterHub passes almost nothing from its own environment (env_keep): the venv's
    # executables come first so kernels, `impulator` and `dask` are this installation's.
    return {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"}


def base_environment() -> dict[str, str]:
    """The environment every local service starts with (no credentials)."""
    from impulator.hub import base_environment as impulator_environment

    return {**impulator_environment(), **local_environment()}


def prepare_user_folder(home: Path, url: str | None) -> None:
    """Run before each local spawn on the user's folder: the dashboards, the notebook
    templates in ``examples/`` and the notebooks published to the user's groups in
    ``shared/<group>/`` (read with the user's own database login ``url``)."""
    from impulator import teach

    install_dashboards(home)
    teach.prepare_home(home, url)


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


def api_database_url() -> str | None:
    """The REST API's own database URL (its login is provisioned, password rotated)."""
    admin_url = os.environ.get("IMPULATOR_HUB_ADMIN_DATABASE_URL")
    if not admin_url:
        return None
    from impulator.store import provision_api

    return user_database_url(provision_api("api", url=admin_url))


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
    """Local processes, one folder each in the project data directory (not /tmp)."""
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(HOME / "users" / "{username}")
    c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
    # Jupyter refuses to run as root unless told; the local platform may run as root.
    c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []


def configure_services() -> None:
    """The runner, the REST API, the gateway and the idle culler as hub-managed services (the
    Helm chart runs them as deployments; z2jh has its own culler)."""
    env = base_environment()
    c.JupyterHub.services = [
        runner_service(HOME, env, runner_database_url()),
        api_service(HOME, env, os.environ, api_database_url()),
        gateway_service(HOME, env, os.environ, HUB_DIR / "dask_gateway_config.py"),
        idle_culler_service(os.environ, env),
    ]
    c.JupyterHub.load_roles = [IDLE_CULLER_ROLE]


def configure() -> None:
    """The local platform's own settings, then impulator's (shared with the Helm chart)."""
    if LOCAL:
        configure_network()
        configure_state()
        configure_authenticator()
        configure_groups()
        configure_spawner()
        configure_services()
    configure_impulator(
        c,
        prepare_home=prepare_user_folder,
        extra_environment=local_environment() if LOCAL else None,
    )


def load_extra_config() -> None:
    """``IMPULATOR_HUB_EXTRA_CONFIG``: one more configuration file, run last on this same ``c``
    so it sees and can change everything above (``benchmarks/load/hub_config.py`` gives
    simulated users lighter servers). A missing file stops the hub with its name."""
    extra = os.environ.get("IMPULATOR_HUB_EXTRA_CONFIG")
    if extra:
        path = Path(extra).resolve()
        code = compile(path.read_text(), str(path), "exec")
        exec(code, {"c": c, "get_config": lambda: c, "__file__": str(path), "__name__": path.stem})


configure()
load_extra_config()
