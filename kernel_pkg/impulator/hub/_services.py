"""The hub-managed services of the local platform and how user servers reach the gateway.

Plain functions returning JupyterHub service definitions (dicts), so each can be read and
tested on its own; in Kubernetes the chart runs the runner and the gateway as deployments.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from impulator.hub._policy import API_SERVICE, CUSTOM_SCOPES, GATEWAY_SERVICE

#: How the runner and the API log (JSON lines by default), passed on when set.
LOG_SETTINGS = ("IMPULATOR_LOG_FORMAT", "IMPULATOR_LOG_LEVEL")


def gateway_environment(
    environ: Mapping[str, str], *, local: bool, service: str = GATEWAY_SERVICE
) -> dict[str, str]:
    """``DASK_GATEWAY__*`` for user servers: the gateway through the hub, with the user's own
    JupyterHub token (the client reads ``JUPYTERHUB_API_TOKEN``; no password anywhere).

    Production sets ``IMPULATOR_GATEWAY_ADDRESS`` (and ``IMPULATOR_GATEWAY_PROXY_ADDRESS`` for
    the scheduler proxy); locally both follow from the hub and gateway ports.
    """
    address = environ.get("IMPULATOR_GATEWAY_ADDRESS")
    proxy = environ.get("IMPULATOR_GATEWAY_PROXY_ADDRESS")
    if local:
        hub = f"http://127.0.0.1:{environ.get('IMPULATOR_HUB_PORT', '8000')}"
        address = address or f"{hub}/services/{service}"
        proxy = proxy or f"gateway://127.0.0.1:{environ.get('IMPULATOR_GATEWAY_PORT', '8002')}"
    if not address:
        return {}
    env = {
        "DASK_GATEWAY__ADDRESS": address,
        "DASK_GATEWAY__PUBLIC_ADDRESS": f"/services/{service}/",
        "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
    }
    if proxy:
        env["DASK_GATEWAY__PROXY_ADDRESS"] = proxy
    return env


def gateway_encrypt_key(home: Path, environ: Mapping[str, str]) -> str:
    """The key the gateway encrypts cluster secrets with: ``DASK_GATEWAY_ENCRYPT_KEYS``, else
    made once and kept (mode 600) beside the gateway's database."""
    key = environ.get("DASK_GATEWAY_ENCRYPT_KEYS")
    if key:
        return key
    path = home / "gateway" / "encrypt-key"
    if not path.is_file():
        from cryptography.fernet import Fernet

        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(Fernet.generate_key().decode())
    return path.read_text().strip()


def runner_service(home: Path, env: dict[str, str], database_url: str | None) -> dict[str, Any]:
    """The impulator job runner (durable batches), with its own rotated database login."""
    env = dict(env)
    if database_url:
        env["IMPULATOR_DATABASE_URL"] = database_url
    for name in ("IMPULATOR_RUNNER_METRICS_PORT", *LOG_SETTINGS):
        if os.environ.get(name):
            env[name] = os.environ[name]
    folder = home / "runner"
    folder.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    return {
        "name": "impulator-runner",
        # Its own local Dask cluster: the runner computes for everyone, with no user token.
        "command": [str(bindir / "impulator"), "runner", "--cluster", "local"],
        "environment": env,
        "cwd": str(folder),
        "display": False,
    }


def api_service(
    home: Path,
    env: dict[str, str],
    environ: Mapping[str, str],
    database_url: str | None,
    service: str = API_SERVICE,
) -> dict[str, Any]:
    """The REST API (``impulator api``) on ``IMPULATOR_API_PORT`` (default 8003), with its
    own rotated database login; the hub proxies ``/services/impulator-api/`` to it."""
    port = environ.get("IMPULATOR_API_PORT", "8003")
    env = dict(env)
    if database_url:
        env["IMPULATOR_API_DATABASE_URL"] = database_url
    for name in (
        "IMPULATOR_API_SUBMITS_PER_MINUTE",
        "IMPULATOR_API_READS_PER_MINUTE",
        "IMPULATOR_API_MAX_UPLOAD_BYTES",
        "IMPULATOR_BATCH_MAX_BYTES",
        "IMPULATOR_BATCH_MAX_ROWS",
        *LOG_SETTINGS,
    ):
        if environ.get(name):
            env[name] = environ[name]
    folder = home / "api"
    folder.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    return {
        "name": service,
        "url": f"http://127.0.0.1:{port}",
        "command": [str(bindir / "impulator"), "api", "--port", port],
        "environment": env,
        "cwd": str(folder),
        "display": False,
        # Browsers of logged-in users reach it through the hub's OAuth; the login's token
        # carries the user's impulator scopes (no more than the user has).
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": list(CUSTOM_SCOPES),
    }


def gateway_service(
    home: Path,
    env: dict[str, str],
    environ: Mapping[str, str],
    config_file: Path,
    service: str = GATEWAY_SERVICE,
) -> dict[str, Any]:
    """Dask Gateway (``config_file``: ``hub/dask_gateway_config.py``): per-user clusters
    behind the hub's login, on the port ``IMPULATOR_GATEWAY_PORT``."""
    port = environ.get("IMPULATOR_GATEWAY_PORT", "8002")
    env = {
        **env,
        "IMPULATOR_HUB_HOME": str(home),
        "IMPULATOR_GATEWAY_PORT": port,
        "DASK_GATEWAY_ENCRYPT_KEYS": gateway_encrypt_key(home, environ),
    }
    if environ.get("IMPULATOR_GATEWAY_IDLE_TIMEOUT"):
        env["IMPULATOR_GATEWAY_IDLE_TIMEOUT"] = environ["IMPULATOR_GATEWAY_IDLE_TIMEOUT"]
    folder = home / "gateway"
    folder.mkdir(parents=True, exist_ok=True)
    server = Path(sys.executable).parent / "dask-gateway-server"
    return {
        "name": service,
        "url": f"http://127.0.0.1:{port}",
        "command": [str(server), "-f", str(config_file)],
        "environment": env,
        "cwd": str(folder),
        "display": False,
    }


def idle_culler_service(environ: Mapping[str, str], env: dict[str, str]) -> dict[str, Any]:
    """Stops user servers idle for ``IMPULATOR_IDLE_TIMEOUT`` seconds (default 3600); durable
    jobs go on in the runner. Its role (``IDLE_CULLER_ROLE``) grants only that."""
    timeout = int(environ.get("IMPULATOR_IDLE_TIMEOUT", "3600"))
    every = max(10, min(300, timeout // 4))
    return {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={timeout}",
            f"--cull-every={every}",
        ],
        "environment": dict(env),
        "display": False,
    }


def external_gateway_service(
    environ: Mapping[str, str], service: str = GATEWAY_SERVICE
) -> list[dict[str, Any]]:
    """Production: the gateway runs as its own deployment and registers here by URL."""
    url = environ.get("IMPULATOR_GATEWAY_URL")
    if not url:
        return []
    token = environ.get("DASK_GATEWAY_API_TOKEN", "")
    return [{"name": service, "url": url, "api_token": token, "display": False}]
